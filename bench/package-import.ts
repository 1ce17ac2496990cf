// The first render of a script importing npm packages (date-fns, hundreds of files; pg, CommonJS
// with its own dependencies), in a fresh worker, against the same script without the imports in a
// fresh worker; then a second script importing the same packages in that worker, against a second
// script without them: a package loads once per worker. Runs alone too:
//   node --import tsx bench/package-import.ts [rounds]
import { pathToFileURL } from 'node:url';
import { appFolder } from '../test/helpers/fixtures.js';
import { startServer } from '../test/helpers/server.js';
import { formatTable, judgeRatio, type Figure } from './figures.js';
import { timedGet } from './first-render.js';

const IMPORTS = "import { format } from 'date-fns';\nimport pg from 'pg';\n";
const BODY = (name: string, imports: boolean) =>
  `const day = new Date(2024, 0, 2);
echo(html\`<!doctype html><h1>${name}</h1><p>\${${imports ? "format(day, 'yyyy-MM-dd')" : 'day.getFullYear()'}}</p>\` +
  \`<p>\${${imports ? 'typeof pg.Client' : "'function'"}}</p>\`);
`;

/** Milliseconds of the first render of `first`, then of `second`, in a new server with one worker. */
async function firstRenders(dir: string, first: string, second: string): Promise<[number, number]> {
  const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
  const server = await startServer({ dir, workers: 1, logger: quiet });
  const time = (path: string) => timedGet(server.url, path);
  try {
    return [await time(first), await time(second)];
  } finally {
    await server.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round1 = (ms: number) => Math.round(ms * 10) / 10;

/** The two figures, medians over `rounds` fresh workers each way. */
export async function measurePackageImport(rounds: number): Promise<Figure[]> {
  const app = appFolder({
    scripts: {
      'with.ts': IMPORTS + BODY('with', true),
      'with-too.ts': IMPORTS + BODY('with too', true),
      'without.ts': BODY('without', false),
      'without-too.ts': BODY('without too', false),
    },
    linked: ['date-fns', 'pg'],
  });
  const withImports: Array<[number, number]> = [];
  const without: Array<[number, number]> = [];
  try {
    for (let i = 0; i < rounds; i++) {
      // Alternated: neither way always runs on a machine warmed by the other.
      const a = () => firstRenders(app.scripts, '/with', '/with-too');
      const b = () => firstRenders(app.scripts, '/without', '/without-too');
      if (i % 2 === 0) {
        withImports.push(await a());
        without.push(await b());
      } else {
        without.push(await b());
        withImports.push(await a());
      }
    }
  } finally {
    app.remove();
  }
  const first = median(withImports.map(([ms]) => ms));
  const firstBaseline = median(without.map(([ms]) => ms));
  const second = median(withImports.map(([, ms]) => ms));
  const secondBaseline = median(without.map(([, ms]) => ms));
  return [
    {
      name: 'first render of a script importing date-fns and pg, in a fresh worker (over HTTP)',
      value: round1(first),
      unit: `ms (median of ${rounds}; the import's cost: ${round1(first - firstBaseline)} ms)`,
      baseline: { name: 'the same script without the imports, fresh worker, ms', value: round1(firstBaseline) },
      ...judgeRatio(first, firstBaseline),
    },
    {
      name: 'first render of a second script importing them, in the same worker',
      value: round1(second),
      unit: `ms (median of ${rounds})`,
      baseline: { name: 'a second script without imports, same worker, ms', value: round1(secondBaseline) },
      ...judgeRatio(second, secondBaseline),
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv[2] ?? 11);
  console.log(formatTable(await measurePackageImport(rounds)));
}

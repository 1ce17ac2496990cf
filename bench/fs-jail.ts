// The cost of the file-system jail (runner/fs-jail/): a script's fs.readFileSync through the
// jailed facade against the host's fs, both in a vm2 NodeVM as scripts run (the bridge included),
// same run, alternated; then a warm render that reads a file, over HTTP, against one that does not
// read. Runs alone too:
//   node --import tsx bench/fs-jail.ts [calls] [renders]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NodeVM } from 'vm2';
import { jailedFs } from '../runner/fs-jail/facade.js';
import { scriptsFolder } from '../test/helpers/fixtures.js';
import { startServer } from '../test/helpers/server.js';
import { formatTable, judgeRatio, type Figure } from './figures.js';
import { timedGet } from './first-render.js';

const PAGE = 'x'.repeat(2048);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A sandbox's `read(file, n)`: n readFileSync calls with its `fs`, the jailed one or the host's. */
function sandboxReader(dir: string, jailed: boolean): (file: string, n: number) => number {
  const mock = jailed ? jailedFs(dir, { dataDir: path.join(dir, '_data'), readDirs: [] }) : undefined;
  const vm = new NodeVM({
    require: { builtin: ['fs'], external: [], context: 'sandbox', ...(mock ? { mock } : {}) },
  });
  const code = `const fs = require('fs');
module.exports = (file, n) => {
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += fs.readFileSync(file, 'utf8').length;
  return bytes;
};`;
  return vm.run(code, path.join(dir, 'bench.js')) as (file: string, n: number) => number;
}

/** Microseconds per call, `batches` batches of `calls` each way, alternated; medians. */
function perCall(dir: string, file: string, calls: number, batches: number): { jailed: number; host: number } {
  const jailed = sandboxReader(dir, true);
  const host = sandboxReader(dir, false);
  const time = (read: (file: string, n: number) => number) => {
    const start = performance.now();
    read(file, calls);
    return ((performance.now() - start) * 1000) / calls;
  };
  // Warm both: the first calls compile and fill caches.
  time(jailed);
  time(host);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < batches; i++) {
    if (i % 2 === 0) {
      a.push(time(jailed));
      b.push(time(host));
    } else {
      b.push(time(host));
      a.push(time(jailed));
    }
  }
  return { jailed: median(a), host: median(b) };
}

/** The figures: per call in a sandbox, and a whole render over HTTP. */
export async function measureFsJail(calls: number, renders: number): Promise<Figure[]> {
  const folder = scriptsFolder({
    'page.txt': PAGE,
    'read.ts': `import fs from 'node:fs';\necho(fs.readFileSync(__dirname + '/page.txt', 'utf8'));\n`,
    'plain.ts': `echo(${JSON.stringify(PAGE)});\n`,
  });
  try {
    const file = path.join(folder.dir, 'page.txt');
    writeFileSync(file, PAGE);
    const call = perCall(folder.dir, file, calls, 9);
    const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
    const server = await startServer({ dir: folder.dir, workers: 1, logger: quiet });
    const read: number[] = [];
    const plain: number[] = [];
    try {
      await timedGet(server.url, '/read');
      await timedGet(server.url, '/plain');
      for (let i = 0; i < renders; i++) {
        read.push(await timedGet(server.url, '/read'));
        plain.push(await timedGet(server.url, '/plain'));
      }
    } finally {
      await server.close();
    }
    const extra = call.jailed - call.host;
    const render = median(read);
    return [
      {
        name: "a script's fs.readFileSync of a 2 KB file, jailed (realpath + check), in a vm2 sandbox",
        value: round(call.jailed, 2),
        unit: `µs a call (median of 9 batches of ${calls}; the jail adds ${round(extra, 2)} µs)`,
        baseline: { name: "the host's fs.readFileSync in the same kind of sandbox, µs", value: round(call.host, 2) },
        ...judgeRatio(call.jailed, call.host),
      },
      {
        name: 'warm render of a script that reads a 2 KB file with the jailed fs (worker, over HTTP)',
        value: round(render, 2),
        unit: `ms (median of ${renders}; the jail's share of it: ${round(extra / 10 / render, 2)} %)`,
        baseline: { name: 'warm render echoing the same 2 KB without reading, ms', value: round(median(plain), 2) },
        ...judgeRatio(render, median(plain)),
      },
    ];
  } finally {
    folder.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatTable(await measureFsJail(Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 200))));
}

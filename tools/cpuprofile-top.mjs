// Where a server's time went, from a V8 CPU profile (`node --cpu-prof`, one file per thread):
// the functions and the files with the most self time, in % of the thread's busy time (idle
// left out).
//
//   node tools/cpuprofile-top.mjs FILE.cpuprofile [--top 30] [--skip-ms 2000] [--under REGEX]
//
// --skip-ms leaves out the first milliseconds (start-up, warm-up); --under keeps only the time
// spent below a function whose name matches (`--under '^broadcast$'`: the broadcast loop).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '30' },
    'skip-ms': { type: 'string', default: '0' },
    under: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) {
  console.error('usage: node tools/cpuprofile-top.mjs FILE.cpuprofile [--top N] [--skip-ms MS] [--under REGEX]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

// Self time of each profile node, in µs, past the skipped start.
const selfTime = new Map();
const skipUs = Number(args['skip-ms']) * 1000;
let at = 0;
for (const [i, id] of profile.samples.entries()) {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (at >= skipUs) selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
}

const under = args.under === undefined ? undefined : new RegExp(args.under);
const isUnder = (id) => {
  for (let at = id; at !== undefined; at = parents.get(at))
    if (under.test(nodes.get(at).callFrame.functionName)) return true;
  return false;
};
const where = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(`${process.cwd()}/`, '');

const byFunction = new Map();
const byFile = new Map();
let busy = 0;
for (const [id, time] of selfTime) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  if (functionName === '(idle)' || (under && !isUnder(id))) continue;
  busy += time;
  const name = `${functionName || '(anonymous)'} ${url ? `${where(url)}:${lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + time);
  const place = url ? where(url) : functionName;
  byFile.set(place, (byFile.get(place) ?? 0) + time);
}

const top = Number(args.top);
const table = (times) =>
  [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([name, time]) =>
        `${((100 * time) / busy).toFixed(1).padStart(5)}%  ${(time / 1000).toFixed(0).padStart(6)} ms  ${name}`,
    )
    .join('\n');
console.log(`${file}: busy ${(busy / 1000).toFixed(0)} ms${under ? ` under /${args.under}/` : ''}`);
console.log(`\nself time by function\n${table(byFunction)}`);
console.log(`\nself time by file\n${table(byFile)}`);

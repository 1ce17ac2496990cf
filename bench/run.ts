// `npm run bench [-- --quick]`: runs each figure against its baseline in the same run, prints a
// markdown table and writes bench/results/latest.json. Load generators run in their own processes.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureFirstRender } from './first-render.js';
import { measureLatencyDuringLoop } from './loop-latency.js';
import { findPhp, startPhp } from './php.js';
import { measureEditMemory, measureHotReload } from './hot-reload.js';
import { measurePagewireTrips, measureRoundTrips } from './roundtrip.js';
import { measureScale, type ScalePoint } from './scale.js';

const quick = process.argv.includes('--quick');
const root = path.join(import.meta.dirname, '..');

interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  target?: string;
  met?: boolean;
}
const figures: Figure[] = [];

// --- Render throughput -------------------------------------------------------------------
const servers = spawn(process.execPath, ['--import', 'tsx', 'bench/servers.ts'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
/** CPU time the servers' process has used so far (all its threads), in ms. */
const serversCpuMs = () =>
  new Promise<number>((resolve) => {
    servers.once('message', (ms) => resolve(Number(ms)));
    servers.send('cpu');
  });
const { ports, page } = await new Promise<{ ports: Record<string, number>; page: string }>((resolve, reject) => {
  let out = '';
  servers.stdout?.on('data', (chunk) => {
    out += chunk;
    if (out.includes('\n')) resolve(JSON.parse(out));
  });
  servers.once('exit', (code) => reject(new Error(`bench servers exited (${code})`)));
});

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Cores the load generator kept busy, on average over its life: what it took from the server. */
  loadCores: number;
  /** When the load ran (autocannon's own start and finish), ms since the epoch. */
  start: number;
  finish: number;
  /** Cores the server kept busy, on average (every thread), when it is ours to ask. */
  serverCores?: number;
}
const load = (base: string): Promise<Load> =>
  new Promise((resolve, reject) => {
    const duration = quick ? 1 : 4;
    const args = [
      '--import',
      path.join(root, 'bench/report-cpu.mjs'),
      path.join(root, 'node_modules/autocannon/autocannon.js'),
      '-c',
      '32',
      '-d',
      String(duration),
      '-j',
      `${base}/live`,
    ];
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      const r = JSON.parse(out) as {
        requests: { average: number };
        latency: { p50: number; p99: number };
        errors: number;
        non2xx: number;
        start: string;
        finish: string;
      };
      const cpuMs = Number(/cpu-ms (\d+)/.exec(err)?.[1] ?? Number.NaN);
      const loadCores = cpuMs / (performance.now() - started);
      resolve({
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.non2xx,
        loadCores,
        start: Date.parse(r.start),
        finish: Date.parse(r.finish),
      });
    });
  });

const render: Record<string, Load> = {};
for (const [name, port] of Object.entries(ports)) {
  const cpuBefore = await serversCpuMs();
  const result = await load(`http://127.0.0.1:${port}`);
  // Over the time the load ran: the server is idle while autocannon starts and exits.
  render[name] = { ...result, serverCores: ((await serversCpuMs()) - cpuBefore) / (result.finish - result.start) };
  console.error(`render ${name}: ${Math.round(result.rps)} req/s`);
}
servers.kill();
const php = findPhp();
if (typeof php === 'string') {
  console.error(`render PHP-FPM: not measured. ${php}`);
} else {
  const server = await startPhp(page);
  try {
    render['php-fpm behind nginx'] = await load(server.url);
    console.error(`render php-fpm behind nginx: ${Math.round(render['php-fpm behind nginx'].rps)} req/s`);
  } finally {
    await server.stop();
  }
}

const rps = (name: string) => render[name]?.rps ?? 0;
/** A render throughput against a baseline server of the same run, with a minimum ratio if it has a target. */
const compareRender = (
  name: string,
  server: string,
  baseline: string,
  baselineName: string,
  minimum: number | undefined,
  unit = 'req/s',
) => {
  const ratio = rps(server) / rps(baseline);
  const measured = render[baseline] !== undefined;
  figures.push({
    name,
    value: Math.round(rps(server)),
    unit,
    baseline: {
      name: measured ? baselineName : `${baselineName}: not measured`,
      value: measured ? Math.round(rps(baseline)) : Number.NaN,
    },
    ratio,
    ...(minimum === undefined ? {} : { target: `>= ${minimum}x`, met: ratio >= minimum }),
  });
};
compareRender('render, mounted in Express', 'pagewire in express', 'express', 'plain Express, same bytes', 0.9);
if (typeof php === 'string') console.error(`render, pagewire serve: no PHP baseline (${php})`);
compareRender(
  'render, pagewire serve',
  'pagewire serve',
  'php-fpm behind nginx',
  'PHP 8.2 php-fpm (4 children) behind nginx, same page',
  1.5,
);
const cores = os.availableParallelism();
const loadCores = (name: string) => (render[name]?.loadCores ?? Number.NaN).toFixed(2);
const serverCores = (name: string) => (render[name]?.serverCores ?? Number.NaN).toFixed(2);
compareRender(
  'render, pagewire serve with 2 workers',
  'pagewire serve, 2 workers',
  'pagewire serve, 1 worker',
  '1 worker',
  1.6,
  `req/s (of the ${cores} cores, the server kept ${serverCores('pagewire serve, 2 workers')} busy and the load generator ${loadCores('pagewire serve, 2 workers')}; with 1 worker ${serverCores('pagewire serve, 1 worker')} and ${loadCores('pagewire serve, 1 worker')})`,
);
compareRender(
  'render, pagewire serve, scripts in its thread (workers: 0)',
  'pagewire serve, scripts in its thread',
  'pagewire serve',
  'the default, a worker per core',
  undefined,
);
figures.push({
  name: 'render ceiling: bare node:http, same bytes',
  value: Math.round(rps('node:http')),
  unit: 'req/s',
});
for (const [name, r] of Object.entries(render)) {
  figures.push({
    name: `render latency p50/p99, ${name}`,
    value: r.p50,
    unit: `ms (p99 ${r.p99} ms, errors ${r.errors}; cores busy: server ${r.serverCores?.toFixed(2) ?? 'n/a'}, load generator ${r.loadCores.toFixed(2)})`,
  });
}

// --- Event round trip --------------------------------------------------------------------
const trips = await measureRoundTrips(quick ? 500 : 10_000);
const hop = await measurePagewireTrips(quick ? 500 : 10_000, 1);
figures.push({
  name: 'event round trip p50 through a worker thread',
  value: Math.round(hop.p50),
  unit: `µs (p99 ${Math.round(hop.p99)} µs)`,
  baseline: { name: 'in this thread, µs', value: Math.round(trips.pagewire.p50) },
  ratio: hop.p50 / trips.pagewire.p50,
});
for (const q of ['p50', 'p99'] as const) {
  const ratio = trips.pagewire[q] / trips.ws[q];
  figures.push({
    name: `event round trip ${q}`,
    value: Math.round(trips.pagewire[q]),
    unit: 'µs',
    baseline: { name: 'raw ws echo', value: Math.round(trips.ws[q]) },
    ratio,
    target: '<= 1.3x',
    met: ratio <= 1.3,
  });
  figures.push({
    name: `event round trip ${q} against Socket.IO`,
    value: Math.round(trips.pagewire[q]),
    unit: 'µs',
    baseline: { name: 'Socket.IO 4 emitWithAck', value: Math.round(trips.socketIo[q]) },
    ratio: trips.pagewire[q] / trips.socketIo[q],
    target: 'ahead (< 1x)',
    met: trips.pagewire[q] < trips.socketIo[q],
  });
}

const duringLoop = (await measureLatencyDuringLoop()).sort((a, b) => a - b);
const loopP99 = duringLoop[Math.min(duringLoop.length - 1, Math.floor(0.99 * duringLoop.length))] as number;
figures.push({
  name: `round trip p99 of a page while a script in another worker loops (${duringLoop.length} events)`,
  value: Math.round(loopP99 * 100) / 100,
  unit: 'ms',
  target: '< 100 ms',
  met: loopP99 < 100,
});

// --- Memory per page, broadcast ----------------------------------------------------------
const scale = await measureScale(quick ? [200, 1000] : [1000, 10_000]);
// What each page past the first thousand costs: start-up (sandbox, compiled code, worker
// threads) left out.
const marginal = (a: ScalePoint, b: ScalePoint) =>
  (b.rssPerPage * b.pages - a.rssPerPage * a.pages) / (b.pages - a.pages);
const [smallWs, largeWs] = scale.ws as [ScalePoint, ScalePoint];
for (const [mode, points] of [
  ['', scale.pagewire],
  [", scripts in the server's thread", scale.inThread],
] as const) {
  for (const [i, point] of points.entries()) {
    const baseline = scale.ws[i] as (typeof scale.ws)[number];
    figures.push({
      name: `memory per idle live page with its socket, ${point.pages} pages (RSS)${mode}`,
      value: Math.round(point.rssPerPage / 102.4) / 10,
      unit: `KB (server thread heap ${(point.heapPerPage / 1024).toFixed(1)} KB)`,
      baseline: { name: 'raw ws connection, RSS KB', value: Math.round(baseline.rssPerPage / 102.4) / 10 },
      ratio: point.rssPerPage / baseline.rssPerPage,
      target: '<= 16 KB',
      met: point.rssPerPage <= 16 * 1024,
    });
  }
  const [small, large] = points as [ScalePoint, ScalePoint];
  figures.push({
    name: `memory per live page from ${small.pages} to ${large.pages} pages (RSS, marginal)${mode}`,
    value: Math.round(marginal(small, large) / 102.4) / 10,
    unit: 'KB',
    baseline: { name: 'raw ws connection, RSS KB', value: Math.round(marginal(smallWs, largeWs) / 102.4) / 10 },
    ratio: marginal(small, large) / marginal(smallWs, largeWs),
    target: '<= 16 KB',
    met: marginal(small, large) <= 16 * 1024,
  });
}
const largest = scale.pagewire.at(-1)?.pages ?? 0;
figures.push({
  name: `broadcast to ${largest} live pages (until the last client has it)`,
  value: Math.round(scale.broadcastMs),
  unit: 'ms',
  target: '<= 200 ms (10,000 pages)',
  met: scale.broadcastMs <= 200,
});
figures.push({
  name: `broadcast to ${largest} live pages, scripts in the server's thread`,
  value: Math.round(scale.broadcastMsInThread),
  unit: 'ms',
  target: '<= 200 ms (10,000 pages)',
  met: scale.broadcastMsInThread <= 200,
});

// --- First render of a new script --------------------------------------------------------
const renders = await measureFirstRender(quick ? 4 : 21);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
figures.push({
  name: 'first render of a new script (compile + sandbox + render, over HTTP)',
  value: Math.round(median(renders.first) * 10) / 10,
  unit: 'ms (median)',
  baseline: { name: 'second render of it, ms', value: Math.round(median(renders.warm) * 10) / 10 },
  ratio: median(renders.first) / median(renders.warm),
  target: '<= 50 ms',
  met: median(renders.first) <= 50,
});

// --- Hot reload --------------------------------------------------------------------------
const reloads = (await measureHotReload(quick ? 5 : 50)).sort((a, b) => a - b);
const quantile = (values: number[], q: number) =>
  values[Math.min(values.length - 1, Math.floor(q * values.length))] as number;
for (const [q, name] of [
  [0.5, 'p50'],
  [0.95, 'p95'],
] as const) {
  const value = quantile(reloads, q);
  figures.push({
    name: `hot reload ${name} (write -> reloaded page loaded, Chromium)`,
    value: Math.round(value),
    unit: 'ms',
    target: '<= 150 ms',
    met: value <= 150,
  });
}
// From 300 edits on: the compile cache (200 entries, by content) is full, what grows is a leak.
const memory = await measureEditMemory(quick ? [10, 30] : [300, 1000]);
const [early, late] = memory as [{ cycles: number; heapUsed: number }, { cycles: number; heapUsed: number }];
figures.push({
  name: `heap growth across edits ${early.cycles} -> ${late.cycles} of one script`,
  value: Math.round((late.heapUsed - early.heapUsed) / 1024),
  unit: `KiB (${((late.heapUsed - early.heapUsed) / (late.cycles - early.cycles)).toFixed(0)} B per edit; heap ${(late.heapUsed / 2 ** 20).toFixed(1)} MiB)`,
});

// --- Report ------------------------------------------------------------------------------
const table = [
  '| figure | value | baseline | ratio | target | met |',
  '| --- | --- | --- | --- | --- | --- |',
  ...figures.map(
    (f) =>
      `| ${f.name} | ${f.value} ${f.unit} | ${f.baseline ? `${f.baseline.name}: ${f.baseline.value}` : ''} | ${f.ratio !== undefined ? `${f.ratio.toFixed(2)}x` : ''} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : 'no'} |`,
  ),
].join('\n');
console.log(table);
const machine = {
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  cpu: os.cpus()[0]?.model,
};
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
// A quick run (the smoke test in npm test) keeps its own file: latest.json stays a real run.
const output = path.join(root, 'bench/results', quick ? 'quick.json' : 'latest.json');
writeFileSync(output, JSON.stringify({ date: new Date().toISOString(), quick, machine, figures }, null, 2));
console.log(`written to ${path.relative(root, output)}`);

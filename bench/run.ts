// `npm run bench [-- --quick | --smoke] [-- --out DIR]`: runs each figure against its baseline in
// the same run, prints a markdown table and writes the results: bench/results/latest.json for the
// full run. Load generators run in their own processes.
//
// --quick: shorter, for a look (bench/results/quick.json). --smoke: each benchmark starts and
// gives its figure, with so little load that the numbers mean nothing; npm test runs it. It
// writes into --out, or a new temporary folder, never into the repository. --only client: the
// browser client's figures alone (its size, bytes per view update; seconds), into
// bench/results/client.json (or --out).
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { clientFigures } from './client-figures.js';
import { clusterFigures } from './cluster.js';
import { measureComponentMemory } from './components.js';
import { judgeRatio, judgeValue, type Figure } from './figures.js';
import { report } from './report.js';
import { measureFirstRender } from './first-render.js';
import { measurePackageImport } from './package-import.js';
import { measureFsJail } from './fs-jail.js';
import { loopLatencyFigure } from './loop-latency.js';
import { machinesFigures } from './machines.js';
import { type Load, load as runLoad } from './load.js';
import { findPhp, startPhp } from './php.js';
import { measureEditMemory, measureHotReload } from './hot-reload.js';
import { measurePagewireTrips, measureRoundTrips } from './roundtrip.js';
import { measureScale, type ScalePoint } from './scale.js';
import { yieldingHogFigures } from './yielding-hog.js';
import { measureUploads, uploadFigure } from './uploads.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    smoke: { type: 'boolean' },
    out: { type: 'string' },
    only: { type: 'string' },
  },
});
if (args.only !== undefined && args.only !== 'client')
  throw new Error(`--only ${args.only}: only 'client' can run alone`);
const mode = args.smoke ? 'smoke' : args.quick ? 'quick' : 'full';
const root = path.join(import.meta.dirname, '..');

/** How much each benchmark does, per mode. */
const SIZES = {
  full: {
    load: { seconds: 4 },
    trips: 10_000,
    loop: { ms: 1800, watchdog: 2000 },
    yieldingHogMs: 3000,
    pages: [1000, 10_000],
    componentDocuments: 1000,
    firstRenders: 21,
    packageRounds: 11,
    fsJail: { calls: 4000, renders: 300 },
    reloads: 50,
    edits: [300, 1000],
    viewUpdates: 21,
    uploads: { megabytes: 50, rounds: 3 },
  },
  quick: {
    load: { seconds: 1 },
    trips: 500,
    loop: { ms: 1800, watchdog: 2000 },
    yieldingHogMs: 1000,
    pages: [200, 1000],
    componentDocuments: 200,
    firstRenders: 4,
    packageRounds: 3,
    fsJail: { calls: 500, renders: 40 },
    reloads: 5,
    edits: [10, 30],
    viewUpdates: 5,
    uploads: { megabytes: 50, rounds: 1 },
  },
  smoke: {
    load: { requests: 64 },
    trips: 20,
    loop: { ms: 100, watchdog: 1000 },
    yieldingHogMs: 100,
    pages: [10, 20],
    componentDocuments: 10,
    firstRenders: 2,
    packageRounds: 1,
    fsJail: { calls: 20, renders: 2 },
    reloads: 1,
    edits: [2, 4],
    viewUpdates: 1,
    uploads: { megabytes: 1, rounds: 1 },
  },
} as const;
const size = SIZES[mode];
const figures: Figure[] = [];
let lapStart = performance.now();
/** Says on stderr how long the part of the bench that just ended took. */
const lap = (part: string) => {
  console.error(`${part}: ${((performance.now() - lapStart) / 1000).toFixed(1)} s`);
  lapStart = performance.now();
};

// --- The browser client: its gzipped size, the bytes of a page.view update ------------------
figures.push(...(await clientFigures(size.viewUpdates)));
lap('the browser client');
if (args.only === 'client') {
  report(figures, { mode, only: args.only, out: args.out, root });
  // Once what was printed is written (a pipe is written asynchronously).
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit(0);
}

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
lap('render servers started');

/** The same autocannon load for every server of the comparison (bench/load.ts). */
const load = (base: string): Promise<Load> => runLoad(base, size.load);

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

/** Requests per second of a server of this run; NaN when it was not measured. */
const rps = (name: string) => render[name]?.rps ?? Number.NaN;
/** A render throughput against a baseline server of the same run, with a minimum ratio if it has a target. */
const compareRender = (
  name: string,
  server: string,
  baseline: string,
  baselineName: string,
  minimum: number | undefined,
  unit = 'req/s',
) => {
  const { ratio, verdict } = judgeRatio(
    rps(server),
    rps(baseline),
    minimum === undefined ? undefined : { is: 'at least', limit: minimum },
  );
  figures.push({
    name,
    value: Math.round(rps(server)),
    unit,
    baseline: { name: baselineName, value: Math.round(rps(baseline)) },
    ratio,
    ...(minimum === undefined ? {} : { target: `>= ${minimum}x`, verdict }),
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
  `req/s (of the ${cores} cores, the server kept ${serverCores('pagewire serve, 2 workers')} busy ` +
    `and the load generator ${loadCores('pagewire serve, 2 workers')}; ` +
    `with 1 worker ${serverCores('pagewire serve, 1 worker')} and ${loadCores('pagewire serve, 1 worker')})`,
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
    unit:
      `ms (p99 ${r.p99} ms, errors ${r.errors}; ` +
      `cores busy: server ${r.serverCores?.toFixed(2) ?? 'n/a'}, load generator ${r.loadCores.toFixed(2)})`,
  });
}

lap('render throughput');

// --- The cluster (pagewire serve --processes N): render, a chat post over 2 processes, a killed process ---
figures.push(...(await clusterFigures(mode, size.load)));
lap('the cluster');

// --- Several machines (1, 2, 4 nodes behind nginx, one Redis), all on this one ----------------
figures.push(...(await machinesFigures(mode, size.load)));
lap('nodes behind nginx');

// --- Event round trip --------------------------------------------------------------------
const trips = await measureRoundTrips(size.trips);
const hop = await measurePagewireTrips(size.trips, 1);
figures.push({
  name: 'event round trip p50 through a worker thread',
  value: Math.round(hop.p50),
  unit: `µs (p99 ${Math.round(hop.p99)} µs)`,
  baseline: { name: 'in this thread, µs', value: Math.round(trips.pagewire.p50) },
  ...judgeRatio(hop.p50, trips.pagewire.p50),
});
for (const q of ['p50', 'p99'] as const) {
  figures.push({
    name: `event round trip ${q}`,
    value: Math.round(trips.pagewire[q]),
    unit: 'µs',
    baseline: { name: 'raw ws echo', value: Math.round(trips.ws[q]) },
    target: '<= 1.3x',
    ...judgeRatio(trips.pagewire[q], trips.ws[q], { is: 'at most', limit: 1.3 }),
  });
  figures.push({
    name: `event round trip ${q} against Socket.IO`,
    value: Math.round(trips.pagewire[q]),
    unit: 'µs',
    baseline: { name: 'Socket.IO 4 emitWithAck', value: Math.round(trips.socketIo[q]) },
    target: 'ahead (< 1x)',
    ...judgeRatio(trips.pagewire[q], trips.socketIo[q], { is: 'below', limit: 1 }),
  });
}

lap('event round trips');
figures.push(await loopLatencyFigure(size.loop.ms, size.loop.watchdog));

lap('round trips while a script loops');

// A script that keeps its worker busy while yielding: new renders should go to the other worker.
figures.push(...(await yieldingHogFigures(size.yieldingHogMs)));
lap('renders beside a yielding script');

// --- Memory per page, broadcast ----------------------------------------------------------
const scale = await measureScale([...size.pages]);
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
      target: '<= 16 KB',
      ratio: judgeRatio(point.rssPerPage, baseline.rssPerPage).ratio,
      verdict: judgeValue(point.rssPerPage, { is: 'at most', limit: 16 * 1024 }),
    });
  }
  const [small, large] = points as [ScalePoint, ScalePoint];
  figures.push({
    name: `memory per live page from ${small.pages} to ${large.pages} pages (RSS, marginal)${mode}`,
    value: Math.round(marginal(small, large) / 102.4) / 10,
    unit: 'KB',
    baseline: { name: 'raw ws connection, RSS KB', value: Math.round(marginal(smallWs, largeWs) / 102.4) / 10 },
    target: '<= 16 KB',
    ratio: judgeRatio(marginal(small, large), marginal(smallWs, largeWs)).ratio,
    verdict: judgeValue(marginal(small, large), { is: 'at most', limit: 16 * 1024 }),
  });
}
const largest = scale.pagewire.at(-1)?.pages ?? 0;
const broadcasts = [
  ['', scale.broadcastMs],
  [", scripts in the server's thread", scale.broadcastMsInThread],
] as const;
for (const [name, ms] of broadcasts) {
  figures.push({
    name: `broadcast to ${largest} live pages${name || ' (until the last client has it)'}`,
    value: Math.round(ms),
    unit: 'ms',
    // The floor on this machine: the same number of frames written by a bare ws server.
    baseline: {
      name: `raw ws server, a frame to each of ${largest} sockets, ms`,
      value: Math.round(scale.broadcastMsWs),
    },
    ratio: judgeRatio(ms, scale.broadcastMsWs).ratio,
    target: '<= 200 ms (10,000 pages)',
    verdict: judgeValue(ms, { is: 'at most', limit: 200 }),
  });
}

lap('memory per page, broadcast');
figures.push(...(await measureComponentMemory(size.componentDocuments)));
lap('memory per live component');

// --- First render of a new script --------------------------------------------------------
const renders = await measureFirstRender(size.firstRenders);
/** The median, or NaN when there is nothing to take it of. */
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
figures.push({
  name: 'first render of a new script (compile + sandbox + render, over HTTP)',
  value: Math.round(median(renders.first) * 10) / 10,
  unit: 'ms (median)',
  baseline: { name: 'second render of it, ms', value: Math.round(median(renders.warm) * 10) / 10 },
  target: '<= 50 ms',
  ratio: judgeRatio(median(renders.first), median(renders.warm)).ratio,
  verdict: judgeValue(median(renders.first), { is: 'at most', limit: 50 }),
});

lap('first render');
figures.push(...(await measurePackageImport(size.packageRounds)));
lap('first render with package imports');
figures.push(...(await measureFsJail(size.fsJail.calls, size.fsJail.renders)));
lap('the file-system jail');

// --- Hot reload --------------------------------------------------------------------------
const reloads = (await measureHotReload(size.reloads)).sort((a, b) => a - b);
const quantile = (values: number[], q: number) =>
  values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;
for (const [q, name] of [
  [0.5, 'p50'],
  [0.95, 'p95'],
] as const) {
  const value = quantile(reloads, q);
  const figure = `hot reload ${name} (write -> reloaded page loaded, Chromium)`;
  const verdict = judgeValue(value, { is: 'at most', limit: 150 });
  figures.push({ name: figure, value: Math.round(value), unit: 'ms', target: '<= 150 ms', verdict });
}
// From 300 edits on: the compile cache (200 entries, by content) is full, what grows is a leak.
lap('hot reload');
const memory = await measureEditMemory([...size.edits]);
lap('memory across edits');
const [early, late] = memory as [{ cycles: number; heapUsed: number }, { cycles: number; heapUsed: number }];
figures.push({
  name: `heap growth across edits ${early.cycles} -> ${late.cycles} of one script`,
  value: Math.round((late.heapUsed - early.heapUsed) / 1024),
  unit:
    `KiB (${((late.heapUsed - early.heapUsed) / (late.cycles - early.cycles)).toFixed(0)} B per edit; ` +
    `heap ${(late.heapUsed / 2 ** 20).toFixed(1)} MiB)`,
});

// --- Uploads: pw-upload against a multipart POST of the same file, same server ------------
figures.push(uploadFigure(await measureUploads(size.uploads.megabytes * 1e6, size.uploads.rounds)));
lap('uploads');

report(figures, { mode, only: args.only, out: args.out, root });

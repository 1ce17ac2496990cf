// The render load generator of the bench: autocannon in its own process, against `${base}/live`,
// with the CPU time it used (bench/report-cpu.mjs), so a figure can say how many of the
// machine's cores the load generator took from the server it measured.
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');

/** How much load: a number of requests (smoke), or seconds of it. */
export type LoadAmount = { readonly requests: number } | { readonly seconds: number };

export interface Load {
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

/** Connections autocannon keeps open (alive): 32 by default, so a cluster's processes each get some. */
export const LOAD_CONNECTIONS = { requests: 8, seconds: 32 } as const;

export function load(base: string, amount: LoadAmount): Promise<Load> {
  return new Promise((resolve, reject) => {
    const args =
      'requests' in amount
        ? ['-c', String(LOAD_CONNECTIONS.requests), '-a', String(amount.requests)]
        : ['-c', String(LOAD_CONNECTIONS.seconds), '-d', String(amount.seconds)];
    const autocannon = path.join(root, 'node_modules/autocannon/autocannon.js');
    const argv = ['--import', path.join(root, 'bench/report-cpu.mjs'), autocannon, ...args, '-j', `${base}/live`];
    const started = performance.now();
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
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
}

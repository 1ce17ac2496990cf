import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';

/**
 * A worker whose event loop was active more than this share of the last window is busy: a script
 * holds it, even one that yields every few milliseconds (it never sleeps), and a new render there
 * would wait behind it.
 */
export const BUSY_UTILIZATION = 0.8;
/** A worker that has not said it is alive for this long (ms) is held, whatever its last window. */
const SILENT = 300;

/** How busy a worker's event loop was over the pool's last check window. */
export interface Load {
  readonly worker: Worker;
  sample: EventLoopUtilization;
  /** `performance.now()` of the last measure, and of the one before: the window `utilization` covers. */
  measuredAt: number;
  since: number;
  utilization: number;
}

export function newLoad(worker: Worker): Load {
  const now = performance.now();
  return { worker, sample: worker.performance.eventLoopUtilization(), measuredAt: now, since: now, utilization: 0 };
}

/**
 * Measures the window since the last measure: the worker's own event loop utilization, read from
 * this thread without asking the worker (about 1 µs), so a held worker is measured as well.
 */
export function measureLoad(load: Load, now: number): void {
  const { performance } = load.worker;
  const sample = performance.eventLoopUtilization();
  load.utilization = performance.eventLoopUtilization(sample, load.sample).utilization;
  load.sample = sample;
  load.since = load.measuredAt;
  load.measuredAt = now;
}

/** True when the worker is not answering: busy over the last window, or silent. */
export function busy(load: Load, lastAlive: number, now: number): boolean {
  return load.utilization > BUSY_UTILIZATION || now - lastAlive > SILENT;
}

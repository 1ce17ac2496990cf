import { MessageChannel, type Worker } from 'node:worker_threads';
import type { ScriptSources } from './script-sources.js';
import { runnerSettings, spawnWorker } from './spawn-worker.js';
import { TaskLedger } from './task-ledger.js';
import { type Load, newLoad } from './worker-load.js';
import { WorkerOutbox } from './worker-outbox.js';
import type { FromWorker, WorkerData } from './worker-protocol.js';
import type { PoolSettings } from './worker-pool.js';

/** How often a worker says it is alive, and the pool checks. */
export const ALIVE_INTERVAL = 100;
/** Worker's resource limits are in MB (2^20 bytes; fractions are kept). */
const MB = 1024 * 1024;

/** One worker thread of the pool, and what the pool knows of it. */
export interface Slot {
  worker: Worker;
  /** Its messages of this turn of the event loop, sent together (numbered in `tasks` first). */
  outbox: WorkerOutbox;
  /** False until the worker's first `alive`: booting (tsx, vm2) is not a stuck script. */
  started: boolean;
  lastAlive: number;
  /** Since when it builds a script's sandbox (its `building` message), until its next message. */
  buildingSince: number | undefined;
  /** Tasks sent and maybe not started yet: what a stuck worker is stuck in. */
  tasks: TaskLedger;
  /** How busy its event loop was lately: new renders go to a worker that is answering. */
  load: Load;
  /** The watchdog found it stuck, or it passed its memory limit: it is being stopped. */
  stuck: boolean;
  closed: Promise<void> | undefined;
}

export interface SlotEvents {
  message(slot: Slot, message: FromWorker): void;
  error(slot: Slot, error: Error): void;
  exit(slot: Slot, code: number): void;
}

/**
 * Starts a worker thread: it reads script sources through the pool (`sources`, answered at once,
 * the worker waiting on shared memory), and reports its progress through shared memory too.
 */
export function startSlot(settings: PoolSettings, sources: ScriptSources, on: SlotEvents): Slot {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const flag = new Int32Array(signal);
  port1.on('message', (file: string) => {
    port1.postMessage(sources.read(file));
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
  port1.unref();
  const progress = new SharedArrayBuffer(8);
  const [aliveInterval, maxMemoryBytes] = [ALIVE_INTERVAL, settings.maxWorkerMemoryBytes];
  const data: WorkerData = {
    settings: runnerSettings(settings),
    aliveInterval,
    maxMemoryBytes,
    sources: port2,
    signal,
    progress,
  };
  const worker = spawnWorker(data, { maxOldGenerationSizeMb: settings.maxWorkerHeapBytes / MB });
  const slot: Slot = {
    worker,
    outbox: new WorkerOutbox(worker),
    started: false,
    lastAlive: performance.now(),
    buildingSince: undefined,
    tasks: new TaskLedger(new Int32Array(progress)),
    load: newLoad(worker),
    stuck: false,
    closed: undefined,
  };
  worker.on('message', (message: FromWorker) => on.message(slot, message));
  worker.on('error', (error) => on.error(slot, error));
  worker.on('exit', (code) => on.exit(slot, code));
  worker.unref();
  return slot;
}

/**
 * Building a script's sandbox (a vm2 VM, the prelude, the script compiled) is Pagewire's own
 * work and runs none of the script's code, yet in a cold worker on a loaded machine it took over
 * 2 s: the default `watchdogTimeout` would stop the worker and quarantine a script that had not
 * run yet. While a worker builds, it may stay silent this long; a build that never ends is a stuck
 * worker all the same.
 */
export const SANDBOX_BUILD_LIMIT = 30_000;

/** How long `slot` may stay silent (ms) before the watchdog stops it. */
export function silenceAllowed(slot: Pick<Slot, 'buildingSince'>, watchdogTimeout: number): number {
  return slot.buildingSince === undefined ? watchdogTimeout : Math.max(SANDBOX_BUILD_LIMIT, watchdogTimeout);
}

import type { Worker } from 'node:worker_threads';
import type { HostToRunner } from '../messages.js';
import type { ToWorker } from './worker-protocol.js';

/**
 * The messages for one worker, sent together once per turn of the event loop: each
 * `postMessage` costs the HTTP thread a wake-up of the worker and a clone of its own (13% of the
 * HTTP thread's time with one message a render). They are sent after the turn's I/O callbacks
 * (`setImmediate`), so the renders of every request read in that turn share one message, in the
 * order they were numbered (task-ledger.ts).
 */
export class WorkerOutbox {
  readonly #worker: Worker;
  #tasks: number[] = [];
  #messages: HostToRunner[] = [];
  #scheduled: NodeJS.Immediate | undefined;

  constructor(worker: Worker) {
    this.#worker = worker;
  }

  /** Queues `message`, numbered `task`, for this turn's batch. */
  add(task: number, message: HostToRunner): void {
    this.#tasks.push(task);
    this.#messages.push(message);
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends what is queued now: before anything else goes to the worker (`close`), so order holds. */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#tasks.length === 0) return;
    const out: ToWorker = { kind: 'messages', tasks: this.#tasks, messages: this.#messages };
    this.#tasks = [];
    this.#messages = [];
    this.#worker.postMessage(out);
  }

  /** Drops what is queued: the worker is being stopped (its ledger still lists those tasks as unstarted). */
  discard(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#tasks = [];
    this.#messages = [];
  }
}

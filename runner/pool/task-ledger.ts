import type { HostToRunner } from '../messages.js';

/** What the pool asked of a worker, for the log when it has to be stopped. */
export interface Task {
  /** `event 'save'`, `the render`, `channel 'chat'`. */
  what: string;
  script?: string;
  pageId?: string;
  /** A render's message, kept until the worker starts it: one it never started can go to another. */
  render?: Extract<HostToRunner, { type: 'render' }>;
}

export function describeTask(task: Task): string {
  return task.script ? `${task.what} of ${task.script}` : task.what;
}

/**
 * The tasks sent to one worker, numbered, until the worker has gone past them. Numbers are int32
 * and wrap around, never 0 ("no task"). The worker writes into `progress` (shared memory) the
 * number of the task it runs and of the last it started (worker-protocol.ts): a stuck worker
 * cannot say what it is stuck in, but its ledger can.
 */
export class TaskLedger {
  readonly #tasks = new Map<number, Task>();
  readonly #progress: Int32Array;
  #last: number;

  constructor(progress: Int32Array, last = 0) {
    this.#progress = progress;
    this.#last = last;
  }

  /** Numbers a task about to be sent. */
  add(task: Task): number {
    this.#last = (this.#last + 1) | 0 || 1;
    this.#tasks.set(this.#last, task);
    return this.#last;
  }

  /** The task the worker runs now; undefined between tasks (a timer, code after an await). */
  running(): Task | undefined {
    return this.#tasks.get(Atomics.load(this.#progress, 0));
  }

  /** The last task the worker started (it may still run, or have awaited). */
  lastStarted(): Task | undefined {
    return this.#tasks.get(Atomics.load(this.#progress, 1));
  }

  /** Tasks sent and not started yet, in order. */
  unstarted(): Task[] {
    const started = Atomics.load(this.#progress, 1);
    return [...this.#tasks].filter(([number]) => ((number - started) | 0) > 0).map(([, task]) => task);
  }

  /** Forgets the tasks the worker has gone past: it takes them in order. */
  prune(): void {
    const started = Atomics.load(this.#progress, 1);
    for (const number of this.#tasks.keys()) {
      // Compared as serial numbers: the count wraps around.
      if (((number - started) | 0) >= 0) return;
      this.#tasks.delete(number);
    }
  }

  get size(): number {
    return this.#tasks.size;
  }
}

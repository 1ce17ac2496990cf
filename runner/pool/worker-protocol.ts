import type { MessagePort } from 'node:worker_threads';
import type { HostToRunner, RunnerToHost } from '../messages.js';
import type { RunnerSettings } from '../in-process-runner.js';

/** What the pool sends a worker. */
export type ToWorker =
  /**
   * The messages of one turn of the pool's event loop (worker-outbox.ts), run in order; `tasks[i]`
   * numbers `messages[i]` (int32, never 0) for `WorkerData.progress`.
   */
  { kind: 'messages'; tasks: number[]; messages: HostToRunner[] } | { kind: 'close' };

/** What a worker sends the pool. */
export type FromWorker =
  | { kind: 'message'; message: RunnerToHost }
  /** Sent on a timer: a worker that stops sending it is stuck in a script. */
  | { kind: 'alive' }
  /**
   * It starts building a script's sandbox, which runs none of the script's code: its silence until
   * its next message is not a stuck script's (worker-slot.ts, `silenceAllowed`).
   */
  | { kind: 'building' }
  /**
   * Its memory (heap and external) passed `maxMemoryBytes`; it then waits, running nothing more,
   * to be terminated. `inTask`: found as the last task started ended, not on a timer.
   */
  | { kind: 'over-memory'; heapBytes: number; externalBytes: number; inTask: boolean }
  | { kind: 'closed' };

export interface WorkerData {
  settings: Omit<RunnerSettings, 'readSource' | 'guardProcess' | 'sandboxBuild'>;
  aliveInterval: number;
  /** The worker's V8 heap and external memory together may not pass this (`maxWorkerMemoryBytes`). */
  maxMemoryBytes: number;
  /** Where the worker asks for a file's source, and waits on `signal` for the answer. */
  sources: MessagePort;
  signal: SharedArrayBuffer;
  /**
   * Two int32s the worker keeps up to date for the pool: the task it is running (0 between
   * tasks), and the last it started. A stuck worker cannot say what it is stuck in; this can.
   */
  progress: SharedArrayBuffer;
}

/** The pool's answer to a source request. */
export type SourceAnswer = { source: string } | { error: string };

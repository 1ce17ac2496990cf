/**
 * The host's end of scripts' `shared` calls: each `shared-call` from the runner is checked (the
 * host never trusts a runner's message: shape, JSON, sizes, and the page's calls in flight),
 * run on the store, and answered with `shared-answer` to the runner, which hands it to the page.
 */
import type { RunnerToHost, ScriptRunner } from '../../runner/messages.js';
import {
  failure,
  parseSharedOp,
  SHARED_CALLS_IN_FLIGHT,
  type SharedAnswer,
  type SharedLimits,
  type SharedStore,
} from './shared-op.js';

export type SharedCallMessage = Extract<RunnerToHost, { type: 'shared-call' }>;

interface Answer {
  pageId: string;
  callId: number;
  answer: SharedAnswer;
}

export class SharedCalls {
  readonly #store: SharedStore;
  readonly #runner: ScriptRunner;
  readonly #limits: SharedLimits;
  /** Calls of each page at the store now. */
  readonly #inFlight = new Map<string, number>();
  readonly #answers: Answer[] = [];
  #flushing = false;
  #closed = false;

  constructor(store: SharedStore, runner: ScriptRunner, limits: SharedLimits) {
    this.#store = store;
    this.#runner = runner;
    this.#limits = limits;
  }

  take(message: SharedCallMessage): void {
    const { pageId, callId } = message;
    if (typeof pageId !== 'string' || !Number.isSafeInteger(callId)) return;
    const count = this.#inFlight.get(pageId) ?? 0;
    // The sandbox holds a page to SHARED_CALLS_IN_FLIGHT itself; a runner that does not is refused.
    if (count >= SHARED_CALLS_IN_FLIGHT) {
      const message = `a page may have ${SHARED_CALLS_IN_FLIGHT} shared calls in flight at once`;
      return this.#answer({ pageId, callId, answer: failure('SHARED_QUEUE_FULL', message) });
    }
    const op = parseSharedOp(message.op, this.#limits);
    if ('ok' in op) return this.#answer({ pageId, callId, answer: op });
    this.#inFlight.set(pageId, count + 1);
    const done = (answer: SharedAnswer) => {
      const left = (this.#inFlight.get(pageId) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(pageId, left);
      else this.#inFlight.delete(pageId);
      this.#answer({ pageId, callId, answer });
    };
    this.#store.run(op).then(done, (error: unknown) => {
      done(failure('SHARED_UNAVAILABLE', `the shared store failed: ${(error as Error)?.message ?? String(error)}`));
    });
  }

  /** From now on nothing is answered: the runner is closing. */
  close(): void {
    this.#closed = true;
  }

  /**
   * Answers go in a batch on the next turn of the event loop, never in the microtask that asked:
   * with scripts in this thread (`workers: 0`), a page that calls again from each answer would
   * otherwise keep the loop in microtasks, and no socket or request would be read.
   */
  #answer(answer: Answer): void {
    this.#answers.push(answer);
    if (this.#flushing) return;
    this.#flushing = true;
    setImmediate(() => {
      this.#flushing = false;
      for (const { pageId, callId, answer } of this.#answers.splice(0)) {
        if (!this.#closed) this.#runner.post({ type: 'shared-answer', pageId, callId, answer });
      }
    });
  }
}

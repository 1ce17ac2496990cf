import type { OldestFirst } from './oldest-first.js';

/**
 * The slack of a sweep whose items start all the time (pages that never connect, under load): a
 * tenth of the timeout, at most 100 ms. About ten sweeps a second instead of one a millisecond,
 * each closing its window's pages in one message per worker.
 */
export function sweepSlack(timeoutMs: number): number {
  return Math.min(100, timeoutMs / 10);
}

/**
 * One timer for many deadlines that share a timeout, rather than one timer each (a load test
 * renders thousands of pages a second). Items wait in `queue` in the order they started, so the
 * expired ones are at its front. An item expires once its timeout has passed, never before, and
 * at most `slackMs` after: a sweep waits that long past the next deadline, so that it takes the
 * items of a window at once instead of waking every millisecond for the few due in it.
 */
export class DeadlineSweep<T> {
  readonly #timeoutMs: number;
  readonly #slackMs: number;
  readonly #queue: OldestFirst<T>;
  readonly #startedAt: (item: T) => number;
  readonly #expire: (item: T) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `startedAt` is read on the clock `now`, monotonic by default (`performance.now()`): a wall
   * clock stepped back would put deadlines off. `expire` may take the item out of `queue`.
   */
  constructor(
    timeoutMs: number,
    queue: OldestFirst<T>,
    startedAt: (item: T) => number,
    expire: (item: T) => void,
    slackMs = 0,
    now: () => number = () => performance.now(),
  ) {
    this.#timeoutMs = timeoutMs;
    this.#slackMs = slackMs;
    this.#queue = queue;
    this.#startedAt = startedAt;
    this.#expire = expire;
    this.#now = now;
  }

  /** An item was added to the queue: makes sure a sweep is due. */
  arm(): void {
    this.#timer ??= setTimeout(() => this.#sweep(), this.#timeoutMs + this.#slackMs).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    this.#timer = undefined;
    const deadline = this.#now() - this.#timeoutMs;
    for (let item = this.#queue.oldest(); item !== undefined; item = this.#queue.oldest()) {
      const startedAt = this.#startedAt(item);
      if (startedAt > deadline) {
        this.#timer = setTimeout(() => this.#sweep(), startedAt - deadline + this.#slackMs).unref();
        return;
      }
      this.#expire(item);
      this.#queue.delete(item);
    }
  }
}

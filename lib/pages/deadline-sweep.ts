import type { OldestFirst } from './oldest-first.js';

/**
 * One timer for many deadlines that share a timeout, rather than one timer each (a load test
 * renders thousands of pages a second). Items wait in `queue` in the order they started, so the
 * expired ones are at its front.
 */
export class DeadlineSweep<T> {
  readonly #timeoutMs: number;
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
    now: () => number = () => performance.now(),
  ) {
    this.#timeoutMs = timeoutMs;
    this.#queue = queue;
    this.#startedAt = startedAt;
    this.#expire = expire;
    this.#now = now;
  }

  /** An item was added to the queue: makes sure a sweep is due. */
  arm(): void {
    this.#timer ??= setTimeout(() => this.#sweep(), this.#timeoutMs).unref();
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
        this.#timer = setTimeout(() => this.#sweep(), startedAt - deadline).unref();
        return;
      }
      this.#expire(item);
      this.#queue.delete(item);
    }
  }
}

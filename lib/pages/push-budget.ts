import type { Logger } from '../logger.js';

/** How often the budget's warning may be logged. */
const WARN_EVERY_MS = 60_000;

/**
 * The bytes of pushes kept for every page and tombstone together (`maxTotalBufferedBytes`). Each
 * page's outbox reports its changes here (`change`), so the count can only be right.
 */
export class PushBudget {
  readonly limit: number;
  readonly #logger: Logger;
  #bytes = 0;
  #warnedAt = -Infinity;

  constructor(limit: number, logger: Logger) {
    this.limit = limit;
    this.#logger = logger;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get exceeded(): boolean {
    return this.#bytes > this.limit;
  }

  /** Given to every outbox: hears each change of the bytes it keeps. */
  readonly change = (delta: number): void => {
    this.#bytes += delta;
  };

  /** Says once a minute at most that pages expire for the budget: each page is logged as it closes. */
  warnExceeded(): void {
    const now = performance.now();
    if (now - this.#warnedAt < WARN_EVERY_MS) return;
    this.#warnedAt = now;
    this.#logger.warn(
      `pushes kept for pages take more than maxTotalBufferedBytes (${this.limit} bytes): ` +
        'disconnected pages that push more expire',
    );
  }
}

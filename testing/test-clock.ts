/**
 * The clock of a test's pages: their scripts' `setTimeout`/`setInterval` and `Date` read it, and
 * it moves only when the test says (`page.clock.tick(ms)`). @sinonjs/fake-timers keeps the time
 * and the timers due; nothing else in the process is faked (the host's own timers, the test
 * runner's, the DOM's stay real).
 */
import { createClock } from '@sinonjs/fake-timers';
import type { SandboxClock } from '../runner/sandbox/api.js';

type FakeTimersClock = ReturnType<typeof createClock>;

/** What a test sees of its pages' clock. */
export interface PageClock {
  /** The scripts' time now, in ms since the epoch (their `Date.now()`). */
  now(): number;
  /**
   * Moves the scripts' time on by `ms`, running every timer due on the way (in order, promises
   * settled between them), then waits until what they sent has reached the pages.
   */
  tick(ms: number): Promise<void>;
}

export class TestClock {
  readonly #clock: FakeTimersClock;
  /** Handed to the sandboxes: numbers for timers, so nothing else crosses vm2's bridge. */
  readonly sandbox: SandboxClock;

  constructor(start: number) {
    const clock = createClock(start);
    this.#clock = clock;
    const idOf = (timer: unknown): number => Number(timer);
    this.sandbox = {
      now: () => clock.now,
      setTimeout: (callback, ms) => idOf(clock.setTimeout(callback, ms)),
      setInterval: (callback, ms) => idOf(clock.setInterval(callback, ms)),
      clear: (timer) => clock.clearTimeout(timer as unknown as ReturnType<FakeTimersClock['setTimeout']>),
    };
  }

  now(): number {
    return this.#clock.now;
  }

  /** Runs the timers due within `ms`. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock.tick(ms): ms must be a number >= 0, got ${ms}`);
    await this.#clock.tickAsync(ms);
  }
}

import type { TestContext } from 'node:test';

type ClockApi = 'setTimeout' | 'setInterval' | 'Date';

/** A faked clock: time moves only by `tick(ms)`. */
export interface FakeClock {
  tick(ms: number): void;
  /** Back to the real clock (also done when the test ends). */
  restore(): void;
}

/**
 * Fakes this thread's clock (node:test's `mock.timers`) for the server code a test drives, from
 * the current time on: a limit judged by the clock is then exact, however slow the machine.
 *
 * One guard is added. `mock.timers` clears a timer by its place in its own queue, whatever the
 * timer: a timer it did not make (one an HTTP connection set before, and clears now) would take
 * another timer out of the queue, and a real one would never be cleared. So a timer this clock
 * did not make is cleared by the real functions.
 */
export function fakeClock(t: TestContext, apis: readonly ClockApi[]): FakeClock {
  const real = { clearTimeout: globalThis.clearTimeout, clearInterval: globalThis.clearInterval };
  t.mock.timers.enable({ apis: [...apis], now: Date.now() });
  const made = new WeakSet<object>();
  const { setTimeout, setInterval, clearTimeout, clearInterval } = globalThis;
  const fake = { setTimeout, setInterval, clearTimeout, clearInterval };
  const track = <T extends object>(timer: T): T => {
    made.add(timer);
    return timer;
  };
  const clearWith = (fakeClear: (timer: never) => void, realClear: (timer: never) => void) => (timer: unknown) => {
    const ours = typeof timer === 'object' && timer !== null && made.has(timer);
    return ours ? fakeClear(timer as never) : realClear(timer as never);
  };
  if (apis.includes('setTimeout')) {
    const tracked = (...args: Parameters<typeof setTimeout>) => track(fake.setTimeout(...args));
    globalThis.setTimeout = tracked as typeof setTimeout;
    globalThis.clearTimeout = clearWith(fake.clearTimeout, real.clearTimeout) as typeof clearTimeout;
  }
  if (apis.includes('setInterval')) {
    const tracked = (...args: Parameters<typeof setInterval>) => track(fake.setInterval(...args));
    globalThis.setInterval = tracked as typeof setInterval;
    globalThis.clearInterval = clearWith(fake.clearInterval, real.clearInterval) as typeof clearInterval;
  }
  return {
    tick: (ms) => t.mock.timers.tick(ms),
    // Puts back the functions it had when enabled: the real ones.
    restore: () => t.mock.timers.reset(),
  };
}

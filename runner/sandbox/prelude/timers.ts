/**
 * Timers in the sandbox. The host's own functions are kept here before the sandbox's globals
 * are replaced by guarded ones: a callback that throws is reported, never a crash of the host.
 * Timers that module code starts (a partial's top level, outside any page) are tracked so that
 * disposing of the sandbox stops them; a page's own timers are its own (page-globals.ts).
 */
import { boot, sandboxGlobals } from './boot.js';
import { guard } from './errors.js';

export type Timer = ReturnType<typeof setTimeout>;
export type Callback = (...args: unknown[]) => unknown;

export const hostSetTimeout = setTimeout;
export const hostSetInterval = setInterval;
export const hostClearTimeout = clearTimeout;
export const hostClearInterval = clearInterval;

/** What a page's own timers run on: the host's clock, or the fake one `pagewire/testing` moves. */
export interface PageTimers {
  setTimeout(fn: () => void, ms?: number): Timer;
  setInterval(fn: () => void, ms?: number): Timer;
  clearTimeout(timer: Timer): void;
  clearInterval(timer: Timer): void;
}

const fakeClock = boot.clock;
// A fake clock's timers are numbers; a page keeps them as it keeps the host's.
export const pageTimers: PageTimers = fakeClock
  ? {
      setTimeout: (fn, ms) => fakeClock.setTimeout(fn, Number(ms) || 0) as unknown as Timer,
      setInterval: (fn, ms) => fakeClock.setInterval(fn, Number(ms) || 0) as unknown as Timer,
      clearTimeout: (timer) => fakeClock.clear(timer as unknown as number),
      clearInterval: (timer) => fakeClock.clear(timer as unknown as number),
    }
  : {
      setTimeout: hostSetTimeout,
      setInterval: hostSetInterval,
      clearTimeout: hostClearTimeout,
      clearInterval: hostClearInterval,
    };

const moduleTimers = new Set<Timer>();
const moduleIntervals = new Set<Timer>();

/** Replaces the sandbox's timer globals, and `process.nextTick`, by guarded, tracked ones. */
export function installModuleTimers(): void {
  sandboxGlobals.setTimeout = (fn: Callback, ms?: number, ...args: unknown[]) => {
    const timer: Timer = hostSetTimeout(() => {
      moduleTimers.delete(timer);
      guard(undefined, 'TIMER_ERROR', () => fn(...args));
    }, ms);
    moduleTimers.add(timer);
    return timer;
  };
  sandboxGlobals.setInterval = (fn: Callback, ms?: number, ...args: unknown[]) => {
    const timer: Timer = hostSetInterval(() => guard(undefined, 'TIMER_ERROR', () => fn(...args)), ms);
    moduleIntervals.add(timer);
    return timer;
  };
  sandboxGlobals.clearTimeout = (timer: Timer | undefined) => {
    if (timer === undefined) return;
    moduleTimers.delete(timer);
    hostClearTimeout(timer);
  };
  sandboxGlobals.clearInterval = (timer: Timer | undefined) => {
    if (timer === undefined) return;
    moduleIntervals.delete(timer);
    hostClearInterval(timer);
  };
  if (typeof setImmediate === 'function') {
    const hostSetImmediate = setImmediate;
    sandboxGlobals.setImmediate = (fn: Callback, ...args: unknown[]) =>
      hostSetImmediate(() => guard(undefined, 'TIMER_ERROR', () => fn(...args)));
  }
  if (typeof queueMicrotask === 'function') {
    const hostQueueMicrotask = queueMicrotask;
    sandboxGlobals.queueMicrotask = (fn: () => unknown) =>
      hostQueueMicrotask(() => guard(undefined, 'TIMER_ERROR', fn));
  }
  const hostNextTick = process.nextTick;
  (process as unknown as Record<string, unknown>).nextTick = (fn: Callback, ...args: unknown[]) =>
    hostNextTick(() => guard(undefined, 'TIMER_ERROR', () => fn(...args)));
}

/**
 * With a fake clock, the sandbox's `Date` tells its time: `Date.now()`, `new Date()` and `Date()`.
 * The realm's own prototype and methods, so that `instanceof Date` and subclasses keep working.
 */
export function installClockDate(): void {
  const clock = fakeClock;
  if (!clock) return;
  const RealDate = Date;
  function ClockDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(clock?.now() ?? RealDate.now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [clock?.now() ?? RealDate.now()] : args, new.target);
  }
  Object.defineProperties(ClockDate, {
    prototype: { value: RealDate.prototype },
    now: { value: () => clock.now(), writable: true, configurable: true },
    parse: { value: RealDate.parse, writable: true, configurable: true },
    UTC: { value: RealDate.UTC, writable: true, configurable: true },
  });
  sandboxGlobals.Date = ClockDate;
}

/** Stops every timer module code started: the sandbox is being let go. */
export function disposeModuleTimers(): void {
  for (const timer of moduleTimers) hostClearTimeout(timer);
  for (const timer of moduleIntervals) hostClearInterval(timer);
  moduleTimers.clear();
  moduleIntervals.clear();
}

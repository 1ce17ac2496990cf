/**
 * Timers in the sandbox. The host's own functions are kept here before the sandbox's globals
 * are replaced by guarded ones: a callback that throws is reported, never a crash of the host.
 * Timers that module code starts (a partial's top level, outside any page) are tracked so that
 * disposing of the sandbox stops them; a page's own timers are its own (page-globals.ts).
 */
import { sandboxGlobals } from './boot.js';
import { guard } from './errors.js';

export type Timer = ReturnType<typeof setTimeout>;
export type Callback = (...args: unknown[]) => unknown;

export const hostSetTimeout = setTimeout;
export const hostSetInterval = setInterval;
export const hostClearTimeout = clearTimeout;
export const hostClearInterval = clearInterval;

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

/** Stops every timer module code started: the sandbox is being let go. */
export function disposeModuleTimers(): void {
  for (const timer of moduleTimers) hostClearTimeout(timer);
  for (const timer of moduleIntervals) hostClearInterval(timer);
  moduleTimers.clear();
  moduleIntervals.clear();
}

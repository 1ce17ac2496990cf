import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { consoleLogger, type Logger } from './logger.js';

/** Options of `pagewire()`. Every one but `dir` has a default, given here. */
export interface PagewireOptions {
  /** The scripts folder, served like a PHP document root. */
  dir: string;
  /** Development mode: error details and code frames reach the browser. Default `false`. */
  dev?: boolean;
  /**
   * Origins allowed to open the page socket, such as `'https://example.com'`. Default: only the
   * origin whose host is the request's own `Host` (cross-site WebSocket hijacking is refused).
   */
  allowedOrigins?: readonly string[];
  /** A live page that never connects is closed after this many ms. Default 15,000. */
  connectTimeout?: number;
  /** A render still running after this many ms answers 500 (an await that never settles). Default 30,000. */
  renderTimeout?: number;
  /** A page whose socket dropped is kept this many ms for it to come back. Default 30,000. */
  disconnectGrace?: number;
  /** Largest socket message accepted from a browser, in bytes. Default 65,536. */
  maxMessageSize?: number;
  /**
   * Pushes kept for a page until its browser acknowledges them (while it is disconnected, or
   * four times as many in flight while connected). Past either bound the page expires. Default 1,000.
   */
  maxBufferedPushes?: number;
  /** The same bound in bytes. Default 1,048,576. */
  maxBufferedBytes?: number;
  /**
   * Pushes kept for every page together, in bytes (counted as JSON text, like
   * `maxBufferedBytes`). Past it, what closed pages kept for their browser is dropped first, then
   * a disconnected page that pushes more expires. Pages connected or not yet connected are never
   * expired by it. Default 268,435,456 (256 MiB).
   */
  maxTotalBufferedBytes?: number;
  /** Live pages one browser session may hold; past it its oldest unconnected page closes, else 429. Default 64. */
  maxPagesPerSession?: number;
  /** Live pages in all; past it the oldest unconnected, then disconnected, page closes, else 503. Default 100,000. */
  maxPages?: number;
  /** Pages rendered and never connected; past it the oldest closes (rendering never fails). Default 10,000. */
  maxPendingPages?: number;
  /** Disconnected pages kept for their browser to come back; past it the oldest closes. Default 10,000. */
  maxDisconnectedPages?: number;
  /** Client events per second on one socket; past it events are refused (RATE_LIMITED). Default 200. */
  maxEventsPerSecond?: number;
  /** Events waiting in one page's mailbox; past it events are refused (QUEUE_FULL). Default 100. */
  maxQueuedEvents?: number;
  /** A page with no client event for this many ms closes; 0 turns the limit off. Default 0. */
  idleTimeout?: number;
  /** Socket heartbeat, ms: server pings, client pings; a side that hears nothing reconnects or drops. Default 10,000. */
  heartbeatInterval?: number;
  /** Largest request body read for `request.body`, in bytes. Default 1,048,576. */
  maxBodySize?: number;
  /** Built-in modules scripts may not import. Default: `DEFAULT_FORBIDDEN_MODULES`. */
  forbiddenModules?: readonly string[];
  /** Name of the HttpOnly session cookie. Default `'pagewire_sid'`. */
  sessionCookie?: string;
  /**
   * Worker threads that run the scripts: a script stuck in a loop, or crashing, ends its worker,
   * not the server, and pages spread over them. 0 runs scripts in this thread, for debugging:
   * the same behaviour, without the containment. Default: the number of cores.
   */
  workers?: number;
  /** With workers: a render or handler holding its worker longer than this (ms) ends it. Default 2,000. */
  watchdog?: number;
  /** With workers: the heap limit of each worker, in MB. Default 512. */
  workerMemory?: number;
  /** Where logs go. Default: the console, prefixed `[pagewire]`. */
  logger?: Logger;
}

/**
 * Modules that could stop the server or step outside the sandbox. vm2 also refuses some of
 * them by itself; listing them here gives scripts a clear error instead of "Cannot find module".
 */
export const DEFAULT_FORBIDDEN_MODULES: readonly string[] = Object.freeze([
  'child_process',
  'cluster',
  'worker_threads',
  'vm',
  'inspector',
  'module',
  'process',
  'repl',
  'trace_events',
  'wasi',
  'v8',
]);

export type ResolvedOptions = Readonly<Required<PagewireOptions>>;

const POSITIVE_NUMBERS = [
  'connectTimeout',
  'renderTimeout',
  'disconnectGrace',
  'maxMessageSize',
  'maxBodySize',
  'maxBufferedPushes',
  'maxBufferedBytes',
  'maxTotalBufferedBytes',
  'maxPagesPerSession',
  'maxPages',
  'maxPendingPages',
  'maxDisconnectedPages',
  'maxEventsPerSecond',
  'maxQueuedEvents',
  'heartbeatInterval',
  'watchdog',
  'workerMemory',
] as const;

/** Node's timers fire at once past 2^31 - 1 ms: durations are checked against it. */
export const MAX_TIMER = 2 ** 31 - 1;
const DURATIONS = new Set<string>(['connectTimeout', 'renderTimeout', 'disconnectGrace', 'heartbeatInterval']);

/** Checks `options` once and fills every default; throws at once on misuse. */
export function resolveOptions(options: PagewireOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir === '') {
    throw new TypeError("pagewire(): the 'dir' option is required: the folder of your scripts, e.g. pagewire({ dir: 'scripts' })");
  }
  const dir = path.resolve(options.dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new Error(`pagewire(): the scripts folder '${dir}' does not exist or is not a folder`);
  for (const name of POSITIVE_NUMBERS) {
    const value = options[name];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`pagewire(): '${name}' must be a positive number, got ${String(value)}`);
    }
    if (value !== undefined && DURATIONS.has(name) && value > MAX_TIMER) {
      throw new RangeError(`pagewire(): '${name}' is at most ${MAX_TIMER} ms (about 24.8 days: Node's timer limit), got ${value}`);
    }
  }
  for (const origin of options.allowedOrigins ?? []) {
    if (!/^https?:\/\/[^/]+$/.test(origin)) {
      throw new TypeError(`pagewire(): allowedOrigins entries look like 'https://example.com' (scheme and host, no path), got '${origin}'`);
    }
  }
  if (options.sessionCookie !== undefined && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(options.sessionCookie)) {
    throw new TypeError(`pagewire(): 'sessionCookie' must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~), got '${options.sessionCookie}'`);
  }
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 0)) {
    throw new RangeError(`pagewire(): 'workers' must be 0 (scripts in this thread) or a number of worker threads, got ${String(options.workers)}`);
  }
  if (options.idleTimeout !== undefined && !(Number.isFinite(options.idleTimeout) && options.idleTimeout >= 0 && options.idleTimeout <= MAX_TIMER)) {
    throw new RangeError(`pagewire(): 'idleTimeout' must be 0 (off) or a number of ms up to ${MAX_TIMER}, got ${String(options.idleTimeout)}`);
  }
  return Object.freeze({
    dir,
    dev: options.dev ?? false,
    allowedOrigins: Object.freeze([...(options.allowedOrigins ?? [])]),
    connectTimeout: options.connectTimeout ?? 15_000,
    renderTimeout: options.renderTimeout ?? 30_000,
    disconnectGrace: options.disconnectGrace ?? 30_000,
    maxMessageSize: options.maxMessageSize ?? 64 * 1024,
    maxBufferedPushes: options.maxBufferedPushes ?? 1000,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    maxTotalBufferedBytes: options.maxTotalBufferedBytes ?? 256 * 1024 * 1024,
    maxPagesPerSession: options.maxPagesPerSession ?? 64,
    maxPages: options.maxPages ?? 100_000,
    maxPendingPages: options.maxPendingPages ?? 10_000,
    maxDisconnectedPages: options.maxDisconnectedPages ?? 10_000,
    maxEventsPerSecond: options.maxEventsPerSecond ?? 200,
    maxQueuedEvents: options.maxQueuedEvents ?? 100,
    idleTimeout: options.idleTimeout ?? 0,
    heartbeatInterval: options.heartbeatInterval ?? 10_000,
    workers: options.workers ?? availableParallelism(),
    watchdog: options.watchdog ?? 2000,
    workerMemory: options.workerMemory ?? 512,
    maxBodySize: options.maxBodySize ?? 1024 * 1024,
    forbiddenModules: Object.freeze([...(options.forbiddenModules ?? DEFAULT_FORBIDDEN_MODULES)]),
    sessionCookie: options.sessionCookie ?? 'pagewire_sid',
    logger: options.logger ?? consoleLogger,
  });
}

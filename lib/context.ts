import type { IncomingMessage } from 'node:http';
import { inspect, isDeepStrictEqual } from 'node:util';
import { copyContext } from '../runner/sandbox/codec.js';
import { randomId } from './http/session.js';

/**
 * `pagewire({ context })`: turns the app's request (Express's `req` for a render, with whatever
 * its middleware set; the socket's upgrade request after `socketMiddleware` for a join) into the
 * plain value scripts read as `request.context`. It may be async.
 *
 * Declared through a method so that its parameter is bivariant: an app may write
 * `(req: express.Request) => ({ user: req.user })`, as Express's request extends Node's.
 */
export type ContextFunction<Context extends object = object> = {
  context(req: IncomingMessage): Context | Promise<Context>;
}['context'];

/** What a render or a socket got from the `context` function: the value, cloned, or why not. */
export type ContextResult = { ok: true; value: object } | { ok: false; error: ContextError };

/** The `context` function threw, or returned something scripts cannot be given. */
export class ContextError extends Error {
  /** For Express's error handling (`renderErrors: 'next'`): the app's own failure, a 500. */
  readonly status = 500;
  readonly expose = false;
  readonly code = 'CONTEXT_FAILED';
  /** Names the failure in the log, and in what a browser is told of it outside dev. */
  readonly requestId = randomId().slice(0, 10);

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ContextError';
    // The stack that helps is the app's function's own; without one, Pagewire's frames would
    // only mislead (the message says where in the returned value to look).
    const frames = cause instanceof Error && cause.stack ? `\n${stackFrames(cause.stack)}` : '';
    this.stack = `${this.name}: ${message}${frames}`;
  }
}

/**
 * What a browser is told of a failed context. In dev, everything: the message and the stack.
 * Otherwise what failed and where to look, not the app's error text: the function reads
 * sessions and databases, and its errors carry their addresses and queries
 * (`connect ECONNREFUSED 10.0.0.5:6379`); the log has them, under the request id.
 */
export function contextErrorForBrowser(error: ContextError, dev: boolean): { message: string; detail?: string } {
  if (dev) return { message: error.message, ...(error.stack ? { detail: error.stack } : {}) };
  return {
    message:
      `the app's context function (pagewire({ context })) failed for this request: the server log ` +
      `has the error under request ${error.requestId}`,
  };
}

/** Without the option, every page's context is an empty object (`request.context.user` is `undefined`). */
const NO_CONTEXT: object = Object.freeze({});

/**
 * Runs the app's `context` function for `req`. Only a value the host's `structuredClone` accepts
 * is kept, as the codec's copy (`copyContext`): what a script reads, what a page is compared
 * with on its socket and what `wire.closePages` is shown are the same plain data (`NaN` and
 * `Infinity` become `null` in all three), and none of it is the app's live object (which the app
 * may change afterwards).
 */
export async function computeContext(
  context: ContextFunction | undefined,
  req: IncomingMessage,
): Promise<ContextResult> {
  if (!context) return { ok: true, value: NO_CONTEXT };
  // Express's originalUrl: mounted at /app, the browser asked for /app/dash, not /dash.
  const url = (req as { originalUrl?: unknown }).originalUrl;
  const where = `${req.method ?? 'GET'} ${typeof url === 'string' ? url : (req.url ?? '/')}`;
  let value: unknown;
  try {
    value = await context(req);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failed(`pagewire({ context }): the context function threw for ${where}: ${message}`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return failed(
      `pagewire({ context }): the context function must return an object, such as { user: req.user }, ` +
        `got ${show(value)} for ${where}`,
    );
  }
  try {
    // The check is the host's structuredClone (it refuses what is not plain data: functions,
    // Promises, WeakMaps, sockets); what is kept is the codec's copy, the one the script is sent.
    structuredClone(value);
    return { ok: true, value: copyContext(value) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // No cause: its stack is structuredClone's, inside Pagewire; the path says where to look.
    return failed(
      `pagewire({ context }): the context function returned a value that cannot be cloned for ${where}: ` +
        `${unclonableAt(value, 'context')} (${message}). Return plain data (objects, arrays, strings, numbers, ` +
        'Dates, Maps, Sets), such as { user: { id: user.id, name: user.name } }: not functions, sockets or ' +
        'database connections',
    );
  }
}

/**
 * Where in `value` the first member structuredClone refuses sits: `context.user.save`, or the
 * object itself when none of its members is to blame (a Promise, a WeakMap, a socket).
 */
function unclonableAt(value: unknown, path: string, seen = new Set<object>()): string {
  if (typeof value !== 'object' || value === null) return path;
  if (seen.has(value)) return path;
  seen.add(value);
  const members: Array<[string, unknown]> =
    value instanceof Map
      ? [...value].map(([key, member]) => [`${path}.get(${show(key)})`, member])
      : value instanceof Set
        ? [...value].map((member, index) => [`${path} (a Set's member ${index})`, member])
        : Object.entries(value).map(([key, member]) => [`${path}${accessor(key, Array.isArray(value))}`, member]);
  for (const [where, member] of members) {
    if (clonable(member)) continue;
    return unclonableAt(member, where, seen);
  }
  return path;
}

/** `.name`, `[1]` in an array, `["odd key"]`. */
function accessor(key: string, inArray: boolean): string {
  if (inArray && /^\d+$/.test(key)) return `[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function clonable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The same context? Two clones compared by value (`util.isDeepStrictEqual`): key order does not
 * matter, Dates compare by time, Maps and Sets by their entries.
 */
export function sameContext(a: object, b: object): boolean {
  return isDeepStrictEqual(a, b);
}

function failed(message: string, cause?: unknown): ContextResult {
  return { ok: false, error: new ContextError(message, cause) };
}

function show(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity });
}

function stackFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

/**
 * `shared`, per page: the store every page of the site shares (lib/shared/). A call is checked
 * here, where its error points at the script's line, then sent through the port as one
 * `SharedOp`; its answer comes back through `SandboxApi.sharedAnswer` and settles the promise.
 *
 * The flood bound: a page has at most SHARED_CALLS_IN_FLIGHT calls at the host; the others wait
 * here, in its own queue, up to MAX_QUEUED_SHARED_CALLS, past which a call rejects at once
 * (SHARED_QUEUE_FULL). A page that floods fills only its own queue.
 */
import type { Json } from '../api.js';
import type { ScriptShared } from '../script-globals.js';
import { sharedJsonText } from '../../../lib/shared/json-value.js';
import {
  callName,
  MAX_QUEUED_SHARED_CALLS,
  SHARED_CALLS_IN_FLIGHT,
  sharedOpProblem,
  type SharedAnswer,
  type SharedErrorCode,
  type SharedOp,
} from '../../../lib/shared/shared-op.js';
import { boot, port } from './boot.js';
import { inPage, isTracked } from './current-page.js';
import type { PageState } from './pages.js';

interface Call {
  op: SharedOp;
  /** Made when the script called: a failure is this error, its stack at the script's line. */
  site: Error & { code?: SharedErrorCode };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface PageCalls {
  page: PageState;
  next: number;
  inFlight: Map<number, Call>;
  waiting: Call[];
}

/** Pages whose code may still call, by id: until their close hooks settled. */
const calls = new Map<string, PageCalls>();
const limits = { maxSharedKeyBytes: boot.maxSharedKeyBytes, maxSharedValueBytes: boot.maxSharedValueBytes };

export function makeShared(page: PageState): ScriptShared {
  const call = (make: () => SharedOp) => hostCall(page, make);
  return Object.freeze({
    get: (k: string) => call(() => ({ op: 'get', key: key(k, 'get') })),
    set: (k: string, value: unknown, opts?: { ttl?: number }) =>
      call(() => {
        const { ttl } = options(opts, 'set');
        const op: SharedOp = { op: 'set', key: key(k, 'set'), value: text('set', k, value) };
        return ttl === undefined ? op : { ...op, ttl };
      }),
    delete: (k: string) => call(() => ({ op: 'delete', key: key(k, 'delete') })),
    incr: (k: string, by: number = 1) => call(() => ({ op: 'incr', key: key(k, 'incr'), by })),
    push: (k: string, value: unknown, opts?: { max?: number; ttl?: number }) =>
      call(() => {
        const { max, ttl } = options(opts, 'push');
        const op: SharedOp = { op: 'push', key: key(k, 'push'), value: text('push', k, value) };
        return { ...op, ...(max === undefined ? {} : { max }), ...(ttl === undefined ? {} : { ttl }) };
      }),
    list: (k: string, start: number = 0, end: number = -1) =>
      call(() => ({ op: 'list', key: key(k, 'list'), start, end })),
  }) as ScriptShared;
}

/**
 * One call of `page` to the host, answered through `sharedAnswer`: `shared`'s, and `include()`'s
 * (include.ts), which travels as a shared call the host takes before its store.
 */
// Async: its promise is the realm's own, whose rejection, if nobody handles it, reaches the
// thread's failure guard (file:line). vm2's sandbox `Promise` hides an unhandled one.
export async function hostCall(page: PageState, make: () => SharedOp): Promise<unknown> {
  const op = make();
  const problem = sharedOpProblem(op, limits);
  if (problem) throw sharedError(new Error(), problem.code, problem.message);
  // Made on the page's first call: a page that never calls costs its render nothing more.
  let own = calls.get(page.id);
  if (!own && isTracked(page)) {
    own = { page, next: 0, inFlight: new Map(), waiting: [] };
    calls.set(page.id, own);
  }
  if (!own || own.page !== page) {
    const message = `${callName(op)}: this page is closed and its close hooks have ended: await shared calls in them`;
    throw sharedError(new Error(), 'SHARED_PAGE_CLOSED', message);
  }
  if (own.inFlight.size >= SHARED_CALLS_IN_FLIGHT && own.waiting.length >= MAX_QUEUED_SHARED_CALLS) {
    const message =
      `${callName(op)}: this page has ${SHARED_CALLS_IN_FLIGHT} shared calls in flight and ` +
      `${MAX_QUEUED_SHARED_CALLS} waiting, the most one page may. Await calls before making more, ` +
      'or write one value rather than many keys';
    throw sharedError(new Error(), 'SHARED_QUEUE_FULL', message);
  }
  const calling = own;
  return await new Promise((resolve, reject) => {
    const pending: Call = { op, site: new Error(), resolve, reject };
    if (calling.inFlight.size < SHARED_CALLS_IN_FLIGHT) send(calling, pending);
    else calling.waiting.push(pending);
  });
}

const key = (value: unknown, op: string): string => {
  if (typeof value === 'string') return value;
  throw new TypeError(`shared.${op}(): the key must be a string, got ${value === null ? 'null' : typeof value}`);
};
const options = <T extends object>(value: T | undefined, op: string): Partial<T> => {
  if (value === undefined) return {};
  if (value !== null && typeof value === 'object') return value;
  throw new TypeError(`shared.${op}(): the options must be an object, such as { ttl: 60000 }`);
};
const text = (op: 'set' | 'push', k: string, value: unknown) => sharedJsonText(value, callName({ op, key: k }));

function send(own: PageCalls, pending: Call): void {
  const callId = ++own.next;
  own.inFlight.set(callId, pending);
  port('shared', own.page.id, callId, JSON.stringify(pending.op) as Json<SharedOp>);
}

/** The host's answer to a call; one for a page gone meanwhile is dropped. */
export function sharedAnswer(pageId: string, callId: number, answerJson: Json<SharedAnswer>): void {
  const own = calls.get(pageId);
  const pending = own?.inFlight.get(callId);
  if (!own || !pending) return;
  own.inFlight.delete(callId);
  const answer = JSON.parse(answerJson) as SharedAnswer;
  inPage(own.page, () => {
    if (!answer.ok) pending.reject(sharedError(pending.site, answer.code, answer.message));
    else if (answer.json === undefined) pending.resolve(undefined);
    else settleJson(pending, answer.json);
    const next = own.waiting.shift();
    if (next) send(own, next);
  });
}

/** A store's answer is parsed here: one that is not JSON (a store gone wrong) rejects, never throws at the host. */
function settleJson(pending: Call, json: string): void {
  try {
    pending.resolve(JSON.parse(json));
  } catch {
    const message = `${callName(pending.op)}: the shared store answered what is not JSON`;
    pending.reject(sharedError(pending.site, 'SHARED_UNAVAILABLE', message));
  }
}

/**
 * The page's close hooks settled: it makes no more calls, answers to those in flight are dropped,
 * and those still waiting are never sent (a page's calls are awaited in its code, hooks included).
 */
export function endShared(page: PageState): void {
  calls.delete(page.id);
}

function sharedError(error: Error & { code?: SharedErrorCode }, code: SharedErrorCode, message: string): Error {
  error.message = message;
  error.code = code;
  // Formatted here, in the sandbox, with its message: the host's failure guard reads the text of a
  // rejection nobody handled, and cannot format a sandbox's stack itself.
  void error.stack;
  return error;
}

/**
 * What a `shared` call is once it leaves the script: one plain-data operation (`SharedOp`) and
 * its answer (`SharedAnswer`), so that it can cross a worker's port, or a cluster's IPC to a store
 * in the primary process, as it is. Values travel as JSON text, made once by the caller.
 *
 * The meaning of each operation is Redis's (GET, SET with PX, DEL, INCRBY, RPUSH + LTRIM + PEXPIRE
 * in MULTI, LRANGE), so that a store on Redis answers exactly as `MemoryStore` does.
 */

import { utf8Bytes } from '../../runner/sandbox/utf8-bytes.js';

export type SharedOp =
  | { op: 'get'; key: string }
  /** `value`: JSON text. Without `ttl`, a TTL the key had is cleared (as Redis SET). */
  | { op: 'set'; key: string; value: string; ttl?: number }
  | { op: 'delete'; key: string }
  | { op: 'incr'; key: string; by: number }
  /** `value`: JSON text. `max`: keep the last `max` items. `ttl`: the list's, set anew. */
  | { op: 'push'; key: string; value: string; max?: number; ttl?: number }
  /** LRANGE: `end` inclusive, negative indexes from the end. */
  | { op: 'list'; key: string; start: number; end: number };

export type SharedErrorCode =
  /** A list read with `get` or `incr`ed, a plain value pushed to (Redis's WRONGTYPE). */
  | 'SHARED_WRONG_TYPE'
  /** `incr` of a key that holds no integer, or past the safe integers. */
  | 'SHARED_NOT_INTEGER'
  | 'SHARED_KEY_TOO_LARGE'
  | 'SHARED_VALUE_TOO_LARGE'
  /** The store holds `maxSharedBytes` already. */
  | 'SHARED_STORE_FULL'
  /** A call that is not one the API makes (a wrong argument, or a forged message). */
  | 'SHARED_BAD_CALL'
  /** The page has `MAX_QUEUED_SHARED_CALLS` calls waiting already. */
  | 'SHARED_QUEUE_FULL'
  /** The page's instance ended (its close hooks settled): it makes no more calls. */
  | 'SHARED_PAGE_CLOSED'
  /** The store is closed (the server shuts down), or failed. */
  | 'SHARED_UNAVAILABLE';

/**
 * `json`: the JSON text of what the caller's promise resolves to; absent for `undefined` (a `get`
 * of a missing key, a `set`). A `list` answers the JSON text of the array of its items.
 */
export type SharedAnswer = { ok: true; json?: string } | SharedFailure;
export type SharedFailure = { ok: false; code: SharedErrorCode; message: string };

/** Where shared data lives: in this process (`MemoryStore`), or another (the cluster's primary). */
export interface SharedStore {
  /** Runs one operation, atomically. Never rejects: a failure is an answer. */
  run(op: SharedOp): Promise<SharedAnswer>;
  /** Releases what the store holds (timers, connections). Later calls answer SHARED_UNAVAILABLE. */
  close(): Promise<void>;
}

export interface SharedLimits {
  maxSharedKeyBytes: number;
  maxSharedValueBytes: number;
}

/**
 * The flood bound: a page has at most this many calls at the host at once; its others wait in
 * its own queue in the sandbox. The host takes calls in the order they come, so another page's
 * call waits behind at most this many of a flooding page's.
 */
export const SHARED_CALLS_IN_FLIGHT = 16;
/** Calls one page may have waiting behind those in flight; past it a call rejects (SHARED_QUEUE_FULL). */
export const MAX_QUEUED_SHARED_CALLS = 1000;

export const failure = (code: SharedErrorCode, message: string): SharedFailure => ({ ok: false, code, message });

/** How a call is named in errors: `shared.set('cart:1')`. */
export function callName(op: Pick<SharedOp, 'op' | 'key'>, prefix = 'shared'): string {
  const key = op.key.length > 40 ? `${op.key.slice(0, 40)}...` : op.key;
  return `${prefix}.${op.op}(${JSON.stringify(key)})`;
}

/**
 * What is wrong with `op`'s sizes and numbers, or nothing: called in the sandbox before a call is
 * sent (the error then points at the script's line) and again by the host, which never trusts a
 * runner's message, and by any store's front (a cluster's primary).
 */
export function sharedOpProblem(op: SharedOp, limits: SharedLimits, prefix = 'shared'): SharedFailure | undefined {
  const name = callName(op, prefix);
  const keyBytes = utf8Bytes(op.key);
  if (keyBytes > limits.maxSharedKeyBytes) {
    return failure(
      'SHARED_KEY_TOO_LARGE',
      `${name}: the key is ${keyBytes} bytes, past maxSharedKeyBytes (${limits.maxSharedKeyBytes}). ` +
        'Use a shorter key (a hash of a long one), or raise maxSharedKeyBytes',
    );
  }
  if (op.op === 'set' || op.op === 'push') {
    const valueBytes = utf8Bytes(op.value);
    if (valueBytes > limits.maxSharedValueBytes) {
      return failure(
        'SHARED_VALUE_TOO_LARGE',
        `${name}: the value is ${valueBytes} bytes as JSON, past maxSharedValueBytes ` +
          `(${limits.maxSharedValueBytes}). Keep less in one key (split it, or keep it in a database), ` +
          'or raise maxSharedValueBytes',
      );
    }
  }
  const whole = (label: string, value: number | undefined, least: number | undefined, optional: boolean) => {
    if (value === undefined && optional) return undefined;
    if (Number.isSafeInteger(value) && (least === undefined || (value as number) >= least)) return undefined;
    const must = least === undefined ? 'a whole number' : `a whole number, at least ${least}`;
    return failure('SHARED_BAD_CALL', `${name}: ${label} must be ${must}, got ${String(value)}`);
  };
  switch (op.op) {
    case 'set':
      return whole('ttl (milliseconds)', op.ttl, 1, true);
    case 'incr':
      return Number.isSafeInteger(op.by)
        ? undefined
        : failure(
            'SHARED_NOT_INTEGER',
            `${name}: the increment must be a whole number (as Redis INCRBY), got ${String(op.by)}`,
          );
    case 'push':
      return whole('max', op.max, 1, true) ?? whole('ttl (milliseconds)', op.ttl, 1, true);
    case 'list':
      return whole('start', op.start, undefined, false) ?? whole('end', op.end, undefined, false);
    default:
      return undefined;
  }
}

/**
 * A `SharedOp` out of a message nobody vouches for (a runner's, another process's): its shape,
 * its JSON, its sizes. Returns the op, rebuilt with only its own fields, or the failure to answer.
 */
export function parseSharedOp(input: unknown, limits: SharedLimits): SharedOp | SharedFailure {
  const bad = (why: string) => failure('SHARED_BAD_CALL', `a shared call was refused: ${why}`);
  if (input === null || typeof input !== 'object') return bad('not an object');
  const o = input as Record<string, unknown>;
  if (typeof o.key !== 'string') return bad('its key is not a string');
  const key = o.key;
  const num = (name: string) => (o[name] === undefined ? undefined : (o[name] as number));
  let op: SharedOp;
  switch (o.op) {
    case 'get':
    case 'delete':
      op = { op: o.op, key };
      break;
    case 'set':
    case 'push': {
      if (typeof o.value !== 'string' || !isJsonText(o.value)) return bad(`the value of '${o.op}' is not JSON text`);
      const ttl = num('ttl');
      op =
        o.op === 'set'
          ? { op: 'set', key, value: o.value, ...(ttl === undefined ? {} : { ttl }) }
          : { op: 'push', key, value: o.value, ...(ttl === undefined ? {} : { ttl }), ...maxOf(num('max')) };
      break;
    }
    case 'incr':
      op = { op: 'incr', key, by: o.by as number };
      break;
    case 'list':
      op = { op: 'list', key, start: o.start as number, end: o.end as number };
      break;
    default:
      return bad(`no operation ${JSON.stringify(o.op)}`);
  }
  for (const field of ['ttl', 'max', 'by', 'start', 'end'] as const) {
    const value = (op as Record<string, unknown>)[field];
    if (value !== undefined && typeof value !== 'number') return bad(`${field} is not a number`);
  }
  return sharedOpProblem(op, limits) ?? op;
}

const maxOf = (max: number | undefined) => (max === undefined ? {} : { max });

/** Whether `text` parses as JSON. */
export function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

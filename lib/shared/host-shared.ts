/**
 * `wire.shared`: the app's hands on the store scripts share, with values rather than JSON text,
 * held to the same checks as a script's calls.
 */
import { sharedJsonText } from './json-value.js';
import { type SharedLimits, type SharedOp, type SharedStore, sharedOpProblem, callName } from './shared-op.js';

/** The store every page shares, as the host app sees it (`wire.shared`). Values are JSON data. */
export interface SharedApi {
  /** The value, or `undefined` when the key is missing or expired. Throws SHARED_WRONG_TYPE on a list. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Sets the value; `ttl` in ms. Without `ttl` a TTL the key had is cleared (as Redis SET). */
  set(key: string, value: unknown, options?: { ttl?: number }): Promise<void>;
  /** Deletes the key; whether it existed. */
  delete(key: string): Promise<boolean>;
  /** Adds `by` (a whole number, default 1) atomically; the new value (as Redis INCRBY). */
  incr(key: string, by?: number): Promise<number>;
  /** Appends to a list, keeping its last `max` items, atomically; the list's new length. */
  push(key: string, value: unknown, options?: { max?: number; ttl?: number }): Promise<number>;
  /** Items `start` to `end` inclusive, negative from the end (Redis LRANGE); `[]` when missing. */
  list<T = unknown>(key: string, start?: number, end?: number): Promise<T[]>;
}

/** An error of a shared call: `code` says which (SharedErrorCode). */
export class SharedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SharedError';
    this.code = code;
  }
}

export function hostShared(store: SharedStore, limits: SharedLimits): SharedApi {
  const run = async (op: SharedOp): Promise<unknown> => {
    const problem = sharedOpProblem(op, limits, 'wire.shared');
    if (problem) throw new SharedError(problem.code, problem.message);
    const answer = await store.run(op);
    if (!answer.ok) throw new SharedError(answer.code, answer.message.replace(/^shared\./, 'wire.shared.'));
    return answer.json === undefined ? undefined : JSON.parse(answer.json);
  };
  const text = (op: 'set' | 'push', key: string, value: unknown) =>
    sharedJsonText(value, callName({ op, key: checkedKey(key, op) }, 'wire.shared'));
  return Object.freeze({
    get: async (key: string) => run({ op: 'get', key: checkedKey(key, 'get') }),
    set: async (key: string, value: unknown, options: { ttl?: number } = {}) => {
      await run({ op: 'set', key, value: text('set', key, value), ...ttlOf(options) });
    },
    delete: async (key: string) => run({ op: 'delete', key: checkedKey(key, 'delete') }),
    incr: async (key: string, by = 1) => run({ op: 'incr', key: checkedKey(key, 'incr'), by }),
    push: async (key: string, value: unknown, options: { max?: number; ttl?: number } = {}) =>
      run({ op: 'push', key, value: text('push', key, value), ...ttlOf(options), ...maxOf(options) }),
    list: async (key: string, start = 0, end = -1) => run({ op: 'list', key: checkedKey(key, 'list'), start, end }),
  }) as SharedApi;
}

function checkedKey(key: unknown, op: string): string {
  if (typeof key !== 'string') throw new TypeError(`wire.shared.${op}(): the key must be a string, got ${typeof key}`);
  return key;
}
const ttlOf = (options: { ttl?: number }) => (options?.ttl === undefined ? {} : { ttl: options.ttl });
const maxOf = (options: { max?: number }) => (options?.max === undefined ? {} : { max: options.max });

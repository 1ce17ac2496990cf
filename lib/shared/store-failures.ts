/**
 * The failures a store answers, in one wording whichever store holds the data (`MemoryStore`,
 * `RedisStore`): a script that moves from one machine to many reads the same errors.
 */
import { callName, failure, type SharedFailure, type SharedOp } from './shared-op.js';

const WRONG_TYPE: Record<SharedOp['op'], string> = {
  get: 'a list (made by shared.push): read it with shared.list(key)',
  incr: 'a list (made by shared.push): shared.incr counts plain values',
  list: 'a plain value (made by shared.set or shared.incr): read it with shared.get(key)',
  push:
    'a plain value (made by shared.set or shared.incr); shared.push appends to a list only: ' +
    'delete the key first, or use another key',
  // SET and DEL take a key of any kind.
  set: 'a value of another kind',
  delete: 'a value of another kind',
};

/** The key holds a list where `op` wants a plain value, or the other way round (Redis's WRONGTYPE). */
export const wrongType = (op: SharedOp): SharedFailure =>
  failure('SHARED_WRONG_TYPE', `${callName(op)}: WRONGTYPE, the key holds ${WRONG_TYPE[op.op]}`);

/** `incr` of a key whose value (`held`, its JSON text) is no integer. */
export const notInteger = (op: SharedOp, held: string): SharedFailure =>
  failure(
    'SHARED_NOT_INTEGER',
    `${callName(op)}: the key holds ${held.slice(0, 40)}, not an integer (as Redis INCRBY): count in a key of its own`,
  );

/** `incr` whose result a script could not read exactly (a JavaScript number). */
export const pastSafeIntegers = (op: SharedOp): SharedFailure =>
  failure('SHARED_NOT_INTEGER', `${callName(op)}: the result would pass the safe integers (2^53 - 1)`);

/** The store is full: `why` says how full, and against which bound. */
export const storeFull = (op: SharedOp, why: string, fix: string): SharedFailure =>
  failure(
    'SHARED_STORE_FULL',
    `${callName(op)}: ${why}. Delete keys nobody needs, give them a ttl, cap lists with max, or ${fix}`,
  );

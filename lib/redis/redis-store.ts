/**
 * The shared store on Redis: each `shared` operation is one Redis command, or one Lua script
 * where an operation is several commands, so that it is atomic there across every process of
 * every machine. Keys live under the site's prefix (`<prefix>shared:<key>`); values are the JSON
 * texts the scripts' calls carry, so `redis-cli` reads them as they are.
 *
 * `push` and `incr` are Lua, not MULTI: inside MULTI a command that fails (WRONGTYPE) does not
 * stop the others, so a push onto a plain value would still set its TTL; a script that fails
 * stops before it writes anything. The store's size is Redis's to bound (`maxmemory`, with the
 * `noeviction` policy): `maxSharedBytes` counts only the embedded store's bytes.
 */
import type { Redis } from 'ioredis';
import {
  callName,
  failure,
  isJsonText,
  type SharedAnswer,
  type SharedOp,
  type SharedStore,
} from '../shared/shared-op.js';
import { notInteger, pastSafeIntegers, storeFull, wrongType } from '../shared/store-failures.js';

/** RPUSH, then LTRIM to the last `max` items, then PEXPIRE: one step. Answers the list's length. */
const PUSH = `
local length = redis.call('RPUSH', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  local max = tonumber(ARGV[2])
  if length > max then
    redis.call('LTRIM', KEYS[1], -max, -1)
    length = max
  end
end
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return length`;

/**
 * INCRBY, refused where a JavaScript number could not hold the result exactly (Redis would count
 * on to 2^63), and for a value that is no integer's JSON text. INCRBY keeps the key's TTL. It
 * answers the new value as text: ioredis 6 reads integer replies near 2^53 one off
 * (9007199254740991 arrives as ...992), a bulk string arrives as it is.
 */
const INCR = `
local held = redis.call('GET', KEYS[1])
if held and not (string.match(held, '^%-?[1-9]%d*$') or string.match(held, '^%-?0$')) then
  return redis.error_reply('PWNOTINTEGER ' .. string.sub(held, 1, 40))
end
local safe = 9007199254740991
local now = tonumber(held or '0')
local by = tonumber(ARGV[1])
if now > safe or now < -safe then return redis.error_reply('PWNOTINTEGER ' .. string.sub(held, 1, 40)) end
if now + by > safe or now + by < -safe then return redis.error_reply('PWPASTSAFE past 2^53') end
redis.call('INCRBY', KEYS[1], ARGV[1])
return redis.call('GET', KEYS[1])`;

interface LuaCommands {
  pagewirePush(key: string, value: string, max: string, ttl: string): Promise<number>;
  pagewireIncr(key: string, by: string): Promise<string>;
}

export class RedisStore implements SharedStore {
  readonly #redis: Redis & LuaCommands;
  readonly #prefix: string;
  /** Where Redis is, for errors (its password never shown). */
  readonly #where: string;
  #closed = false;

  /** `redis`: a connection without an offline queue, so that a call while Redis is away fails at once. */
  constructor(redis: Redis, prefix: string, where: string) {
    redis.defineCommand('pagewirePush', { numberOfKeys: 1, lua: PUSH });
    redis.defineCommand('pagewireIncr', { numberOfKeys: 1, lua: INCR });
    this.#redis = redis as Redis & LuaCommands;
    this.#prefix = `${prefix}shared:`;
    this.#where = where;
  }

  async run(op: SharedOp): Promise<SharedAnswer> {
    if (this.#closed) return failure('SHARED_UNAVAILABLE', `${callName(op)}: the shared store is closed`);
    try {
      return await this.#apply(op, this.#prefix + op.key);
    } catch (error) {
      return this.#failed(op, error);
    }
  }

  /** The connection is the caller's to close (it opened it). */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  async #apply(op: SharedOp, key: string): Promise<SharedAnswer> {
    const redis = this.#redis;
    switch (op.op) {
      case 'get': {
        const text = await redis.get(key);
        if (text === null) return { ok: true };
        return isJsonText(text) ? { ok: true, json: text } : this.#notOurs(op);
      }
      case 'set':
        await (op.ttl === undefined ? redis.set(key, op.value) : redis.set(key, op.value, 'PX', op.ttl));
        return { ok: true };
      case 'delete':
        return { ok: true, json: (await redis.del(key)) > 0 ? 'true' : 'false' };
      case 'incr':
        return { ok: true, json: await redis.pagewireIncr(key, String(op.by)) };
      case 'push': {
        const length = await redis.pagewirePush(key, op.value, String(op.max ?? ''), String(op.ttl ?? ''));
        return { ok: true, json: String(length) };
      }
      case 'list': {
        // Joined into one array's text: an item that is not JSON would change the array.
        const items = await redis.lrange(key, op.start, op.end);
        return items.every(isJsonText) ? { ok: true, json: `[${items.join(',')}]` } : this.#notOurs(op);
      }
      default: {
        const unknown: never = op;
        return failure('SHARED_BAD_CALL', `no shared operation ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** What another program wrote under the site's prefix: never handed to a script as data. */
  #notOurs(op: SharedOp): SharedAnswer {
    return failure(
      'SHARED_UNAVAILABLE',
      `${callName(op)}: Redis at ${this.#where} holds there something that is not JSON: Pagewire did not write ` +
        "it. Another program writes under the same prefix: give one of them another (the redis option's prefix)",
    );
  }

  /** Redis's error as the store's answer: the same codes and words as the embedded store's. */
  #failed(op: SharedOp, error: unknown): SharedAnswer {
    // Redis puts ERR before an error that has no code of its own.
    const message = (error instanceof Error ? error.message : String(error)).replace(/^ERR (?=PW)/, '');
    if (message.startsWith('WRONGTYPE')) return wrongType(op);
    if (message.startsWith('PWNOTINTEGER ')) return notInteger(op, message.slice('PWNOTINTEGER '.length));
    if (message.startsWith('PWPASTSAFE')) return pastSafeIntegers(op);
    if (message.startsWith('OOM')) {
      return storeFull(op, `Redis at ${this.#where} is full (its maxmemory)`, "raise Redis's maxmemory");
    }
    // Never written: Redis was away when the call came (no offline queue holds it for later).
    if (message.includes("Stream isn't writeable") || message.includes('enableOfflineQueue')) {
      return failure(
        'SHARED_UNAVAILABLE',
        `${callName(op)}: Redis at ${this.#where} is unreachable, Pagewire is reconnecting; the call was not ` +
          'made: try again later',
      );
    }
    // Written, and no answer came: whether Redis ran it, nobody knows.
    return failure(
      'SHARED_UNAVAILABLE',
      `${callName(op)}: Redis at ${this.#where} did not answer (${message}); the call may or may not have ` +
        'been made: read the key again before you repeat it',
    );
  }
}

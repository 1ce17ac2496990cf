/**
 * The shared store on a real Redis (lib/redis/redis-store.ts) answers exactly as the embedded
 * one (MemoryStore): the same operations, in a seeded random order, get the same answers, errors
 * included, so a script moved from one machine to many reads the same results. Then what only
 * Redis has: TTLs as Redis TTLs, keys under the prefix, and a call while Redis is away.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisConnections } from '../lib/redis/redis-connections.js';
import { RedisStore } from '../lib/redis/redis-store.js';
import { redisTarget } from '../lib/redis/redis-target.js';
import { MemoryStore } from '../lib/shared/memory-store.js';
import type { SharedAnswer, SharedOp } from '../lib/shared/shared-op.js';
import { waitFor } from './helpers/fixtures.js';
import { withSeededRandom } from './helpers/random.js';
import { type RedisServer, startRedis } from './helpers/redis.js';

let server: RedisServer;
let connections: RedisConnections;
let store: RedisStore;
let probe: Redis;
const outages: string[] = [];

before(async () => {
  server = await startRedis();
  const target = redisTarget({ url: server.url, prefix: 'site-a:' });
  connections = new RedisConnections(target, { down: (reason) => outages.push(`down ${reason}`), up: () => {} });
  await connections.ready;
  store = new RedisStore(connections.commands, target.prefix, target.where);
  probe = new Redis(server.url);
});
after(async () => {
  probe.disconnect();
  await connections.close();
  await server.remove();
});

const VALUES = ['1', '0', '-7', '41', '9007199254740990', '"5"', '1.5', 'true', 'null', '{"a":[1,2]}', '"kiwi"', '[]'];

/** A random operation on a few keys, so that kinds clash (a list incremented, a value pushed to). */
function randomOp(int: (n: number) => number): SharedOp {
  const key = `k${int(4)}`;
  const value = VALUES[int(VALUES.length)] as string;
  switch (int(6)) {
    case 0:
      return { op: 'get', key };
    case 1:
      return { op: 'set', key, value };
    case 2:
      return { op: 'delete', key };
    case 3:
      return { op: 'incr', key, by: [1, -1, 5, 2 ** 52][int(4)] as number };
    case 4:
      return { op: 'push', key, value, ...(int(2) ? { max: 1 + int(3) } : {}) };
    default:
      return { op: 'list', key, start: int(5) - 2, end: int(5) - 3 };
  }
}

const shape = (answer: SharedAnswer) =>
  answer.ok ? { ok: true, json: answer.json } : { ok: false, code: answer.code };

describe('shared on Redis', () => {
  it('answers every operation as the embedded store does, errors included', async (t) => {
    const memory = new MemoryStore({ maxBytes: 64 * 1024 * 1024 });
    await withSeededRandom(t, async (random) => {
      for (let i = 0; i < 2000; i++) {
        const op = randomOp(random.int);
        const [inMemory, inRedis] = [await memory.run(op), await store.run(op)];
        assert.deepEqual(shape(inRedis), shape(inMemory), `operation ${i}: ${JSON.stringify(op)}`);
        // The words too: a script reads the same error on one machine or many.
        if (!inMemory.ok && !inRedis.ok) assert.equal(inRedis.message, inMemory.message);
      }
    });
    await memory.close();
  });

  it('keeps keys under the prefix, values as their JSON text, and TTLs as Redis TTLs', async () => {
    await store.run({ op: 'set', key: 'cart:1', value: '{"items":2}', ttl: 60_000 });
    assert.equal(await probe.get('site-a:shared:cart:1'), '{"items":2}');
    const ttl = await probe.pttl('site-a:shared:cart:1');
    assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
    await store.run({ op: 'push', key: 'log', value: '"a"', max: 2, ttl: 30_000 });
    assert.ok((await probe.pttl('site-a:shared:log')) > 0);
    // INCRBY keeps a TTL; SET without one clears it (as Redis).
    await store.run({ op: 'incr', key: 'cart:1', by: 1 }).then((answer) => assert.equal(answer.ok, false));
    await store.run({ op: 'set', key: 'n', value: '1', ttl: 60_000 });
    await store.run({ op: 'incr', key: 'n', by: 1 });
    assert.ok((await probe.pttl('site-a:shared:n')) > 0);
    await store.run({ op: 'set', key: 'n', value: '1' });
    assert.equal(await probe.pttl('site-a:shared:n'), -1);
  });

  it('a push onto a plain value changes nothing, its TTL included (a Lua script, not MULTI)', async () => {
    await store.run({ op: 'set', key: 'plain', value: '"x"' });
    const answer = await store.run({ op: 'push', key: 'plain', value: '1', ttl: 5000 });
    assert.equal(answer.ok ? 'ok' : answer.code, 'SHARED_WRONG_TYPE');
    assert.equal(await probe.pttl('site-a:shared:plain'), -1);
    assert.equal(await probe.get('site-a:shared:plain'), '"x"');
  });

  it('never hands a script what another program wrote under the prefix, if it is not JSON', async () => {
    await probe.set('site-a:shared:foreign', 'not json');
    await probe.rpush('site-a:shared:foreign-list', '1', '2,{"x":1}');
    for (const op of [
      { op: 'get', key: 'foreign' },
      { op: 'list', key: 'foreign-list', start: 0, end: -1 },
    ] as const) {
      const answer = await store.run(op);
      assert.ok(!answer.ok && answer.code === 'SHARED_UNAVAILABLE', JSON.stringify(answer));
      assert.match(answer.message, /holds there something that is not JSON: Pagewire did not write it/);
    }
  });

  it('a call while Redis is away fails at once with SHARED_UNAVAILABLE, and works again once it is back', async () => {
    await server.stop();
    // Once this process knows (the connection's close): a call then is never written.
    await waitFor(() => outages.length > 0, 'the outage to be told');
    const answer = await store.run({ op: 'get', key: 'n' });
    assert.equal(answer.ok, false);
    assert.ok(!answer.ok && answer.code === 'SHARED_UNAVAILABLE', JSON.stringify(answer));
    assert.match(answer.message, /shared\.get\("n"\): Redis at redis:\/\/127\.0\.0\.1:\d+\/? .*try again later/);
    await server.start();
    if (connections.commands.status !== 'ready') await once(connections.commands, 'ready');
    assert.deepEqual(await store.run({ op: 'set', key: 'n', value: '2' }), { ok: true });
    assert.deepEqual(await store.run({ op: 'get', key: 'n' }), { ok: true, json: '2' });
  });
});

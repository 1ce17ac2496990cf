/**
 * MemoryStore (lib/shared/memory-store.ts) on its own, on a clock the test moves: Redis's meaning
 * of each operation, TTLs (expired when touched, and freed by the sweep), and the byte bound.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ITEM_OVERHEAD_BYTES, KEY_OVERHEAD_BYTES, MemoryStore, lrange } from '../../lib/shared/memory-store.js';
import { parseSharedOp, type SharedAnswer, type SharedOp } from '../../lib/shared/shared-op.js';

let time = 1_000_000;
const stores: MemoryStore[] = [];
const make = (maxBytes = 1024 * 1024) => {
  const store = new MemoryStore({ maxBytes, now: () => time });
  stores.push(store);
  return store;
};
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});
const json = (answer: SharedAnswer) => {
  assert.ok(answer.ok, JSON.stringify(answer));
  return answer.json === undefined ? undefined : JSON.parse(answer.json);
};
const code = (answer: SharedAnswer) => (answer.ok ? 'ok' : answer.code);
const v = (value: unknown) => JSON.stringify(value);

describe('MemoryStore', () => {
  it('answers as Redis: SET, GET, DEL, INCRBY, RPUSH + LTRIM, LRANGE', () => {
    const store = make();
    assert.equal(json(store.apply({ op: 'set', key: 'a', value: v({ x: [1] }) })), undefined);
    assert.deepEqual(json(store.apply({ op: 'get', key: 'a' })), { x: [1] });
    assert.equal(json(store.apply({ op: 'delete', key: 'a' })), true);
    assert.equal(json(store.apply({ op: 'delete', key: 'a' })), false);
    assert.equal(json(store.apply({ op: 'incr', key: 'n', by: 3 })), 3);
    assert.equal(json(store.apply({ op: 'incr', key: 'n', by: -5 })), -2);
    store.apply({ op: 'set', key: 'big', value: String(Number.MAX_SAFE_INTEGER) });
    assert.equal(code(store.apply({ op: 'incr', key: 'big', by: 1 })), 'SHARED_NOT_INTEGER');
    store.apply({ op: 'set', key: 'float', value: '1.5' });
    assert.equal(code(store.apply({ op: 'incr', key: 'float', by: 1 })), 'SHARED_NOT_INTEGER');
    for (let i = 1; i <= 4; i++)
      assert.equal(json(store.apply({ op: 'push', key: 'l', value: v(i), max: 3 })), Math.min(i, 3));
    assert.deepEqual(json(store.apply({ op: 'list', key: 'l', start: 0, end: -1 })), [2, 3, 4]);
    assert.equal(code(store.apply({ op: 'get', key: 'l' })), 'SHARED_WRONG_TYPE');
    assert.equal(code(store.apply({ op: 'incr', key: 'l', by: 1 })), 'SHARED_WRONG_TYPE');
    assert.equal(code(store.apply({ op: 'push', key: 'n', value: '1' })), 'SHARED_WRONG_TYPE');
    assert.equal(code(store.apply({ op: 'list', key: 'n', start: 0, end: -1 })), 'SHARED_WRONG_TYPE');
    // SET replaces a key of any type, as Redis's does.
    assert.equal(code(store.apply({ op: 'set', key: 'l', value: '1' })), 'ok');
    assert.equal(json(store.apply({ op: 'get', key: 'l' })), 1);
  });

  it('LRANGE: end inclusive, negative from the end, out of range clamped', () => {
    const items = [0, 1, 2, 3, 4];
    const cases: Array<[number, number, number[]]> = [
      [0, -1, [0, 1, 2, 3, 4]],
      [-3, -2, [2, 3]],
      [2, 2, [2]],
      [3, 1, []],
      [5, 9, []],
      [-9, 0, [0]],
      [-9, -9, []],
      [1, 99, [1, 2, 3, 4]],
      [-1, 99, [4]],
    ];
    for (const [start, end, expected] of cases)
      assert.deepEqual(lrange(items, start, end), expected, `${start}, ${end}`);
    assert.deepEqual(lrange([], 0, -1), []);
  });

  it('TTLs: a key expires when its time passed, SET without ttl clears it, INCRBY keeps it', () => {
    const store = make();
    store.apply({ op: 'set', key: 'short', value: '1', ttl: 1000 });
    store.apply({ op: 'set', key: 'cleared', value: '1', ttl: 1000 });
    store.apply({ op: 'set', key: 'cleared', value: '2' });
    store.apply({ op: 'set', key: 'counted', value: '1', ttl: 1000 });
    assert.equal(json(store.apply({ op: 'incr', key: 'counted', by: 1 })), 2);
    store.apply({ op: 'push', key: 'list', value: '1', ttl: 1000 });
    store.apply({ op: 'push', key: 'list', value: '2' });
    time += 999;
    assert.equal(json(store.apply({ op: 'get', key: 'short' })), 1);
    time += 1;
    assert.equal(json(store.apply({ op: 'get', key: 'short' })), undefined);
    assert.equal(json(store.apply({ op: 'get', key: 'cleared' })), 2);
    assert.equal(json(store.apply({ op: 'get', key: 'counted' })), undefined);
    assert.deepEqual(json(store.apply({ op: 'list', key: 'list', start: 0, end: -1 })), []);
    // An expired counter starts again from 0.
    assert.equal(json(store.apply({ op: 'incr', key: 'counted', by: 1 })), 1);
    assert.equal(json(store.apply({ op: 'delete', key: 'short' })), false);
  });

  it('the sweep frees expired keys nobody touches again, and their bytes', () => {
    const store = make();
    for (let i = 0; i < 50; i++) store.apply({ op: 'set', key: `k${i}`, value: v('x'.repeat(100)), ttl: 10 });
    store.apply({ op: 'set', key: 'kept', value: '1' });
    assert.equal(store.size, 51);
    time += 10;
    store.sweep();
    assert.equal(store.size, 1);
    assert.equal(store.bytes, KEY_OVERHEAD_BYTES + 'kept'.length + 1);
  });

  it('counts its bytes exactly, and refuses a write past maxBytes naming maxSharedBytes', () => {
    const itemBytes = ITEM_OVERHEAD_BYTES + 3;
    const store = make(KEY_OVERHEAD_BYTES + 1 + 4 * itemBytes);
    for (let i = 0; i < 4; i++) assert.equal(code(store.apply({ op: 'push', key: 'l', value: '"a"' })), 'ok');
    assert.equal(store.bytes, KEY_OVERHEAD_BYTES + 1 + 4 * itemBytes);
    const full = store.apply({ op: 'push', key: 'l', value: '"b"' });
    assert.equal(code(full), 'SHARED_STORE_FULL');
    assert.match(full.ok ? '' : full.message, /would pass maxSharedBytes/);
    // A capped push that drops as much as it adds fits.
    assert.equal(json(store.apply({ op: 'push', key: 'l', value: '"c"', max: 4 })), 4);
    store.apply({ op: 'delete', key: 'l' });
    assert.equal(store.bytes, 0);
  });

  it('parseSharedOp trusts no message: shape, JSON text, numbers and sizes', () => {
    const limits = { maxSharedKeyBytes: 8, maxSharedValueBytes: 16 };
    const refused = (input: unknown) => {
      const op = parseSharedOp(input, limits);
      return 'ok' in op ? op.code : 'ok';
    };
    assert.equal(refused({ op: 'set', key: 'a', value: '{"a":' }), 'SHARED_BAD_CALL');
    assert.equal(refused({ op: 'drop', key: 'a' }), 'SHARED_BAD_CALL');
    assert.equal(refused({ op: 'get', key: 5 }), 'SHARED_BAD_CALL');
    assert.equal(refused({ op: 'list', key: 'a', start: '0', end: 1 }), 'SHARED_BAD_CALL');
    assert.equal(refused({ op: 'push', key: 'a', value: '1', max: 0 }), 'SHARED_BAD_CALL');
    assert.equal(refused({ op: 'incr', key: 'a', by: 0.5 }), 'SHARED_NOT_INTEGER');
    assert.equal(refused({ op: 'get', key: 'ééééé' }), 'SHARED_KEY_TOO_LARGE');
    assert.equal(refused({ op: 'set', key: 'a', value: v('x'.repeat(15)) }), 'SHARED_VALUE_TOO_LARGE');
    const op = parseSharedOp({ op: 'push', key: 'a', value: '1', max: 2, extra: 'dropped' }, limits) as SharedOp;
    assert.deepEqual(op, { op: 'push', key: 'a', value: '1', max: 2 });
  });

  it('answers SHARED_UNAVAILABLE once closed', async () => {
    const store = make();
    await store.close();
    assert.equal(code(await store.run({ op: 'get', key: 'a' })), 'SHARED_UNAVAILABLE');
  });
});

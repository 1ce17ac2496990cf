/**
 * `shared`, the state every page shares (lib/shared/, prelude/shared.ts), driven through real
 * servers, with the scripts in the server's thread (`workers: 0`) and in two worker threads: the
 * same answers in both modes, Redis's meaning for every call, JSON only, and the size limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { scriptsFolder } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

const folder = scriptsFolder({
  // Every method, and LRANGE's edges, in one render: its answers as JSON.
  'calls.ts': `
const k = String(request.query.k);
const code = (p: Promise<unknown>) => p.then((v) => ['ok', v], (e) => [e.code, e.message, e instanceof Error]);
const out: Record<string, unknown> = {};
out.set = await shared.set(k + ':a', { n: 1, tags: ['x'], nested: { ok: true, none: null } });
out.get = await shared.get(k + ':a');
out.missing = await shared.get(k + ':none');
out.deleted = await shared.delete(k + ':a');
out.deletedAgain = await shared.delete(k + ':a');
out.afterDelete = await shared.get(k + ':a');
out.incr = [await shared.incr(k + ':n'), await shared.incr(k + ':n', 5), await shared.incr(k + ':n', -10)];
out.lengths = [];
for (const n of [1, 2, 3, 4, 5]) (out.lengths as number[]).push(await shared.push(k + ':l', n));
const l = (start?: number, end?: number) => shared.list(k + ':l', start, end);
out.ranges = {
  all: await l(), whole: await l(0, -1), lastTwo: await l(-2, -1), middle: await l(1, 2), reversed: await l(3, 1),
  past: await l(10, 20), before: await l(-100, 1), wide: await l(0, 100), last: await l(-1, -1), atEnd: await l(5, 5),
  beforeStart: await l(-6, -6), missing: await shared.list(k + ':nothing'),
};
out.capped = [];
for (const n of [1, 2, 3, 4, 5]) (out.capped as number[]).push(await shared.push(k + ':c', n, { max: 3 }));
out.cappedList = await shared.list(k + ':c');
out.wrongGet = await code(shared.get(k + ':l'));
out.wrongIncr = await code(shared.incr(k + ':l'));
await shared.set(k + ':v', 'text');
out.wrongPush = await code(shared.push(k + ':v', 1));
out.wrongList = await code(shared.list(k + ':v'));
out.notInteger = await code(shared.incr(k + ':v'));
out.fractionBy = await code(shared.incr(k + ':n', 1.5));
out.overwrite = [await shared.set(k + ':l', 7), await shared.get(k + ':l')];
out.badTtl = await code(shared.set(k + ':t', 1, { ttl: 0 }));
out.badKey = await code(shared.get(5 as unknown as string));
echo(JSON.stringify(out));
`,
  // A value that is not plain JSON data, by name.
  'refused.ts': `
class Cart { items = [] }
const cycle: Record<string, unknown> = {};
cycle.self = { back: cycle };
const values: Record<string, unknown> = {
  date: { user: { born: new Date(0) } }, undef: { a: undefined }, fn: [1, () => 1], symbol: Symbol('s'),
  bigint: { n: 1n }, nan: { x: NaN }, infinity: [Infinity], map: new Map(), instance: { cart: new Cart() },
  cycle, hole: [1, , 3], top: undefined,
};
const out: Record<string, unknown> = {};
for (const [name, value] of Object.entries(values)) {
  out[name] = await shared.set('refused', value).then(() => 'stored', (e) => e.name + ': ' + e.message);
}
out.pushed = await shared.push('refused', new Set()).then(() => 'stored', (e) => e.message);
out.kept = await shared.get('refused');
echo(JSON.stringify(out));
`,
  'sizes.ts': `
const code = (p: Promise<unknown>) => p.then((v) => ['ok', v], (e) => [e.code, e.message]);
const out: Record<string, unknown> = {};
out.key = await code(shared.set('k'.repeat(17), 1));
out.keyFits = await code(shared.set('k'.repeat(16), 1));
out.value = await code(shared.set('v', 'é'.repeat(40)));
out.item = await code(shared.push('items', 'x'.repeat(80)));
const lengths: unknown[] = [];
let full: unknown;
for (let i = 0; i < 100 && !full; i++) {
  await shared.push('fill', 'y'.repeat(50)).then((n) => lengths.push(n), (e) => { full = [e.code, e.message]; });
}
out.full = full;
out.filled = lengths.length;
await shared.delete('fill');
out.afterDelete = await code(shared.push('fill', 'z'));
echo(JSON.stringify(out));
`,
  // A partial sees the page's shared, as it sees the page's request.
  '_counter.ts': 'export async function count(key: string) { return shared.incr(key); }',
  'partial.ts': `import { count } from './_counter.ts';
echo(JSON.stringify([await count('partial'), await count('partial')]));`,
});

after(() => folder.remove());

async function text(server: TestServer, path: string): Promise<string> {
  const response = await fetch(server.url + path);
  const body = await response.text();
  assert.equal(response.status, 200, body);
  return body;
}
const json = async (server: TestServer, path: string) =>
  JSON.parse(await text(server, path)) as Record<string, unknown>;

for (const workers of [0, 2]) {
  describe(`shared, with workers: ${workers}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ dir: folder.dir, workers });
    });
    after(() => server.close());

    it('every call has Redis meaning: GET, SET, DEL, INCRBY, RPUSH + LTRIM, LRANGE and its edges', async () => {
      const out = await json(server, '/calls?k=one');
      assert.equal(out.set, undefined);
      assert.deepEqual(out.get, { n: 1, tags: ['x'], nested: { ok: true, none: null } });
      assert.equal(out.missing, undefined);
      assert.deepEqual([out.deleted, out.deletedAgain, out.afterDelete], [true, false, undefined]);
      assert.deepEqual(out.incr, [1, 6, -4]);
      assert.deepEqual(out.lengths, [1, 2, 3, 4, 5]);
      assert.deepEqual(out.ranges, {
        all: [1, 2, 3, 4, 5],
        whole: [1, 2, 3, 4, 5],
        lastTwo: [4, 5],
        middle: [2, 3],
        reversed: [],
        past: [],
        before: [1, 2],
        wide: [1, 2, 3, 4, 5],
        last: [5],
        atEnd: [],
        beforeStart: [],
        missing: [],
      });
      assert.deepEqual(out.capped, [1, 2, 3, 3, 3]);
      assert.deepEqual(out.cappedList, [3, 4, 5]);
      const [getCode, getMessage, isError] = out.wrongGet as [string, string, boolean];
      assert.equal(getCode, 'SHARED_WRONG_TYPE');
      assert.match(getMessage, /shared\.get\("one:l"\): WRONGTYPE, the key holds a list .* read it with shared\.list/);
      assert.equal(isError, true);
      assert.equal((out.wrongIncr as string[])[0], 'SHARED_WRONG_TYPE');
      assert.match(
        (out.wrongPush as string[])[1] as string,
        /holds a plain value .*shared\.push appends to a list only/,
      );
      assert.match((out.wrongList as string[])[1] as string, /read it with shared\.get\(key\)/);
      assert.equal((out.notInteger as string[])[0], 'SHARED_NOT_INTEGER');
      assert.match((out.notInteger as string[])[1] as string, /holds "text", not an integer/);
      assert.equal((out.fractionBy as string[])[0], 'SHARED_NOT_INTEGER');
      assert.deepEqual(out.overwrite, [null, 7]);
      assert.match((out.badTtl as string[])[1] as string, /ttl \(milliseconds\) must be a whole number, at least 1/);
      assert.match((out.badKey as string[])[1] as string, /the key must be a string, got number/);
    });

    it('refuses what is not plain JSON data, naming the key and where the value holds it', async () => {
      const out = await json(server, '/refused');
      const expected: Record<string, RegExp> = {
        date: /^TypeError: shared\.set\("refused"\): the value must be plain JSON data .* value\.user\.born is a Date/,
        undef: /value\.a is undefined/,
        fn: /value\[1\] is a function/,
        symbol: /value is a symbol/,
        bigint: /value\.n is a bigint/,
        nan: /value\.x is NaN/,
        infinity: /value\[0\] is Infinity/,
        map: /value is a Map/,
        instance: /value\.cart is an instance of Cart/,
        cycle: /value\.self\.back refers back to a value that contains it \(a cycle\)/,
        hole: /value\[1\] is a hole/,
        top: /value is undefined/,
      };
      for (const [name, pattern] of Object.entries(expected)) assert.match(String(out[name]), pattern, name);
      assert.match(String(out.pushed), /shared\.push\("refused"\).*value is a Set/);
      assert.equal(out.kept, undefined);
    });

    it('a partial sees the page it runs for, and its shared', async () => {
      assert.deepEqual(JSON.parse(await text(server, '/partial')), [1, 2]);
    });

    it('wire.shared sees what scripts wrote, and scripts what it wrote', async () => {
      await json(server, '/calls?k=host');
      assert.deepEqual(await server.wire.shared.list('host:c'), [3, 4, 5]);
      assert.deepEqual(await server.wire.shared.list('host:c', -1), [5]);
      assert.equal(await server.wire.shared.get('host:n'), -4);
      assert.equal(await server.wire.shared.incr('partial', 40), 42);
      assert.deepEqual(JSON.parse(await text(server, '/partial')), [43, 44]);
      await assert.rejects(server.wire.shared.get('host:c'), { code: 'SHARED_WRONG_TYPE' });
      await assert.rejects(
        server.wire.shared.set('x', { at: new Date() }),
        /wire\.shared\.set\("x"\).*value\.at is a Date/,
      );
    });
  });
}

describe('shared: the size limits, checked in the sandbox and named', () => {
  for (const workers of [0, 2]) {
    it(`past maxSharedKeyBytes, maxSharedValueBytes and maxSharedBytes (workers: ${workers})`, async () => {
      const limits = { maxSharedKeyBytes: 16, maxSharedValueBytes: 64, maxSharedBytes: 1024 };
      const server = await startServer({ dir: folder.dir, workers, ...limits });
      try {
        const out = await json(server, '/sizes');
        assert.deepEqual(out.key, [
          'SHARED_KEY_TOO_LARGE',
          'shared.set("kkkkkkkkkkkkkkkkk"): the key is 17 bytes, past maxSharedKeyBytes (16). ' +
            'Use a shorter key (a hash of a long one), or raise maxSharedKeyBytes',
        ]);
        assert.deepEqual(out.keyFits, ['ok', null]);
        // 40 é: 80 bytes of UTF-8, and the quotes.
        assert.match(
          (out.value as string[])[1] as string,
          /the value is 82 bytes as JSON, past maxSharedValueBytes \(64\)/,
        );
        assert.equal((out.item as string[])[0], 'SHARED_VALUE_TOO_LARGE');
        const [code, message] = out.full as [string, string];
        assert.equal(code, 'SHARED_STORE_FULL');
        assert.match(message, /would pass maxSharedBytes \(1024\)\. .*raise maxSharedBytes/);
        assert.ok((out.filled as number) > 3, `${out.filled} items fit`);
        assert.deepEqual(out.afterDelete, ['ok', 1]);
        // The host checks too, whatever the caller: wire.shared is held to the same limits.
        await assert.rejects(server.wire.shared.set('k'.repeat(17), 1), /past maxSharedKeyBytes \(16\)/);
      } finally {
        await server.close();
      }
    });
  }
});

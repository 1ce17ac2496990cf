import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { computeContext, sameContext } from '../../lib/context.js';
import { decodeRequest, encodeRequest } from '../../runner/sandbox/codec.js';
import { getRequest } from '../helpers/runner.js';

function request(url = '/page'): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = url;
  return req;
}

describe('computeContext', () => {
  it('clones what the function returns: the app may change its own object afterwards', async () => {
    const user = { id: 'alice', since: new Date(0), roles: new Map([['chat', 'admin']]) };
    const result = await computeContext(() => ({ user }), request());
    assert.ok(result.ok);
    user.id = 'mallory';
    assert.deepEqual(result.value, { user: { id: 'alice', since: new Date(0), roles: new Map([['chat', 'admin']]) } });
  });

  it("is the codec's copy: the script reads what joins compare (NaN and Infinity are null in both)", async () => {
    const since = new Date(7);
    const result = await computeContext(
      () => ({ n: Number.NaN, big: Infinity, low: -Infinity, zero: -0, since }),
      request(),
    );
    assert.ok(result.ok);
    assert.deepEqual(result.value, { n: null, big: null, low: null, zero: -0, since });
    const script = decodeRequest(encodeRequest(getRequest({ context: result.value }))).context;
    assert.deepEqual(script, result.value);
  });

  it('awaits an async function', async () => {
    const result = await computeContext(async () => ({ user: 'bob' }), request());
    assert.deepEqual(result, { ok: true, value: { user: 'bob' } });
  });

  it('without a function: an empty object', async () => {
    assert.deepEqual(await computeContext(undefined, request()), { ok: true, value: {} });
  });

  it('a throw, a rejection, a non-object and a non-clonable value fail, naming the request and the fix', async () => {
    const cases: Array<[() => object | Promise<object>, RegExp]> = [
      [
        () => {
          throw new Error('store down');
        },
        /^pagewire\(\{ context \}\): the context function threw for GET \/page: store down$/,
      ],
      [() => Promise.reject(new Error('later')), /threw for GET \/page: later$/],
      [() => 'alice' as unknown as object, /must return an object, such as \{ user: req\.user \}, got 'alice' for GET/],
      [() => null as unknown as object, /must return an object.*got null/],
      [() => [1], /must return an object.*got \[ 1 \]/],
      [() => ({ save() {} }), /a value that cannot be cloned for GET \/page: context\.save \(.*\)\. Return plain data/],
    ];
    for (const [context, message] of cases) {
      const result = await computeContext(context, request());
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.match(result.error.message, message);
        assert.equal(result.error.code, 'CONTEXT_FAILED');
        assert.equal(result.error.status, 500);
      }
    }
  });

  it('a value that cannot be cloned: the message says where in it the culprit sits', async () => {
    const cases: Array<[object, string]> = [
      [{ user: { id: 'a', save() {} } }, 'context.user.save'],
      [{ roles: new Map([['chat', { at: new Date(), send: Symbol('x') }]]) }, "context.roles.get('chat').send"],
      [{ list: [1, { 'odd key': new WeakMap() }] }, 'context.list[1]["odd key"]'],
      [{ pending: Promise.resolve(1) }, 'context.pending'],
    ];
    for (const [value, path] of cases) {
      const result = await computeContext(() => value, request());
      assert.ok(!result.ok);
      assert.ok(result.error.message.includes(`: ${path} (`), result.error.message);
    }
  });

  it('names the URL the browser asked for: Express mounted at /app, /app/dash, not /dash', async () => {
    const req = Object.assign(request('/dash'), { originalUrl: '/app/dash' });
    const result = await computeContext(() => {
      throw new Error('db down');
    }, req);
    assert.ok(!result.ok);
    assert.match(result.error.message, /threw for GET \/app\/dash: db down/);
  });

  it("a throw keeps the function's own stack", async () => {
    const result = await computeContext(function appContext() {
      throw new Error('no');
    }, request());
    assert.ok(!result.ok);
    assert.match(result.error.stack ?? '', /^ContextError: .*\n\s+at appContext \(/);
  });
});

describe('sameContext', () => {
  it('compares by value: key order aside, Dates by time, Maps and Sets by entries', () => {
    assert.ok(sameContext({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }));
    assert.ok(sameContext({ at: new Date(5) }, { at: new Date(5) }));
    assert.ok(!sameContext({ at: new Date(5) }, { at: new Date(6) }));
    assert.ok(sameContext({ m: new Map([['a', 1]]) }, { m: new Map([['a', 1]]) }));
    assert.ok(!sameContext({ m: new Map([['a', 1]]) }, { m: new Map([['a', 2]]) }));
    assert.ok(!sameContext({ user: { id: 'alice' } }, { user: null }));
    assert.ok(!sameContext({ user: { id: 'alice' } }, { user: { id: 'alice', admin: true } }));
    assert.ok(!sameContext({ n: 1 }, { n: '1' }));
    assert.ok(sameContext({}, {}));
  });
});

describe("the request's encoding into the sandbox", () => {
  it('keeps the Dates, Maps, Sets, BigInts and shared references of request.context', () => {
    const shared = { id: 'alice' };
    const context = {
      since: new Date(Date.UTC(2020, 1, 29)),
      roles: new Map([['chat', 'admin']]),
      tags: new Set(['a', 'b']),
      big: 2n ** 70n,
      owner: shared,
      author: shared,
      nothing: undefined,
    };
    const decoded = decodeRequest(encodeRequest(getRequest({ path: '/x', context })));
    assert.equal(decoded.path, '/x');
    const back = decoded.context as typeof context;
    assert.ok(back.since instanceof Date);
    assert.equal(back.since.toISOString(), '2020-02-29T00:00:00.000Z');
    assert.deepEqual(back.roles, new Map([['chat', 'admin']]));
    assert.deepEqual(back.tags, new Set(['a', 'b']));
    assert.equal(back.big, 2n ** 70n);
    assert.equal(back.owner, back.author);
    assert.ok('nothing' in back);
  });
});

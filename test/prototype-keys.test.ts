import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { pagewire, type Pagewire } from '../lib/index.js';
import { memoryLogger, scriptsFolder } from './helpers/fixtures.js';
import { renderLive, joinPage, startServer, type TestServer } from './helpers/server.js';

/**
 * What a script with an ordinary bug does with the browser's data: copies it (`Object.assign`),
 * and merges it into its settings with a hand-written deep merge, the kind that walks into
 * `__proto__` and `constructor.prototype`. It answers what it then sees, from inside the sandbox.
 */
const INSPECT = `
function merge(target: any, source: any): any {
  if (source === null || typeof source !== 'object') return target;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value !== null && typeof value === 'object') {
      const into = target[key];
      if (into === null || (typeof into !== 'object' && typeof into !== 'function')) target[key] = {};
      merge(target[key], value);
    } else target[key] = value;
  }
  return target;
}
function badKeys(value: any, path = '$'): string[] {
  if (value === null || typeof value !== 'object') return [];
  const own = Object.getOwnPropertyNames(value);
  const here = own.filter((k) => ['__proto__', 'constructor', 'prototype'].includes(k)).map((k) => path + '.' + k);
  const prototype = Array.isArray(value) || Object.getPrototypeOf(value) === null ? [] : [path + ': has a prototype'];
  return [...here, ...prototype, ...own.flatMap((k) => badKeys(value[k], path + '.' + k))];
}
function inspect(data: any) {
  const assigned: any = Object.assign({}, data);
  const merged: any = merge({}, data);
  return {
    assignedPolluted: assigned.polluted ?? null,
    assignedPrototypeIsObject: Object.getPrototypeOf(assigned) === Object.prototype,
    mergedPrototypeIsObject: Object.getPrototypeOf(merged) === Object.prototype,
    everyObjectPolluted: ({} as any).polluted ?? null,
    badKeys: badKeys(data),
  };
}
`;

const SAFE = {
  assignedPolluted: null,
  assignedPrototypeIsObject: true,
  mergedPrototypeIsObject: true,
  everyObjectPolluted: null,
  badKeys: [],
};

const folder = scriptsFolder({
  // One script (one sandbox) per attack: a polluted Object.prototype stays polluted in its sandbox.
  ...Object.fromEntries(
    ['json', 'nested', 'form', 'express-json', 'query'].map((name) => [
      `${name}.ts`,
      `${INSPECT}
response.headers['content-type'] = 'application/json';
echo(JSON.stringify({ body: inspect(request.body), query: inspect(request.query), raw: request }));`,
    ]),
  ),
  'event.ts': `${INSPECT}
function __serverSocketEvent(name: string, data: unknown) {
  server_socket_event('inspected', inspect(data));
}`,
});
after(() => folder.remove());

describe('__proto__, constructor and prototype keys of a body or query never reach a prototype', () => {
  let wire: Pagewire;
  let app: express.Express;
  before(() => {
    wire = pagewire({ dir: folder.dir, workers: 0, logger: memoryLogger() });
    app = express();
    // Parsed by the app's own middleware before Pagewire, on this path only.
    app.use('/express-json', express.json());
    app.use(wire);
  });
  after(() => wire.close());

  const postJson = (path: string, json: string) =>
    request(app).post(path).set('content-type', 'application/json').send(json).expect(200);

  it('a JSON body {"__proto__": {"polluted": 1}}', async () => {
    const res = await postJson('/json', '{"__proto__": {"polluted": 1}, "name": "x"}');
    assert.deepEqual(res.body.body, SAFE);
  });

  it('a nested JSON body {"a": {"constructor": {"prototype": {...}}}}', async () => {
    const json =
      '{"a": {"constructor": {"prototype": {"polluted": 1}}}, "constructor": {"prototype": {"polluted": 1}}}';
    const res = await postJson('/nested', json);
    assert.deepEqual(res.body.body, SAFE);
  });

  it('a JSON body parsed by express.json() before Pagewire', async () => {
    const res = await postJson('/express-json', '[{"__proto__": {"polluted": 1}}, {"prototype": 1}]');
    assert.deepEqual(res.body.body, SAFE);
    const object = await postJson('/express-json', '{"__proto__": {"polluted": 1}}');
    assert.deepEqual(object.body.body, SAFE);
  });

  it('urlencoded form fields __proto__[polluted]=1, __proto__=x twice, constructor', async () => {
    const res = await request(app)
      .post('/form')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send('__proto__[polluted]=1&__proto__=x&__proto__=y&constructor=z&prototype=w&name=kept')
      .expect(200);
    assert.deepEqual(res.body.body, SAFE);
    assert.deepEqual(res.body.raw.body, { '__proto__[polluted]': '1', name: 'kept' });
  });

  it('a query ?__proto__[x]=1&__proto__=a&__proto__=b', async () => {
    const res = await request(app).get('/query?__proto__[x]=1&__proto__=a&__proto__=b&constructor=c').expect(200);
    assert.deepEqual(res.body.query, SAFE);
  });

  it('keeps every other field, without a prototype', async () => {
    const res = await postJson('/json?a=1&a=2&b=3&__proto__[x]=4', '{"x": {"y": [1, {"z": "ok"}]}, "proto": 1}');
    assert.deepEqual(res.body.body, SAFE);
    assert.deepEqual(res.body.query, SAFE);
    assert.deepEqual(res.body.raw.body, { x: { y: [1, { z: 'ok' }] }, proto: 1 });
    // Pagewire reads no brackets in names (qs would): `__proto__[x]` is a field's name.
    assert.deepEqual(res.body.raw.query, { a: ['1', '2'], b: '3', '__proto__[x]': '4' });
  });
});

describe('prototype keys of a client event, in a worker', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: folder.dir, workers: 1 });
  });
  after(() => server.close());

  it('an event whose data is {"__proto__": {"polluted": 1}, "constructor": {"prototype": ...}}', async () => {
    const { pageId, cookie } = await renderLive(server.origin, '/event');
    const client = await joinPage(server.origin, pageId, cookie);
    client.event(
      pageId,
      'attack',
      JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}'),
    );
    const pushed = await client.next((f) => f.t === 'push' && f.n === 'inspected');
    assert.deepEqual(pushed.d, SAFE);
    await client.close();
  });

  it('a JSON body crossing into a worker', async () => {
    const res = await fetch(`${server.origin}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"__proto__": {"polluted": 1}, "a": {"constructor": {"prototype": {"polluted": 1}}}}',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { body: unknown }).body, SAFE);
  });
});

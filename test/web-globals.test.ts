/**
 * The web platform's globals in a real sandbox: each does its job with values a script makes
 * (vm2's bridge breaks some of them on its own), and `fetch` is per page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunnerToHost } from '../runner/messages.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { type HoldingServer, startHoldingServer, watchClose } from './helpers/holding-server.js';
import { RunnerHarness } from './helpers/runner.js';

/** Each check's result by name; a check that throws gives `name: message`. */
const CHECKS = `
const out: Record<string, unknown> = {};
async function check(name: string, fn: () => unknown) {
  try {
    out[name] = await fn();
  } catch (error) {
    out[name] = \`\${(error as Error).name}: \${(error as Error).message}\`;
  }
}
await check('url', () => {
  const u = new URL('/a?b=1', 'https://example.com');
  return [u instanceof URL, u.href, u.searchParams.get('b')];
});
await check('searchParams', () => new URLSearchParams({ q: 'a b', n: '1' }).toString());
await check('encoder', () => { const b = new TextEncoder().encode('hé'); return [b instanceof Uint8Array, [...b]]; });
await check('decoder', () => new TextDecoder().decode(new Uint8Array([104, 195, 169])));
await check('random', () => {
  const a = new Uint8Array(32);
  return [crypto.getRandomValues(a) === a, a.some((x) => x !== 0)];
});
await check('random32', () => {
  const a = new Uint32Array(8);
  crypto.getRandomValues(a);
  return a.some((x) => x !== 0);
});
await check('randomFloat', () => crypto.getRandomValues(new Float64Array(2) as unknown as Uint8Array));
await check('randomTooMany', () => crypto.getRandomValues(new Uint8Array(65537)));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
await check('uuid', () => UUID.test(crypto.randomUUID()));
await check('digest', async () => {
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array([97, 98, 99]));
  return Buffer.from(digest).toString('hex');
});
await check('hmac', async () => {
  const algorithm = { name: 'HMAC', hash: 'SHA-256' };
  const key = await crypto.subtle.importKey('raw', new Uint8Array([1, 2]), algorithm, false, ['sign']);
  return (await crypto.subtle.sign('HMAC', key, new Uint8Array([3]))).byteLength;
});
await check('base64', () => [btoa('hello'), atob('aGVsbG8=')]);
await check('badBase64', () => atob('*'));
await check('blob', async () => {
  const b = new Blob(['hi ', new Uint8Array([104, 111])]);
  return [b instanceof Blob, b.size, await b.text()];
});
await check('performance', () => {
  const a = performance.now();
  return typeof a === 'number' && performance.now() >= a;
});
await check('events', () => {
  const target = new EventTarget();
  const seen: string[] = [];
  target.addEventListener('ping', (event) => seen.push(event.type + ':' + (event instanceof Event)));
  target.dispatchEvent(new Event('ping'));
  return seen;
});
await check('response', async () => [
  await new Response('{"a":[1]}').json(),
  await new Response(new Uint8Array([111, 107])).text(),
  (await Response.json({ b: 2 }).json()).b,
]);
await check('headers', () => new Headers({ 'X-A': '1' }).get('x-a'));
await check('formData', () => {
  const f = new FormData();
  f.append('a', '1');
  f.append('a', '2');
  return f.getAll('a');
});
await check('abort', () => {
  const c = new AbortController();
  const any = AbortSignal.any([c.signal]);
  c.abort();
  return [c.signal.aborted, any.aborted];
});
await check('clone', () => {
  const value = { at: new Date(0), tags: new Set(['a']), byId: new Map([[1, { n: 1 }]]), self: undefined as unknown };
  value.self = value;
  const copy = structuredClone(value);
  return [copy !== value, copy.at instanceof Date, copy.tags instanceof Set, copy.byId.get(1)?.n, copy.self === copy];
});
await check('cloneFunction', () => structuredClone({ user: { save() {} } }));
await check('cloneSymbol', () => structuredClone([1, Symbol('s')]));
await check('microtask', () => new Promise((resolve) => queueMicrotask(() => resolve('ran'))));
await check('webSocket', () => new WebSocket('ws://127.0.0.1:1'));
await check('broadcastChannel', () => new BroadcastChannel('x'));
await check('changeHostURL', () => {
  (URL.prototype as unknown as Record<string, unknown>).planted = 1;
});
await check('changeHostPerformance', () => {
  performance.now = () => 0;
});
echo(JSON.stringify(out));
`;

const folder = scriptsFolder({
  'checks.ts': CHECKS,
  // Starts a fetch that the test's server never answers; reports how it ends.
  'fetching.ts': `function __serverSocketEvent(name: string, url: unknown) {
  const own = new AbortController();
  if (name === 'own-abort') setTimeout(() => own.abort(), 0);
  fetch(url as string, { signal: own.signal }).then(
    (r) => server_socket_event('fetched', r.status),
    (error: Error) => server_socket_event('failed', error.name),
  );
}`,
  'answered.ts': `const body = new Uint8Array([104, 105]);
const response = await fetch(request.query.url as string, { method: 'POST', body });
echo(response.status, ' ', await response.text());`,
});
const harness = new RunnerHarness(folder.dir);

let peer: HoldingServer;
let base = '';
before(async () => {
  peer = await startHoldingServer();
  base = peer.base;
});
after(async () => {
  await harness.runner.close();
  await peer.close();
  folder.remove();
});

const isPush = (pageId: string, name: string) => (m: RunnerToHost) =>
  m.type === 'push' && m.pageId === pageId && m.name === name;

describe('web globals in a sandbox', () => {
  it('work with the values a script makes', async () => {
    const { result } = await harness.render('checks.ts');
    assert.equal(result.type, 'rendered', JSON.stringify(result));
    const out = JSON.parse((result as { body: string }).body) as Record<string, unknown>;
    assert.deepEqual(out.url, [true, 'https://example.com/a?b=1', '1']);
    assert.equal(out.searchParams, 'q=a+b&n=1');
    assert.deepEqual(out.encoder, [true, [104, 195, 169]]);
    assert.equal(out.decoder, 'hé');
    assert.deepEqual(out.random, [true, true]);
    assert.equal(out.random32, true);
    assert.match(String(out.randomFloat), /^TypeMismatchError: /);
    assert.match(String(out.randomTooMany), /^QuotaExceededError: .*65,536/);
    assert.equal(out.uuid, true);
    assert.equal(out.digest, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(out.hmac, 32);
    assert.deepEqual(out.base64, ['aGVsbG8=', 'hello']);
    assert.match(String(out.badBase64), /^InvalidCharacterError: /);
    assert.deepEqual(out.blob, [true, 5, 'hi ho']);
    assert.equal(out.performance, true);
    assert.deepEqual(out.events, ['ping:true']);
    assert.deepEqual(out.response, [{ a: [1] }, 'ok', 2]);
    assert.equal(out.headers, '1');
    assert.deepEqual(out.formData, ['1', '2']);
    assert.deepEqual(out.abort, [true, true]);
    assert.deepEqual(out.clone, [true, true, true, 1, true]);
    assert.equal(out.cloneFunction, 'DataCloneError: function save could not be cloned (at value.user.save)');
    assert.equal(out.cloneSymbol, 'DataCloneError: Symbol(s) could not be cloned (at value[1])');
    assert.equal(out.microtask, 'ran');
    assert.match(String(out.webSocket), /^Error: WebSocket is not available in Node 20 .*ws package/);
    assert.match(String(out.broadcastChannel), /^Error: BroadcastChannel is not available .*page\.channel/);
    // The host's objects are read-only to scripts, as vm2 makes Node's modules: nothing planted.
    assert.match(String(out.changeHostURL), /^TypeError: /);
    assert.match(String(out.changeHostPerformance), /^TypeError: /);
    assert.equal((URL.prototype as unknown as Record<string, unknown>).planted, undefined);
    assert.notEqual(performance.now(), 0);
  });

  it('fetch sends the bytes a script made', async () => {
    const { result } = await harness.render('answered.ts', { query: { url: `${base}/echo` } });
    assert.equal(result.type, 'rendered', JSON.stringify(result));
    assert.equal((result as { body: string }).body, '200 hi');
  });

  it("a page's fetch is aborted when the page dies", async () => {
    const { pageId } = await harness.render('fetching.ts');
    harness.event(pageId, 'start', `${base}/slow`);
    const aborted = watchClose((await peer.held('/slow')).request);
    harness.runner.post({ type: 'close-pages', pageIds: [pageId], reason: 'closed-by-client' });
    await harness.next((m) => m.type === 'page-closed' && m.pageId === pageId);
    // The server saw the connection go: the request was aborted, not left running.
    await waitFor(aborted, 'the fetch of the closed page to be aborted');
  });

  it("the script's own signal still aborts its fetch", async () => {
    const { pageId } = await harness.render('fetching.ts');
    harness.event(pageId, 'own-abort', `${base}/slow-too`);
    const push = await harness.next(isPush(pageId, 'failed'));
    assert.equal(JSON.parse((push as { data: string }).data), 'AbortError');
  });
});

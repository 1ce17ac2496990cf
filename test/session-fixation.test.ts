import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { pagewire } from '../lib/index.js';
import { memoryLogger, scriptsFolder } from './helpers/fixtures.js';
import { httpsGet } from './helpers/https-get.js';
import {
  fetchPage,
  joinPage,
  renderLive,
  requestJoin,
  type SocketClient,
  startServer,
  type TestServer,
} from './helpers/server.js';
import { SOCKET, STATUS } from './helpers/paths.js';

const folder = scriptsFolder({
  'live.ts': `echo('<title>live</title>');
function __serverSocketEvent(name: string) { server_socket_event('echo', name); }`,
});
after(() => folder.remove());

/** A well-formed session id the server never issued, as a page on another port plants it. */
const PLANTED = 'pagewire_sid=AttackerKnowsThisId000';
/** The same, dressed as a signed one: the signature is not the server's. */
const FORGED = `pagewire_sid=AttackerKnowsThisId000.${'A'.repeat(43)}`;

/** The page ids that the status endpoint says live for a browser sending `cookie`. */
async function livePages(server: TestServer, cookie: string, ids: string[]): Promise<string[]> {
  const response = await fetch(`${server.origin}${STATUS}?ids=${ids.join(',')}`, { headers: { cookie } });
  return ((await response.json()) as { live: string[] }).live;
}

describe('a session cookie the server did not issue is no session', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: folder.dir, workers: 0 });
  });
  after(() => server.close());

  it('a planted cookie before the first visit is replaced, and never gets a page', async () => {
    for (const planted of [PLANTED, FORGED]) {
      const { status, pageId, newSession } = await fetchPage(server.origin, '/live', planted);
      assert.equal(status, 200);
      assert.ok(newSession, `a new session cookie replaces ${planted}`);
      assert.notEqual(newSession, planted);
      assert.match(newSession, /^pagewire_sid=[\w-]{22}\.[\w+/]{43}$/);
      // The page is the new session's: the planted cookie neither joins it nor sees it live.
      await assert.rejects(requestJoin(server.origin, pageId, planted), /upgrade refused: 404/);
      assert.deepEqual(await livePages(server, planted, [pageId]), []);
      assert.deepEqual(await livePages(server, newSession, [pageId]), [pageId]);
      await (await joinPage(server.origin, pageId, newSession)).close();
    }
  });

  it('the attacker who planted the cookie cannot fill the victim session (maxPagesPerSession)', async () => {
    // The attacker renders as many pages as a session may hold with the planted id, and opens
    // their sockets with it: on today's code they join, and the session is full.
    const small = await startServer({ dir: folder.dir, workers: 0, maxPagesPerSession: 2 });
    const attackers: SocketClient[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const { pageId } = await fetchPage(small.origin, '/live', PLANTED);
        // Refused (404) once the planted id is no session; either way the attack goes on.
        const client = await requestJoin(small.origin, pageId, PLANTED).catch(() => undefined);
        if (!client) continue;
        attackers.push(client);
        await client.next((f) => f.p === pageId && (f.t === 'joined' || f.t === 'error'));
      }
      // The victim's browser carries the planted cookie on its first visit.
      const victim = await fetchPage(small.origin, '/live', PLANTED);
      assert.equal(victim.status, 200, `the victim is answered: ${victim.body.slice(0, 200)}`);
      assert.ok(victim.newSession, 'the victim gets a session of its own');
      await (await joinPage(small.origin, victim.pageId, victim.newSession)).close();
    } finally {
      for (const client of attackers) await client.close();
      await small.close();
    }
  });

  it('several cookies of the name (a planted one with a longer path first): the issued one counts', async () => {
    const real = await renderLive(server.origin, '/live');
    // The browser sends the longer path's cookie first: `pagewire_sid=planted; pagewire_sid=real`.
    for (const planted of [PLANTED, FORGED]) {
      const both = `${planted}; ${real.cookie}`;
      const { status, pageId, newSession } = await fetchPage(server.origin, '/live', both);
      assert.equal(status, 200);
      assert.equal(newSession, undefined, 'the issued session is kept');
      // The page is the real session's, and joins on a socket that sends both cookies.
      assert.deepEqual(await livePages(server, real.cookie, [pageId]), [pageId]);
      await (await joinPage(server.origin, pageId, both)).close();
      // And a page rendered before the cookie was planted joins too (today: refused, then expired
      // and reloaded, for ever).
      await (await joinPage(server.origin, real.pageId, both)).close();
    }
  });

  it("another browser's issued session planted first: each page joins with the session that owns it", async () => {
    const attacker = await renderLive(server.origin, '/live');
    const attackerSocket = await joinPage(server.origin, attacker.pageId, attacker.cookie);
    const victim = await renderLive(server.origin, '/live');
    const client = await joinPage(server.origin, victim.pageId, `${attacker.cookie}; ${victim.cookie}`);
    client.event(victim.pageId, 'clicked');
    await client.next((f) => f.t === 'push' && f.p === victim.pageId && f.d === 'clicked');
    await client.close();
    await attackerSocket.close();
  });
});

describe('a session cookie the server issued, to the attacker, planted in the victim', () => {
  it('planted, then filled (maxPagesPerSession): the victim is not 429, but gets a session of its own', async () => {
    const server = await startServer({ dir: folder.dir, workers: 0, maxPagesPerSession: 2 });
    const attackers: SocketClient[] = [];
    try {
      // The attacker's own browser gets an issued cookie, and fills its session with joined pages.
      const first = await renderLive(server.origin, '/live');
      attackers.push(await joinPage(server.origin, first.pageId, first.cookie));
      const second = await fetchPage(server.origin, '/live', first.cookie);
      attackers.push(await joinPage(server.origin, second.pageId, first.cookie));
      // The victim's browser carries the planted (issued, signed) cookie on its first visit.
      const victim = await fetchPage(server.origin, '/live', first.cookie);
      assert.equal(victim.status, 200, `victim answered ${victim.status}: ${victim.body.slice(0, 200)}`);
      assert.ok(victim.newSession && victim.newSession !== first.cookie, 'the victim gets a new session');
      await (await joinPage(server.origin, victim.pageId, victim.newSession)).close();
      assert.deepEqual(await livePages(server, first.cookie, [victim.pageId]), [], 'not in the planted session');
      // The attacker's pages are left as they were: a full session is not emptied.
      for (const [i, client] of attackers.entries()) {
        client.event(i === 0 ? first.pageId : second.pageId, 'still');
        await client.next((f) => f.t === 'push' && f.d === 'still');
      }
    } finally {
      for (const client of attackers) await client.close();
      await server.close();
    }
  });

  it('planted for a longer path, before the browser’s own: renders stay in the browser’s own session', async () => {
    const server = await startServer({ dir: folder.dir, workers: 0 });
    try {
      const attacker = await renderLive(server.origin, '/live');
      const own = await renderLive(server.origin, '/live');
      // `pagewire_sid=<attacker's, Path=/live>; pagewire_sid=<own, Path=/>`: the longer path first.
      const both = `${attacker.cookie}; ${own.cookie}`;
      const { status, pageId, newSession } = await fetchPage(server.origin, '/live', both);
      assert.equal(status, 200);
      assert.equal(newSession, undefined, 'the browser’s own session is kept');
      assert.deepEqual(await livePages(server, own.cookie, [pageId]), [pageId]);
      assert.deepEqual(await livePages(server, attacker.cookie, [pageId]), [], 'not in the planted session');
      // The socket's path gets only the browser's own cookie (the planted one's path is /live): it joins.
      await (await joinPage(server.origin, pageId, own.cookie)).close();
    } finally {
      await server.close();
    }
  });
});

describe('keys: sessionSecret, rotation, one key per process', () => {
  const secretA = 'a'.repeat(32);
  const secretB = 'b'.repeat(32);

  it('a cookie signed with another key is replaced; a rotated-out key still verifies', async () => {
    const first = await startServer({ dir: folder.dir, workers: 0, sessionSecret: secretA });
    const rotated = await startServer({ dir: folder.dir, workers: 0, sessionSecret: [secretB, secretA] });
    const other = await startServer({ dir: folder.dir, workers: 0, sessionSecret: secretB });
    try {
      const { cookie } = await renderLive(first.origin, '/live');
      const kept = await fetchPage(rotated.origin, '/live', cookie);
      assert.equal(kept.newSession, undefined, 'signed with a key of the list: the session is kept');
      await (await joinPage(rotated.origin, kept.pageId, cookie)).close();
      const replaced = await fetchPage(other.origin, '/live', cookie);
      assert.ok(replaced.newSession, 'signed with a key the server does not hold: replaced');
      // The new one is signed with the first key of the list.
      const renewed = await fetchPage(rotated.origin, '/live');
      assert.equal((await fetchPage(other.origin, '/live', renewed.newSession)).newSession, undefined);
    } finally {
      await Promise.all([first.close(), rotated.close(), other.close()]);
    }
  });

  it('two instances of one process accept each other’s sessions by default', async () => {
    const one = await startServer({ dir: folder.dir, workers: 0 });
    const two = await startServer({ dir: folder.dir, workers: 0 });
    try {
      const { cookie } = await renderLive(one.origin, '/live');
      assert.equal((await fetchPage(two.origin, '/live', cookie)).newSession, undefined);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('refuses a short secret, naming the option', () => {
    assert.throws(() => pagewire({ dir: folder.dir, sessionSecret: 'short' }), /sessionSecret.*32 characters/);
    assert.throws(() => pagewire({ dir: folder.dir, sessionSecret: [] }), /sessionSecret/);
  });
});

describe('over HTTPS the cookie is __Host- prefixed', () => {
  const certs = scriptsFolder({});
  const key = path.join(certs.dir, 'key.pem');
  const cert = path.join(certs.dir, 'cert.pem');
  after(() => certs.remove());
  before(() => {
    execFileSync('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
    ]);
  });

  it('sets __Host-pagewire_sid with Secure and Path=/, reads only it, and the socket joins with it', async () => {
    const wire = pagewire({ dir: folder.dir, workers: 0, logger: memoryLogger() });
    const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, wire.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    wire.attach(server);
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A plain-HTTP instance of this process: its cookie verifies, but has no prefix.
    const plain = await startServer({ dir: folder.dir, workers: 0 });
    try {
      const first = await httpsGet(`${origin}/live`, cert);
      assert.equal(first.status, 200);
      assert.match(
        first.setCookie[0] ?? '',
        /^__Host-pagewire_sid=[\w-]{22}\.[\w+/]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
      );
      const cookie = (first.setCookie[0] ?? '').split(';')[0] as string;
      const pageId = /data-pagewire-page="([^"]+)"/.exec(first.body)?.[1] ?? '';
      // A cookie without the prefix could come from a plain-HTTP page of this host: not read.
      const unprefixed = (await renderLive(plain.origin, '/live')).cookie;
      const again = await httpsGet(`${origin}/live`, cert, unprefixed);
      assert.equal(again.setCookie.length, 1, 'an unprefixed session cookie is replaced over HTTPS');
      const known = await httpsGet(`${origin}/live`, cert, cookie);
      assert.deepEqual(known.setCookie, []);
      const ws = new WebSocket(`${origin.replace('https', 'wss')}${SOCKET}`, {
        ca: readFileSync(cert),
        headers: { cookie, origin },
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ t: 'join', p: pageId, a: 0 }));
      const joined = await new Promise<Record<string, unknown>>((resolve) =>
        ws.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)),
      );
      assert.equal(joined.t, 'joined');
      ws.close();
    } finally {
      await wire.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await plain.close();
    }
  });

  it('behind a proxy: X-Forwarded-Proto https with trustProxy, mounted under /app, Path=/', async () => {
    const trusting = await startServer({ dir: folder.dir, workers: 0, trustProxy: true }, { mount: '/app' });
    const direct = await startServer({ dir: folder.dir, workers: 0 });
    try {
      const headers = { 'x-forwarded-proto': 'https' };
      const proxied = await fetch(`${trusting.origin}/app/live`, { headers });
      assert.match(
        proxied.headers.get('set-cookie') ?? '',
        /^__Host-pagewire_sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
      );
      // Without trustProxy, any browser could send the header: it says nothing.
      const spoofed = await fetch(`${direct.origin}/live`, { headers });
      assert.match(spoofed.headers.get('set-cookie') ?? '', /^pagewire_sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    } finally {
      await Promise.all([trusting.close(), direct.close()]);
    }
  });
});

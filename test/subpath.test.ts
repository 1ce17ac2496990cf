import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { WebSocket, WebSocketServer } from 'ws';
import { nodeEndpoint } from '../lib/http/mount.js';
import { pagewire, type Pagewire } from '../lib/index.js';
import { launchBrowser } from './helpers/browser.js';
import { memoryLogger, scriptsFolder } from './helpers/fixtures.js';
import { startNginx, type Nginx } from './helpers/nginx.js';
import { PATIENT, renderLive, requestJoin, startServer, type TestServer, testWorkers } from './helpers/server.js';
import { SOCKET, STATUS } from './helpers/paths.js';

const SCRIPTS = {
  // Relative links: they resolve under the mount because `/app` redirects to `/app/`.
  'index.ts': `echo(html\`<h1>Index</h1><p id="base">\${request.baseUrl}</p>
<a id="live" href="live?from=index">live</a>\`);`,
  'live.ts': `let clicks = 0;
echo(html\`<p id="base">\${request.baseUrl}</p><p id="path">\${request.path}</p><output id="count">0</output>
<button id="click">click</button>
<script>
  const count = document.getElementById('count');
  document.serverSocket.addEventListener('count', (event) => { count.textContent = event.data; });
  document.getElementById('click').onclick = () => document.serverSocket.send('click');
</script>\`);
function __serverSocketEvent(name: string) {
  if (name === 'click') server_socket_event('count', ++clicks);
}`,
};

describe('mounted at /app, behind an nginx that forwards only /app and /app/*', { timeout: 180_000 }, () => {
  const folder = scriptsFolder(SCRIPTS);
  let app: TestServer;
  let nginx: Nginx;
  let browser: Browser;
  before(async () => {
    // Pagewire at `/app`, and a route of the app's own that the proxy does not forward.
    app = await startServer(
      { dir: folder.dir },
      {
        mount: '/app',
        after: (express) => express.get('/outside', (_req, res) => void res.send('the app, outside the mount')),
      },
    );
    // `= /app` too: without it nginx answers `/app` itself (its own 301 for a prefix location),
    // and the redirect under test would be nginx's.
    nginx = await startNginx(['= /app', '/app/'], app.url);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await nginx?.stop();
    await app?.close();
    folder.remove();
  });

  it('the page renders, its socket opens under /app, and an event round-trips', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    // `/app` -> `/app/`, then the index's relative link.
    await page.goto(`${nginx.url}/app`);
    assert.equal(page.url(), `${nginx.url}/app/`);
    assert.equal(await page.textContent('#base'), '/app');
    await page.click('#live');
    await page.waitForURL(`${nginx.url}/app/live?from=index`);
    assert.equal(await page.textContent('#base'), '/app');
    assert.equal(await page.textContent('#path'), '/live');
    await page.click('#click');
    await page.waitForFunction(() => document.getElementById('count')?.textContent === '1', null, { polling: 20 });
    await page.click('#click');
    await page.waitForFunction(() => document.getElementById('count')?.textContent === '2', null, { polling: 20 });
    assert.deepEqual(sockets, [`${nginx.url.replace('http', 'ws')}/app${SOCKET}`]);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it("the client, the status endpoint and the beacon answer under /app; nothing of Pagewire's is outside", async () => {
    const live = await fetch(`${nginx.url}/app/live`);
    const body = await live.text();
    const tag = /<script src="(\/app\/__pagewire\/client\.js\?v=[\w-]+)" data-pagewire-page="([\w-]{22})"/.exec(body);
    assert.ok(tag, body);
    const [, client, pageId] = tag as unknown as [string, string, string];
    assert.match(
      body,
      new RegExp(
        `data-pagewire-socket="/app${SOCKET}" data-pagewire-status="/app${STATUS}" ` +
          'data-pagewire-reachable="/app/__pagewire/pages"',
      ),
    );
    // How long the server may take to accept the socket: the client waits as long (PATIENT's).
    assert.match(body, /data-pagewire-connect-timeout="600000"/);
    const cookie = (live.headers.get('set-cookie') ?? '').split(';')[0] as string;

    const script = await fetch(`${nginx.url}${client}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    const status = await fetch(`${nginx.url}/app${STATUS}?ids=${pageId}`, { headers: { cookie } });
    assert.deepEqual(await status.json(), { live: [pageId] });
    const leave = await fetch(`${nginx.url}/app${STATUS}?leave=${pageId}`, {
      method: 'POST',
      headers: { cookie, origin: nginx.url },
    });
    assert.equal(leave.status, 204);
    const after = await fetch(`${nginx.url}/app${STATUS}?ids=${pageId}`, { headers: { cookie } });
    assert.deepEqual(await after.json(), { live: [] });

    // The proxy forwards nothing else: the root paths never reach the app.
    for (const outside of ['/__pagewire/client.js', '/__pagewire/pages', `${STATUS}?ids=x`, '/outside'])
      assert.equal((await fetch(`${nginx.url}${outside}`)).status, 404, outside);
    const socket = new WebSocket(`${nginx.url.replace('http', 'ws')}${SOCKET}`, { headers: { cookie } });
    const refused = await new Promise<number | undefined>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode));
      socket.once('open', () => resolve(undefined));
      // Aborted once refused: the abort's error says nothing more.
      socket.on('error', () => {});
    });
    socket.terminate();
    assert.equal(refused, 404);
  });

  it('/app redirects to /app/ (308, the query kept); /app/ and deeper paths do not', async () => {
    const redirect = await fetch(`${nginx.url}/app?name=a%20b&x=1`, { redirect: 'manual' });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.get('location'), '/app/?name=a%20b&x=1');
    // 308 keeps the method and the body: a form posted to /app is posted to /app/.
    const posted = await fetch(`${nginx.url}/app`, { method: 'POST', body: 'a=1', redirect: 'manual' });
    assert.equal(posted.status, 308);
    assert.equal((await fetch(`${nginx.url}/app/`, { redirect: 'manual' })).status, 200);
    assert.equal((await fetch(`${nginx.url}/app/live`, { redirect: 'manual' })).status, 200);
  });
});

describe('mounted at a path with no index.ts', () => {
  it("does not redirect: the mount path is left to the app's next routes", async () => {
    const folder = scriptsFolder({ 'page.ts': 'echo(request.baseUrl);' });
    const wire = pagewire({ dir: folder.dir, workers: 0, logger: memoryLogger() });
    try {
      const app = express();
      app.use('/b', wire);
      app.get('/b', (_req, res) => void res.send('the app answers /b'));
      await request(app).get('/b').expect(200, 'the app answers /b');
      await request(app).get('/b/page').expect(200, '/b');
    } finally {
      await wire.close();
      folder.remove();
    }
  });
});

describe('wire.attach(server) claims only page-socket upgrades', () => {
  it("knows a node's socket and status paths under any mount, and nothing else", () => {
    assert.deepEqual(nodeEndpoint('/__pagewire/n1/socket'), { base: '', node: 'n1', endpoint: 'socket' });
    assert.deepEqual(nodeEndpoint('/a/b/__pagewire/x_-9/pages'), { base: '/a/b', node: 'x_-9', endpoint: 'pages' });
    const others = ['/', '/chat', '/__pagewire/socket', '/__pagewire/n1/socket/', '/__pagewire/n1/sockets'];
    others.push('/app/__pagewire/client.js', '', '/__pagewire/n.1/socket', `/__pagewire/${'n'.repeat(65)}/socket`);
    for (const path of others) assert.equal(nodeEndpoint(path), undefined, path);
  });

  it("leaves other upgrades to the server's other listeners", async () => {
    // A handler keeps the page live: its socket is the wire's.
    const folder = scriptsFolder({ 'index.ts': 'echo("<p>x</p>"); function __serverSocketEvent() {}' });
    const wire = pagewire({ dir: folder.dir, workers: 0, logger: memoryLogger() });
    // The app's own WebSocket endpoint: it takes every upgrade but the page sockets of the
    // Pagewire it serves at the root (any node's), as an app with its own chat would, and
    // answers "ours" on each.
    const chat = new WebSocketServer({ noServer: true });
    chat.on('connection', (ws, req) => ws.send(`ours: ${req.url}`));
    const server = createServer(wire.handler);
    server.on('upgrade', (req, socket, head) => {
      if (nodeEndpoint((req.url ?? '').split('?')[0] ?? '')?.base === '') return;
      chat.handleUpgrade(req, socket, head, (ws) => chat.emit('connection', ws, req));
    });
    wire.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const open = (path: string, cookie?: string) =>
      new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(`${base}${path}`, { headers: cookie ? { cookie } : {} });
        ws.once('message', (data) => {
          resolve(String(data));
          ws.close();
        });
        ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        ws.once('error', reject);
      });
    try {
      // Had the wire claimed these too, each would also get its answer written into the socket.
      const others = ['/chat', '/__pagewire/sockets', '/app/__pagewire/socket', '/__pagewire/client.js'];
      for (const path of others) assert.equal(await open(path), `ours: ${path}`);
      // Another node's socket is Pagewire's to answer: no process of this site has it, its pages are gone.
      assert.equal(await open('/__pagewire/gone-node/socket'), 'refused 410');
      // A page it rendered (at the root): its socket is the wire's, and joins.
      const { pageId, cookie } = await renderLive(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, '/');
      const own = new WebSocket(`${base}${SOCKET}?x=1`, { headers: { cookie } });
      own.once('open', () => own.send(JSON.stringify({ t: 'join', p: pageId, a: 0 })));
      const joined = await new Promise<unknown>((resolve) =>
        own.once('message', (data) => resolve(JSON.parse(String(data)))),
      );
      assert.deepEqual(joined, { t: 'joined', p: pageId, a: 0 });
      own.close();
      // The same session's socket under another mount is not its own: it rendered nothing there.
      assert.equal(await open(`/app${SOCKET}?x=1`, cookie), `ours: /app${SOCKET}?x=1`);
    } finally {
      await wire.close();
      for (const client of chat.clients) client.terminate();
      chat.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      folder.remove();
    }
  });
});

describe('two Pagewire instances on one server, at /a and /b', () => {
  const folder = scriptsFolder(SCRIPTS);
  after(() => folder.remove());

  /** Instance `a` at /a (its app's listener attached first), `b` at /b, both attached to one server. */
  async function twoInstances(): Promise<{ app: TestServer; b: Pagewire; close(): Promise<void> }> {
    const b = pagewire({ dir: folder.dir, logger: memoryLogger(), ...PATIENT, ...testWorkers() });
    const app = await startServer({ dir: folder.dir }, { mount: '/a', after: (express) => express.use('/b', b) });
    b.attach(app.server);
    return { app, b, close: async () => void (await Promise.all([app.close(), b.close()])) };
  }

  it('each claims its own socket path only: both live pages work', async () => {
    const { app, close } = await twoInstances();
    try {
      for (const base of ['/a', '/b']) {
        const { pageId, cookie } = await renderLive(app.origin, `${base}/live`);
        const client = await requestJoin(app.origin, pageId, cookie, { base });
        await client.next((f) => f.t === 'joined' && f.p === pageId);
        client.event(pageId, 'click');
        assert.equal((await client.next((f) => f.n === 'count')).d, 1, base);
        await client.close();
      }
    } finally {
      await close();
    }
  });

  it('a socket with no page of its session under that base is refused 404 by one of them, once', async () => {
    const { app, close } = await twoInstances();
    const open = (path: string, cookie = '') =>
      new Promise<number | undefined>((resolve) => {
        const headers = { origin: app.origin, ...(cookie ? { cookie } : {}) };
        const ws = new WebSocket(`${app.origin.replace('http', 'ws')}${path}`, { headers });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
        ws.once('open', () => {
          resolve(undefined);
          ws.close();
        });
        ws.on('error', () => {});
      });
    try {
      // A page of the previous process reconnects first: no other listener could answer, so one
      // of the instances says so rather than leave it hanging. Its client then asks the status
      // endpoint, which says its pages are gone: it reloads.
      assert.equal(await open(`/b${SOCKET}`), 404);
      const status = await fetch(`${app.origin}/b${STATUS}?ids=${'x'.repeat(22)}`);
      assert.deepEqual(await status.json(), { live: [] });
      assert.equal(await open(`/b${SOCKET}`), 404, 'a request teaches nothing');
      // A page of /a opens the socket of /a, not that of /b.
      const { cookie } = await renderLive(app.origin, '/a/live');
      assert.equal(await open(`/b${SOCKET}`, cookie), 404);
      assert.equal(await open(`/a${SOCKET}`, cookie), undefined);
    } finally {
      await close();
    }
  });
});

describe('two Pagewire instances on one server, B at /admin and A at /:tenant', () => {
  const folder = scriptsFolder(SCRIPTS);
  let a: Pagewire;
  let b: Pagewire;
  let server: Server;
  let origin: string;
  before(async () => {
    a = pagewire({ dir: folder.dir, logger: memoryLogger(), ...PATIENT, ...testWorkers() });
    b = pagewire({ dir: folder.dir, logger: memoryLogger(), ...PATIENT, ...testWorkers() });
    const app = express();
    // What B does not serve under /admin (a 404 it passes on) reaches A, as tenant "admin".
    app.use('/admin', b);
    app.use('/:tenant', a);
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    // A's listener first: had it claimed B's sockets, it would answer them before B.
    a.attach(server);
    b.attach(server);
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    folder.remove();
  });

  it("a 404 under /admin, passed on to A, does not make A answer B's page sockets", async () => {
    const { pageId, cookie } = await renderLive(origin, '/admin/live');
    assert.equal((await fetch(`${origin}/admin/missing`)).status, 404);
    const client = await requestJoin(origin, pageId, cookie, { base: '/admin' });
    await client.next((f) => f.t === 'joined' && f.p === pageId);
    client.event(pageId, 'click');
    assert.equal((await client.next((f) => f.n === 'count')).d, 1);
    await client.close();
  });

  it('1,100 requests under other tenants and case variants do not stop a page of A from re-joining', async () => {
    const { pageId, cookie } = await renderLive(origin, '/acme/live');
    const first = await requestJoin(origin, pageId, cookie, { base: '/acme' });
    await first.next((f) => f.t === 'joined' && f.p === pageId);
    await first.close();
    // Each is a 404 A passes on: a mount path chosen by whoever sends the request.
    // Half distinct tenants, half case variants of one (Express matches them all, case kept).
    const caseVariant = (i: number) => [...'othertenant'].map((c, k) => ((i >> k) & 1 ? c.toUpperCase() : c)).join('');
    const tenants = Array.from({ length: 1100 }, (_, i) => (i % 2 === 0 ? `t${i}` : caseVariant(i)));
    for (let i = 0; i < tenants.length; i += 50) {
      const batch = tenants.slice(i, i + 50).map(async (tenant) => (await fetch(`${origin}/${tenant}/missing`)).status);
      assert.deepEqual(new Set(await Promise.all(batch)), new Set([404]));
    }
    const again = await requestJoin(origin, pageId, cookie, { base: '/acme' });
    await again.next((f) => f.t === 'joined' && f.p === pageId);
    again.event(pageId, 'click');
    assert.equal((await again.next((f) => f.n === 'count')).d, 1);
    await again.close();
  });

  it("an upgrade of a session with no page under its base is left to the app's listener; 404 without one", async () => {
    // B has a page under /admin (another browser's); this browser has a page of A only.
    await renderLive(origin, '/admin/live');
    const { cookie } = await renderLive(origin, '/acme/live');
    const path = `/admin${SOCKET}`;
    const open = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}${path}`, { headers: { origin, cookie, ...headers } });
        ws.once('message', (data) => {
          resolve(String(data));
          ws.close();
        });
        ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        ws.on('error', () => {});
      });
    assert.equal(await open({}), 'refused 404');
    // The app's own WebSocket endpoint, which takes the upgrades that say they are for it.
    const chat = new WebSocketServer({ noServer: true });
    chat.on('connection', (ws, req) => ws.send(`ours: ${req.url}`));
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.headers['x-app-socket']) chat.handleUpgrade(req, socket, head, (ws) => chat.emit('connection', ws, req));
    };
    server.on('upgrade', onUpgrade);
    try {
      // Had either instance claimed it, its answer would be written into the socket too.
      assert.equal(await open({ 'x-app-socket': '1' }), `ours: ${path}`);
    } finally {
      server.off('upgrade', onUpgrade);
      for (const client of chat.clients) client.terminate();
      chat.close();
    }
  });
});

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { WebSocket, WebSocketServer } from 'ws';
import { isSocketPath } from '../lib/http/mount.js';
import { pagewire, type Pagewire } from '../lib/index.js';
import { launchBrowser } from './helpers/browser.js';
import { memoryLogger, scriptsFolder } from './helpers/fixtures.js';
import { startNginx, type Nginx } from './helpers/nginx.js';
import { PATIENT, renderLive, requestJoin, startServer, type TestServer, testWorkers } from './helpers/server.js';

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
    assert.deepEqual(sockets, [`${nginx.url.replace('http', 'ws')}/app/__pagewire/socket`]);
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
      /data-pagewire-socket="\/app\/__pagewire\/socket" data-pagewire-status="\/app\/__pagewire\/pages"/,
    );
    const cookie = (live.headers.get('set-cookie') ?? '').split(';')[0] as string;

    const script = await fetch(`${nginx.url}${client}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    const status = await fetch(`${nginx.url}/app/__pagewire/pages?ids=${pageId}`, { headers: { cookie } });
    assert.deepEqual(await status.json(), { live: [pageId] });
    const leave = await fetch(`${nginx.url}/app/__pagewire/pages?leave=${pageId}`, {
      method: 'POST',
      headers: { cookie, origin: nginx.url },
    });
    assert.equal(leave.status, 204);
    const after = await fetch(`${nginx.url}/app/__pagewire/pages?ids=${pageId}`, { headers: { cookie } });
    assert.deepEqual(await after.json(), { live: [] });

    // The proxy forwards nothing else: the root paths never reach the app.
    for (const outside of ['/__pagewire/client.js', '/__pagewire/pages?ids=x', '/outside'])
      assert.equal((await fetch(`${nginx.url}${outside}`)).status, 404, outside);
    const socket = new WebSocket(`${nginx.url.replace('http', 'ws')}/__pagewire/socket`, { headers: { cookie } });
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
  it('knows the socket path under any mount, and nothing else', () => {
    for (const path of ['/__pagewire/socket', '/app/__pagewire/socket', '/a/b/__pagewire/socket'])
      assert.equal(isSocketPath(path), true, path);
    for (const path of ['/', '/chat', '/__pagewire/socket/', '/__pagewire/sockets', '/app/__pagewire/client.js', ''])
      assert.equal(isSocketPath(path), false, path);
  });

  it("leaves other upgrades to the server's other listeners", async () => {
    const folder = scriptsFolder({ 'index.ts': 'echo("x");' });
    const wire = pagewire({ dir: folder.dir, workers: 0, logger: memoryLogger() });
    // The app's own WebSocket endpoint: it takes every upgrade but the socket of the Pagewire it
    // serves at the root, as an app with its own chat would, and answers "ours" on each.
    const chat = new WebSocketServer({ noServer: true });
    chat.on('connection', (ws, req) => ws.send(`ours: ${req.url}`));
    const server = createServer(wire.handler);
    server.on('upgrade', (req, socket, head) => {
      if ((req.url ?? '').split('?')[0] === '/__pagewire/socket') return;
      chat.handleUpgrade(req, socket, head, (ws) => chat.emit('connection', ws, req));
    });
    wire.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const open = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(`${base}${path}`);
        ws.once('message', (data) => {
          resolve(String(data));
          ws.close();
        });
        ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        ws.once('error', reject);
      });
    try {
      // Had the wire claimed these too, each would also get its 401 written into the socket. A
      // socket path under another mount is not its own either: it serves the root.
      const others = ['/chat', '/__pagewire/sockets', '/app/__pagewire/socket/x', '/__pagewire/client.js'];
      for (const path of [...others, '/app/__pagewire/socket?x=1']) assert.equal(await open(path), `ours: ${path}`);
      // Its own, known from attach() (it answers the server's requests), before any request:
      // refused without a session, by the wire and no one else.
      assert.equal(await open('/__pagewire/socket'), 'refused 401');
      assert.equal(await open('/__pagewire/socket?x=1'), 'refused 401');
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

  it('a socket of a base not served since the start is refused 404; the status probe teaches the base', async () => {
    const { app, close } = await twoInstances();
    const open = (path: string) =>
      new Promise<number | undefined>((resolve) => {
        const ws = new WebSocket(`${app.origin.replace('http', 'ws')}${path}`, { headers: { origin: app.origin } });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
        ws.once('open', () => resolve(undefined));
        ws.on('error', () => {});
      });
    try {
      // A page of the previous process reconnects first: neither instance knows /b yet, and no
      // other listener could answer, so one of them says so rather than leave it hanging.
      assert.equal(await open('/b/__pagewire/socket'), 404);
      // Its client then asks the status endpoint (through Express): its pages are gone, it reloads.
      const status = await fetch(`${app.origin}/b/__pagewire/pages?ids=${'x'.repeat(22)}`);
      assert.deepEqual(await status.json(), { live: [] });
      // Now /b is known to b: refused as any socket without a live page is, by b.
      assert.equal(await open('/b/__pagewire/socket'), 401);
    } finally {
      await close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { pagewire } from '../lib/index.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { renderLive, SocketClient, startServer, type TestServer } from './helpers/server.js';
import { STATUS } from './helpers/paths.js';

// DNS rebinding: the attacker's name (attacker.example) now resolves to this server, so to the
// victim's browser the attacker's page and this server are one origin. Only the Host header
// still says which name the browser asked for.
const folder = scriptsFolder({
  'index.ts': `echo('<!doctype html><p>home</p>');`,
  'live.ts': `echo('<!doctype html><p>live</p>');
function __serverSocketEvent() {}`,
  'broken.ts': `const apiKey = 'sk-secret-in-the-source';
throw new Error('broken render');`,
  'style.css': 'body { color: red }',
});
after(() => folder.remove());

/** What a rebound page sends: its own name in Host, and as its origin (same origin, to the browser). */
function rebound(server: TestServer): { host: string; origin: string } {
  const port = new URL(server.url).port;
  return { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` };
}

describe('Host check (allowedHosts): a rebound name is refused', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(
      { dir: folder.dir, dev: true },
      { after: (app) => app.use((_req, res) => res.status(404).send('app 404')) },
    );
  });
  after(() => server.close());

  it('refuses renders, the dev error page (its source lines), static files, the client script: 403', async () => {
    const { host, origin } = rebound(server);
    for (const path of [
      '/',
      '/live',
      '/broken',
      '/style.css',
      '/__pagewire/client.js?v=1',
      '/__pagewire/pages',
      `${STATUS}?ids=x`,
    ]) {
      const res = await request(server.url).get(path).set('host', host).set('origin', origin);
      assert.equal(res.status, 403, path);
      assert.match(res.text, /allowedHosts: \["attacker\.example"\]/, path);
      assert.doesNotMatch(res.text, /sk-secret|broken render/, path);
      assert.equal(res.headers['set-cookie'], undefined, path);
    }
    assert.ok(server.log.lines.some((line) => /HOST|host not allowed: "attacker\.example"/.test(line)));
    assert.equal(server.wire.pageCount, 0, 'no page was rendered for the rebound name');
  });

  it("refuses the beacon: a rebound page cannot close this browser's pages", async () => {
    const { pageId, cookie } = await renderLive(server.url, '/live');
    const { host, origin } = rebound(server);
    const res = await request(server.url)
      .post(`${STATUS}?leave=${pageId}`)
      .set('host', host)
      .set('origin', origin)
      .set('sec-fetch-site', 'same-origin')
      .set('cookie', cookie);
    assert.equal(res.status, 403);
    const status = await request(server.url).get(`${STATUS}?ids=${pageId}`).set('cookie', cookie).expect(200);
    assert.deepEqual(status.body, { live: [pageId] });
  });

  it('refuses the page socket of a rebound name, even with a live page and a matching Origin', async () => {
    const { cookie } = await renderLive(server.url, '/live');
    await assert.rejects(SocketClient.connect(server.origin, cookie, rebound(server)), /upgrade refused: 403/);
    // The same socket under the server's own name opens: what was refused is the name.
    const client = await SocketClient.connect(server.origin, cookie);
    await client.close();
  });

  it('leaves a path Pagewire does not serve to the app, whatever its host', async () => {
    const res = await request(server.url).get('/nothing-here').set('host', rebound(server).host);
    assert.equal(res.status, 404);
    assert.equal(res.text, 'app 404');
  });

  it('allows IP addresses, localhost and *.localhost by default', async () => {
    const port = new URL(server.url).port;
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `app.localhost:${port}`,
      `[::1]:${port}`,
      '10.1.2.3',
    ]) {
      await request(server.url).get('/').set('host', host).expect(200);
    }
  });
});

describe('Host check options', () => {
  it('allowedHosts lets a name in (and its subdomains with a leading dot), on pages and the socket', async () => {
    const server = await startServer({ dir: folder.dir, allowedHosts: ['attacker.example', '.example.com'] });
    try {
      const port = new URL(server.url).port;
      const { host, origin } = rebound(server);
      const res = await request(server.url).get('/live').set('host', host).expect(200);
      const cookie = String(res.headers['set-cookie']).split(';')[0] as string;
      const pageId = /data-pagewire-page="([^"]+)"/.exec(res.text)?.[1] as string;
      const client = await SocketClient.connect(server.origin, cookie, { host, origin });
      client.send({ t: 'join', p: pageId, a: 0 });
      await client.next((frame) => frame.t === 'joined');
      await client.close();
      for (const allowed of ['example.com', 'app.example.com', 'a.b.example.com']) {
        await request(server.url).get('/').set('host', `${allowed}:${port}`).expect(200);
      }
      for (const refused of ['badexample.com', 'example.com.attacker.example', 'example.co']) {
        await request(server.url).get('/').set('host', refused).expect(403);
      }
    } finally {
      await server.close();
    }
  });

  it('allowedHosts: true turns the check off', async () => {
    const server = await startServer({ dir: folder.dir, allowedHosts: true });
    try {
      await request(server.url).get('/').set('host', 'anything.example').expect(200);
    } finally {
      await server.close();
    }
  });

  it('trustProxy: the forwarded host is the one checked, and only with it', async () => {
    const trusting = await startServer({ dir: folder.dir, trustProxy: true, allowedHosts: ['app.example.com'] });
    const plain = await startServer({ dir: folder.dir, allowedHosts: ['app.example.com'] });
    try {
      // Behind the proxy: Host names the upstream, X-Forwarded-Host what the browser asked for.
      const get = (server: TestServer, host: string, forwarded: string) =>
        request(server.url).get('/').set('host', host).set('x-forwarded-host', forwarded);
      await get(trusting, 'backend:3000', 'app.example.com').expect(200);
      await get(trusting, '127.0.0.1', 'attacker.example').expect(403);
      // Without trustProxy, X-Forwarded-Host is anyone's header: ignored.
      await get(plain, 'backend:3000', 'app.example.com').expect(403);
      await get(plain, 'app.example.com', 'attacker.example').expect(200);
    } finally {
      await trusting.close();
      await plain.close();
    }
  });

  it('refuses a malformed allowedHosts, naming the option', () => {
    for (const allowedHosts of [['https://example.com'], ['example.com:3000'], 'example.com', [1]]) {
      assert.throws(
        () => pagewire({ dir: folder.dir, allowedHosts: allowedHosts as string[] }),
        /'allowedHosts' must be a list of host names/,
      );
    }
    assert.throws(() => pagewire({ dir: folder.dir, trustProxy: 'yes' as unknown as boolean }), /'trustProxy'/);
  });
});

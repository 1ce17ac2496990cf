import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { pagewire, type Pagewire } from '../lib/index.js';
import { memoryLogger, scriptsFolder } from './helpers/fixtures.js';
import { PATIENT, testWorkers } from './helpers/server.js';
import { SOCKET, STATUS } from './helpers/paths.js';

const folder = scriptsFolder({
  'index.ts': `echo('<!doctype html><title>home</title><h1>home</h1>');`,
  'live.ts': `echo('<!doctype html><title>live</title><p>live</p>');
function __serverSocketEvent() {}`,
  'no-doctype.ts': `echo('<p>first</p>');
function __serverSocketEvent() {}`,
  'json.ts': `response.headers['content-type'] = 'application/json';
echo(JSON.stringify({ ok: true }));`,
  'form.ts': `echo(html\`\${request.method}:\${JSON.stringify(request.body)}\`);`,
  'blog/[slug].ts': `echo(html\`post \${request.params.slug}\`);`,
  'broken.ts': `echo('x');
const y: number = (undefined as unknown as { z: number }).z;`,
  'style.css': 'body { color: red }',
  '_secret.ts': `echo('private');`,
  '.env': 'SECRET=1',
});
after(() => folder.remove());

function app(wire: Pagewire) {
  const a = express();
  a.get('/from-express', (_req, res) => res.send('express route'));
  a.use(wire);
  a.use((_req, res) => res.status(404).send('express 404'));
  return a;
}

describe('HTTP, mounted in Express', () => {
  const log = memoryLogger();
  let wire: Pagewire;
  before(() => {
    // The pages these tests render never connect: they must not time out meanwhile.
    wire = pagewire({ dir: folder.dir, logger: log, ...PATIENT, ...testWorkers() });
  });
  after(() => wire.close());

  it('renders a plain page as it is: no client, no cookie', async () => {
    const res = await request(app(wire)).get('/').expect(200).expect('content-type', 'text/html; charset=utf-8');
    assert.equal(res.text, '<!doctype html><title>home</title><h1>home</h1>');
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal(wire.pageCount, 0);
  });

  it('injects the client after the doctype of a live page, and sets an HttpOnly session cookie', async () => {
    const res = await request(app(wire)).get('/live').expect(200);
    assert.match(
      res.text,
      new RegExp(
        /^<!doctype html><script src="\/__pagewire\/client\.js\?v=[\w-]+" data-pagewire-page="[\w-]{22}" /.source +
          `data-pagewire-socket="${SOCKET}" data-pagewire-status="${STATUS}" ` +
          'data-pagewire-reachable="/__pagewire/pages" ' +
          /data-pagewire-heartbeat="10000" data-pagewire-connect-timeout="600000" /.source +
          /data-pagewire-max-message="65536"><\/script><title>live/.source,
      ),
    );
    const cookie = String(res.headers['set-cookie']);
    // The session id and its HMAC-SHA256 (base64, unpadded): the server's own signature.
    assert.match(cookie, /^pagewire_sid=[\w-]{22}\.[\w+/]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const again = await request(app(wire))
      .get('/live')
      .set('cookie', cookie.split(';')[0] as string)
      .expect(200);
    assert.equal(again.headers['set-cookie'], undefined, 'a known session keeps its cookie');
  });

  it('a beacon (POST ?leave=) closes pages of its own session only, and only from this site', async () => {
    const res = await request(app(wire)).get('/live').expect(200);
    const cookie = String(res.headers['set-cookie']).split(';')[0] as string;
    const pageId = /data-pagewire-page="([^"]+)"/.exec(res.text)?.[1] as string;
    const otherCookie = String((await request(app(wire)).get('/live').expect(200)).headers['set-cookie']).split(
      ';',
    )[0] as string;
    const live = async () =>
      (
        (await request(app(wire)).get(`${STATUS}?ids=${pageId}`).set('cookie', cookie).expect(200)).body as {
          live: string[];
        }
      ).live;
    // Another browser's session cannot close it, and is not told whether the page exists.
    await request(app(wire)).post(`${STATUS}?leave=${pageId}`).set('cookie', otherCookie).expect(204);
    assert.deepEqual(await live(), [pageId]);
    // Nor can a page of another site, even with the right cookie.
    const refused = await request(app(wire))
      .post(`${STATUS}?leave=${pageId}`)
      .set('cookie', cookie)
      .set('origin', 'https://elsewhere.example')
      .expect(403);
    assert.equal(refused.text, 'origin not allowed');
    assert.deepEqual(await live(), [pageId]);
    // A body is not a beacon's; other methods are not the endpoint's.
    await request(app(wire))
      .post(`${STATUS}?leave=${pageId}`)
      .set('cookie', cookie)
      .set('content-type', 'text/plain')
      .send('ids')
      .expect(400);
    await request(app(wire)).put(`${STATUS}?leave=${pageId}`).set('cookie', cookie).expect(405);
    assert.deepEqual(await live(), [pageId]);
    await request(app(wire)).post(`${STATUS}?leave=${pageId}`).set('cookie', cookie).expect(204);
    assert.deepEqual(await live(), []);
  });

  it('a beacon from this site is taken with its Origin, or Origin "null" if the browser says same-origin', async () => {
    const server = app(wire).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const page = async () => {
        const res = await request(server).get('/live').expect(200);
        return {
          cookie: String(res.headers['set-cookie']).split(';')[0] as string,
          pageId: /data-pagewire-page="([^"]+)"/.exec(res.text)?.[1] as string,
        };
      };
      const live = async (p: { cookie: string; pageId: string }) =>
        (
          (await request(server).get(`${STATUS}?ids=${p.pageId}`).set('cookie', p.cookie)).body as {
            live: string[];
          }
        ).live;
      const a = await page();
      await request(server)
        .post(`${STATUS}?leave=${a.pageId}`)
        .set('cookie', a.cookie)
        .set('origin', origin)
        .expect(204);
      assert.deepEqual(await live(a), []);
      // `Referrer-Policy: no-referrer` makes a beacon's Origin "null".
      const b = await page();
      await request(server)
        .post(`${STATUS}?leave=${b.pageId}`)
        .set('cookie', b.cookie)
        .set('origin', 'null')
        .expect(403);
      assert.deepEqual(await live(b), [b.pageId]);
      await request(server)
        .post(`${STATUS}?leave=${b.pageId}`)
        .set('cookie', b.cookie)
        .set('origin', 'null')
        .set('sec-fetch-site', 'same-origin')
        .expect(204);
      assert.deepEqual(await live(b), []);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('injects at the very start when there is no doctype', async () => {
    const res = await request(app(wire)).get('/no-doctype').expect(200);
    assert.match(res.text, /^<script src=[^>]+><\/script><p>first<\/p>$/);
  });

  it('serves the client runtime, cacheable and revalidated by ETag', async () => {
    const res = await request(app(wire))
      .get('/__pagewire/client.js')
      .expect(200)
      .expect('content-type', /javascript/);
    assert.match(res.text, /serverSocket/);
    await request(app(wire))
      .get('/__pagewire/client.js')
      .set('if-none-match', res.headers.etag as string)
      .expect(304);
  });

  it('keeps the content type a script sets, and injects nothing into non-HTML', async () => {
    const res = await request(app(wire)).get('/json').expect(200).expect('content-type', 'application/json');
    assert.deepEqual(res.body, { ok: true });
  });

  it('parses form and JSON bodies, and takes a body Express already parsed', async () => {
    const form = await request(app(wire)).post('/form').type('form').send('a=1&a=2&b=x').expect(200);
    assert.equal(form.text, 'POST:{&quot;a&quot;:[&quot;1&quot;,&quot;2&quot;],&quot;b&quot;:&quot;x&quot;}');
    const json = await request(app(wire))
      .post('/form')
      .send({ n: [1, 2] })
      .expect(200);
    assert.equal(json.text, 'POST:{&quot;n&quot;:[1,2]}');
    const parsed = express();
    parsed.use(express.json());
    parsed.use(wire);
    const viaExpress = await request(parsed).post('/form').send({ pre: true }).expect(200);
    assert.equal(viaExpress.text, 'POST:{&quot;pre&quot;:true}');
    await request(app(wire))
      .post('/form')
      .set('content-type', 'application/json')
      .send('{oops')
      .expect(400, /not valid JSON/);
  });

  it('refuses a body over maxBodyBytes with 413', async () => {
    const small = pagewire({ dir: folder.dir, logger: log, maxBodyBytes: 10, ...testWorkers() });
    try {
      await request(app(small)).post('/form').type('form').send('a=12345678901234567890').expect(413);
    } finally {
      await small.close();
    }
  });

  it('routes [param] scripts', async () => {
    await request(app(wire)).get('/blog/hello-world').expect(200, 'post hello-world');
  });

  it('serves static assets, never sources or private files', async () => {
    await request(app(wire))
      .get('/style.css')
      .expect(200)
      .expect('content-type', /text\/css/)
      .expect('body { color: red }');
    for (const path of [
      '/index.ts',
      '/live.ts',
      '/_secret',
      '/_secret.ts',
      '/.env',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '/style.css%00',
    ]) {
      const res = await request(app(wire)).get(path);
      assert.equal(res.status, 404, path);
      assert.equal(res.text, 'express 404', `${path} went on to the next middleware`);
    }
  });

  it('passes what it does not serve on to Express', async () => {
    await request(app(wire)).get('/from-express').expect(200, 'express route');
    await request(app(wire)).get('/nothing-here').expect(404, 'express 404');
  });

  it('answers a failed render with a generic page and a request id in production, details in the log', async () => {
    const res = await request(app(wire)).get('/broken').expect(500);
    const id = /request id <code>([\w-]+)<\/code>/.exec(res.text)?.[1];
    assert.ok(id, res.text);
    assert.doesNotMatch(res.text, /broken\.ts|Cannot read/);
    assert.ok(
      log.lines.some((line) => line.includes(`request ${id}`) && line.includes('broken.ts:2:59 TypeError')),
      log.lines.join('\n'),
    );
  });
});

describe('HTTP, dev mode', () => {
  it('shows the error, its file:line:col and a code frame', async () => {
    const wire = pagewire({ dir: folder.dir, dev: true, logger: memoryLogger(), ...testWorkers() });
    try {
      const res = await request(app(wire)).get('/broken').expect(500);
      assert.match(res.text, /broken\.ts:2:59 TypeError: Cannot read properties of undefined \(reading &#39;z&#39;\)/);
      assert.match(res.text, /&gt; 2 \| const y: number/);
    } finally {
      await wire.close();
    }
  });
});

describe('HTTP, standalone handler', () => {
  it('answers 404 itself', async () => {
    const wire = pagewire({ dir: folder.dir, logger: memoryLogger(), ...testWorkers() });
    try {
      const { createServer } = await import('node:http');
      const server = createServer(wire.handler);
      await request(server).get('/').expect(200);
      await request(server).get('/missing').expect(404, 'Not found');
      await request(server).get('/index.ts').expect(404);
    } finally {
      await wire.close();
    }
  });
});

describe('pagewire() options', () => {
  it('throws at once, naming the fix', () => {
    assert.throws(() => pagewire({} as never), /the 'dir' option is required/);
    assert.throws(() => pagewire({ dir: '/no/such/folder' }), /scripts folder '\/no\/such\/folder' does not exist/);
    assert.throws(
      () => pagewire({ dir: folder.dir, connectTimeout: -1 }),
      /'connectTimeout' must be a positive number/,
    );
    assert.throws(
      () => pagewire({ dir: folder.dir, allowedOrigins: ['example.com'] }),
      /allowedOrigins entries look like/,
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { pagewire } from '../lib/index.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';
import { STATUS } from './helpers/paths.js';

const folder = scriptsFolder({
  'live.ts': `echo('<!doctype html><p>live</p>');
function __serverSocketEvent() {}`,
  'plain.ts': `echo('<!doctype html><form method="post"><button>Delete my account</button></form>');`,
  'partner.ts': `response.setHeader('Content-Security-Policy', 'frame-ancestors https://partner.example');
response.setHeader('Referrer-Policy', 'no-referrer');
echo('<!doctype html><p>embeddable</p>');
function __serverSocketEvent() {}`,
  'nonce.ts': `echo(\`<!doctype html><p id="nonce">\${request.nonce ?? 'none'}</p>\`);
function __serverSocketEvent() {}`,
  'broken.ts': `throw new Error('broken');`,
  'style.css': 'body{}',
});
after(() => folder.remove());

const nosniffAndReferrer = (res: request.Response, what: string) => {
  assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(res.headers['referrer-policy'], 'same-origin', what);
};

describe('security headers on Pagewire responses', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: folder.dir });
  });
  after(() => server.close());

  it("live and plain pages: nosniff, Referrer-Policy same-origin, frame-ancestors 'self'", async () => {
    for (const path of ['/live', '/plain', '/broken']) {
      const res = await request(server.url).get(path);
      nosniffAndReferrer(res, path);
      assert.equal(res.headers['content-security-policy'], "frame-ancestors 'self'", path);
    }
  });

  it('static files, the client script and the status endpoint: nosniff and Referrer-Policy', async () => {
    const live = await request(server.url).get('/live');
    const client = /src="([^"]+)"/.exec(live.text)?.[1] as string;
    for (const path of ['/style.css', client, '/__pagewire/pages', `${STATUS}?ids=x`]) {
      const res = await request(server.url).get(path).expect(200);
      nosniffAndReferrer(res, path);
    }
  });

  it("a script's own headers win", async () => {
    const res = await request(server.url).get('/partner').expect(200);
    assert.equal(res.headers['content-security-policy'], 'frame-ancestors https://partner.example');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('without csp, request.nonce is undefined and the client tag has no nonce', async () => {
    const res = await request(server.url).get('/nonce').expect(200);
    assert.match(res.text, /<p id="nonce">none<\/p>/);
    assert.doesNotMatch(res.text, /nonce="/);
  });
});

describe('security header options', () => {
  it('frameAncestors and referrerPolicy change or drop their header', async () => {
    const none = await startServer({ dir: folder.dir, frameAncestors: ["'none'"], referrerPolicy: 'no-referrer' });
    const off = await startServer({ dir: folder.dir, frameAncestors: false, referrerPolicy: false });
    try {
      const strict = await request(none.url).get('/live').expect(200);
      assert.equal(strict.headers['content-security-policy'], "frame-ancestors 'none'");
      assert.equal(strict.headers['referrer-policy'], 'no-referrer');
      const loose = await request(off.url).get('/live').expect(200);
      assert.equal(loose.headers['content-security-policy'], undefined);
      assert.equal(loose.headers['referrer-policy'], undefined);
      assert.equal(loose.headers['x-content-type-options'], 'nosniff');
    } finally {
      await none.close();
      await off.close();
    }
  });

  it("csp: 'nonce': a fresh nonce per render, in the header, on the client tag and as request.nonce", async () => {
    const server = await startServer({ dir: folder.dir, csp: 'nonce' });
    try {
      const nonces = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const res = await request(server.url).get('/nonce').expect(200);
        const nonce = /<p id="nonce">([^<]+)<\/p>/.exec(res.text)?.[1] as string;
        assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
        assert.equal(
          res.headers['content-security-policy'],
          `script-src 'nonce-${nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'`,
        );
        assert.match(res.text, new RegExp(`<script nonce="${nonce.replace(/[+/]/g, '\\$&')}" src=`));
        nonces.add(nonce);
      }
      assert.equal(nonces.size, 2, 'each render has its own nonce');
    } finally {
      await server.close();
    }
  });

  it('csp as a function writes the policy; its own frame-ancestors is kept', async () => {
    const csp = (nonce: string) => `script-src 'nonce-${nonce}'; frame-ancestors 'none'`;
    const server = await startServer({ dir: folder.dir, csp });
    try {
      const res = await request(server.url).get('/nonce').expect(200);
      const nonce = /<p id="nonce">([^<]+)<\/p>/.exec(res.text)?.[1] as string;
      assert.equal(res.headers['content-security-policy'], `script-src 'nonce-${nonce}'; frame-ancestors 'none'`);
    } finally {
      await server.close();
    }
  });

  it('refuses malformed values, naming the option', () => {
    const cases: Array<[string, unknown]> = [
      ['frameAncestors', "'self'"],
      ['frameAncestors', []],
      ['frameAncestors', ["'self'; script-src *"]],
      ['referrerPolicy', 'same origin\r\nx: y'],
      ['csp', 'strict'],
    ];
    for (const [name, value] of cases) {
      assert.throws(() => pagewire({ dir: folder.dir, [name]: value }), new RegExp(`'${name}' must be`), name);
    }
  });
});

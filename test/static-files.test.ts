import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { DEFAULT_STATIC_EXTENSIONS, pagewire } from '../lib/index.js';
import { isServedAsStatic, RouteTable } from '../lib/http/routes.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

const SECRET = "const apiKey = 'sk-live-1234';";

// What an editor, a merge or a person leaves beside a script: each is a copy of its source.
const LEFTOVERS = [
  'secret.ts~',
  '#secret.ts#',
  'secret.ts.bak',
  'secret.ts.orig',
  'secret.ts.rej',
  'secret.ts.old',
  'secret.ts.swp',
  'secret.ts.tmp',
  'secret.ts.save',
  'secret.bak',
  'secret.mts',
  'secret.cts',
  'secret.tsx',
  'secret.jsx',
  'secret.mjs',
  'secret.cjs',
  'secret.d.ts',
  'secret.ts.map',
  'secret.ts.txt',
  'app.js~',
  'app.js.orig',
];

const folder = scriptsFolder({
  'secret.ts': `${SECRET}\necho('ok');`,
  ...Object.fromEntries(LEFTOVERS.map((name) => [name, SECRET])),
  'style.css': 'body{}',
  'app.js': 'console.log(1)',
  'app.js.map': '{"version":3}',
  'robots.txt': 'User-agent: *',
  'logo.png': 'png',
  'font.woff2': 'woff2',
  'IMG.JPG': 'jpg',
  'deploy.sh': 'rm -rf /',
  'data.json': '{"secret":1}',
  'notes.md': '# notes',
  'config.yaml': 'password: x',
  Makefile: 'all:',
  'backup.sql': 'INSERT',
});
after(() => folder.remove());

describe('static files: an allowlist of extensions', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: folder.dir });
  });
  after(() => server.close());

  it('never serves a script source, its backups or editor files', async () => {
    for (const name of LEFTOVERS) {
      const res = await request(server.url).get(`/${encodeURIComponent(name)}`);
      assert.equal(res.status, 404, name);
      assert.doesNotMatch(res.text, /sk-live/, name);
    }
  });

  it('serves the listed extensions (case aside), and no other', async () => {
    for (const name of ['style.css', 'app.js', 'app.js.map', 'robots.txt', 'logo.png', 'font.woff2', 'IMG.JPG']) {
      await request(server.url).get(`/${name}`).expect(200);
    }
    for (const name of ['deploy.sh', 'data.json', 'notes.md', 'config.yaml', 'Makefile', 'backup.sql']) {
      await request(server.url).get(`/${name}`).expect(404);
    }
  });

  it('staticExtensions says which: a source or backup stays unserved whatever it lists', async () => {
    const json = await startServer({ dir: folder.dir, staticExtensions: ['.json', '.txt'] });
    try {
      await request(json.url).get('/data.json').expect(200);
      await request(json.url).get('/style.css').expect(404);
      // Named after a script, `.txt` or not: never.
      await request(json.url).get('/secret.ts.txt').expect(404);
    } finally {
      await json.close();
    }
  });

  it('refuses a staticExtensions entry that can never be served, naming it', () => {
    for (const extension of ['.ts', '.bak', '.tsx', '.orig', '.swp']) {
      assert.throws(
        () => pagewire({ dir: folder.dir, staticExtensions: [...DEFAULT_STATIC_EXTENSIONS, extension] }),
        new RegExp(`'staticExtensions' must be .*'\\${extension}' is never served`),
      );
    }
    assert.throws(() => pagewire({ dir: folder.dir, staticExtensions: ['css'] }), /each with its dot/);
  });

  it('keeps the router and the partial check as they were: .js public, .mjs/.cjs never', () => {
    const routes = new RouteTable(folder.dir);
    assert.deepEqual(routes.resolve('/app.js'), { kind: 'static', file: 'app.js' });
    assert.equal(isServedAsStatic('app.js'), true);
    assert.equal(isServedAsStatic('lib/x.mjs'), false);
    assert.equal(isServedAsStatic('_lib/x.js'), false);
  });
});

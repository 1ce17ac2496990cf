import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { scriptsFolder } from './helpers/fixtures.js';

const root = path.join(import.meta.dirname, '..');

describe('the package, as another project installs it', () => {
  const app = scriptsFolder({
    'package.json': '{ "type": "module" }',
    'scripts/index.ts': 'echo(html`<p>hi ${request.query.n}</p>`);\nfunction __serverSocketEvent() {}',
    'app.js': `import express from 'express';
import { pagewire } from 'pagewire';
const app = express();
const wire = pagewire({ dir: 'scripts' });
app.use(wire);
const server = app.listen(0, '127.0.0.1', async () => {
  wire.attach(server);
  const res = await fetch('http://127.0.0.1:' + server.address().port + '/?n=<x>');
  console.log(JSON.stringify({ status: res.status, body: await res.text() }));
  await wire.close();
  server.close();
});`,
    'client.js': `import { ServerSocket, ServerSocketEvent } from 'pagewire/client';
console.log(typeof ServerSocket, String(new ServerSocketEvent('message', 'text')));`,
  });
  // What `npm install ../pagewire` makes: a link to this folder, whose own dependencies resolve
  // from here. Express is linked from here too, as the app would have installed it.
  mkdirSync(path.join(app.dir, 'node_modules'));
  symlinkSync(root, path.join(app.dir, 'node_modules', 'pagewire'), 'dir');
  symlinkSync(path.join(root, 'node_modules', 'express'), path.join(app.dir, 'node_modules', 'express'), 'dir');
  after(() => app.remove());

  it('ships compiled JavaScript and declarations', () => {
    for (const file of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/client/server-socket.js', 'dist/client/server-socket.d.ts', 'types/script-globals.d.ts']) {
      assert.ok(existsSync(path.join(root, file)), `${file} (built by npm install / npm run build)`);
    }
  });

  it('lets a plain JavaScript Express app import { pagewire } and serve a live page', () => {
    const run = spawnSync(process.execPath, ['app.js'], { cwd: app.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const { status, body } = JSON.parse(run.stdout.trim()) as { status: number; body: string };
    assert.equal(status, 200);
    assert.match(body, /^<script src="\/__pagewire\/client\.js\?v=[\w-]+" data-pagewire-page="[\w-]{22}"[^>]*><\/script><p>hi &lt;x&gt;<\/p>$/);
  });

  it("exports the browser client as 'pagewire/client'", () => {
    const run = spawnSync(process.execPath, ['client.js'], { cwd: app.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'function text');
  });
});

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { scriptsFolder } from './helpers/fixtures.js';
import { installPacked, npmMissing, personEnv } from './helpers/packed-package.js';
import { joinPage, renderLive } from './helpers/server.js';

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
    const files = [
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/client/server-socket.js',
      'dist/client/server-socket.d.ts',
      'dist/client/server-socket.iife.js',
      'dist/runner/sandbox/prelude.cjs',
      'dist/testing/index.js',
      'dist/testing/index.d.ts',
      'types/script-globals.d.ts',
    ];
    for (const file of files) {
      assert.ok(existsSync(path.join(root, file)), `${file} (built by npm install / npm run build)`);
    }
  });

  it('lets a plain JavaScript Express app import { pagewire } and serve a live page', () => {
    const run = spawnSync(process.execPath, ['app.js'], { cwd: app.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const { status, body } = JSON.parse(run.stdout.trim()) as { status: number; body: string };
    assert.equal(status, 200);
    assert.match(
      body,
      new RegExp(
        /^<script src="\/__pagewire\/client\.js\?v=[\w-]+" data-pagewire-page="[\w-]{22}"/.source +
          /[^>]*><\/script><p>hi &lt;x&gt;<\/p>$/.source,
      ),
    );
  });

  it("exports the browser client as 'pagewire/client'", () => {
    const run = spawnSync(process.execPath, ['client.js'], { cwd: app.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'function text');
  });
});

describe('the package, packed and installed with its production dependencies only', { timeout: 180_000 }, () => {
  // The child processes must not take this run's settings (see personEnv).
  const env = personEnv;

  it('serves a live page with its CLI; no dev dependency can be loaded', {
    skip: npmMissing && `npm is not available (${npmMissing.message})`,
  }, async (t) => {
    const work = scriptsFolder({
      'app/package.json': '{ "name": "app", "private": true }',
      'scripts/index.ts': `echo(html\`<p>hi</p>\`);
function __serverSocketEvent(name: string, data: unknown) {
  server_socket_event('pong', { name, data });
}`,
    });
    let cli: ChildProcess | undefined;
    t.after(async () => {
      if (cli && cli.exitCode === null && cli.signalCode === null) {
        const exited = new Promise((resolve) => cli?.once('exit', resolve));
        cli.kill('SIGTERM');
        await exited;
      }
      work.remove();
    });
    const app = path.join(work.dir, 'app');

    const packed = installPacked(work.dir, app);
    const sources = packed.filter((file) => /(?<!\.d)\.ts$/.test(file));
    assert.deepEqual(sources, [], 'TypeScript sources in the package: something would compile them at run time');

    const installed = path.join(app, 'node_modules', 'pagewire');
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    // A peer (`@types/node`, which the scripts' globals reference) is the app's own: npm installs it.
    const peers = Object.keys(manifest.peerDependencies);
    const devDependencies = Object.keys(manifest.devDependencies).filter((name) => !peers.includes(name));
    for (const name of ['tsx', 'esbuild', 'typescript']) assert.ok(devDependencies.includes(name), name);
    // Every folder where `require` or `import` from the installed package would look.
    const lookup = createRequire(path.join(installed, 'package.json')).resolve.paths('x') ?? [];
    const loadable = devDependencies.filter((name) => lookup.some((dir) => existsSync(path.join(dir, name))));
    assert.deepEqual(loadable, [], `dev dependencies found in ${lookup.join(', ')}`);

    const bin = path.join(app, 'node_modules', '.bin', 'pagewire');
    // `pagewire init`, then `tsc -p` on what it wrote, as the README says: with what this install
    // brought, the scripts' globals resolve (no path into a checkout, no link to this folder).
    const init = spawnSync(process.execPath, [bin, 'init', 'fresh'], { cwd: app, env, encoding: 'utf8' });
    assert.equal(init.status, 0, init.stderr);
    // Node's web globals are declared through Node's types, which the install must have brought.
    writeFileSync(
      path.join(app, 'fresh', 'web-globals.ts'),
      [
        'const url = new URL(request.url, "http://x");',
        'setTimeout(() => crypto.randomUUID(), new TextEncoder().encode(url.host).length);',
        '',
      ].join('\n'),
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const typecheck = spawnSync(process.execPath, [tsc, '-p', 'fresh'], { cwd: app, env, encoding: 'utf8' });
    assert.equal(typecheck.status, 0, `tsc -p fresh failed:\n${typecheck.stdout}${typecheck.stderr}`);
    // The test init wrote runs on what this install brought: pagewire/testing needs nothing else.
    const tested = spawnSync(process.execPath, ['--test', 'fresh'], {
      cwd: app,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(tested.status, 0, `node --test fresh failed:\n${tested.stdout}${tested.stderr}`);
    assert.match(tested.stdout, /^# pass 1$/m);

    const scripts = path.join(work.dir, 'scripts');
    const args = [bin, 'serve', scripts, '--port', '0', '--host', '127.0.0.1'];
    const server = spawn(process.execPath, args, { cwd: app, env });
    cli = server;
    let output = '';
    const origin = await new Promise<string>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += String(chunk);
        const listening = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
        if (listening) resolve(listening[1] as string);
      };
      server.stdout.on('data', read);
      server.stderr.on('data', read);
      server.once('exit', (code) => reject(new Error(`pagewire serve exited (${code}) first:\n${output}`)));
    });

    const page = await renderLive(origin, '/');
    const tag = /^<script src="(\/__pagewire\/client\.js\?v=[\w-]+)" data-pagewire-page="[\w-]{22}"[^>]*><\/script>/;
    const src = tag.exec(page.body)?.[1];
    assert.ok(src, `no client tag at the start of the page: ${page.body}`);
    assert.match(page.body, /<\/script><p>hi<\/p>$/);
    const client = await fetch(origin + src);
    assert.equal(client.status, 200);
    assert.match(client.headers.get('content-type') ?? '', /^text\/javascript/);
    const bundle = readFileSync(path.join(installed, 'dist', 'client', 'server-socket.iife.js'), 'utf8');
    assert.equal(await client.text(), bundle);

    const socket = await joinPage(origin, page.pageId, page.cookie);
    socket.event(page.pageId, 'ping', 1);
    const push = await socket.next((frame) => frame.t === 'push', 20_000);
    assert.deepEqual({ n: push.n, d: push.d }, { n: 'pong', d: { name: 'ping', data: 1 } }, output);
    await socket.close();
  });
});

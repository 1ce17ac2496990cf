import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { joinPage, renderLive, startServer } from './helpers/server.js';

const root = path.join(import.meta.dirname, '..');
const TSC = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs a Node program to its end: its exit code and everything it printed. */
function run(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  // Not as a child of this test runner (NODE_TEST_CONTEXT): `node --test` reports as it does for a person.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(process.execPath, args, { cwd, env });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

const pagewireCli = (args: string[], cwd: string) => run([path.join(root, 'bin', 'pagewire.js'), ...args], cwd);

/** A fresh project folder, with this repository installed as its `pagewire` package (a symlink). */
function freshProject(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pagewire-init-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(root, path.join(dir, 'node_modules', 'pagewire'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('pagewire init', { timeout: 120_000 }, () => {
  it('writes a page, a partial and a tsconfig that type-checks from another project', async () => {
    const project = freshProject();
    try {
      const init = await pagewireCli(['init'], project.dir);
      assert.equal(init.code, 0, init.output);
      assert.match(init.output, /^ {2}npx pagewire serve scripts --dev$/m);
      assert.match(init.output, /^ {2}node --test scripts$/m);
      const scripts = path.join(project.dir, 'scripts');
      assert.deepEqual(readdirSync(scripts).sort(), ['_layout.ts', 'index.test.mjs', 'index.ts', 'tsconfig.json']);
      const tsconfig = JSON.parse(readFileSync(path.join(scripts, 'tsconfig.json'), 'utf8')) as {
        compilerOptions: { types: string[]; lib: string[] };
      };
      // Only the script globals: no DOM, no Node, no path into this repository.
      assert.deepEqual(tsconfig.compilerOptions.types, ['pagewire/script-globals']);
      assert.deepEqual(tsconfig.compilerOptions.lib, ['es2023']);
      assert.doesNotMatch(readFileSync(path.join(scripts, 'tsconfig.json'), 'utf8'), /\.\.|types\//);

      const passes = await run([TSC, '-p', 'scripts'], project.dir);
      assert.equal(passes.code, 0, passes.output);

      appendFileSync(path.join(scripts, 'index.ts'), '\nnew Foo();\n');
      const fails = await run([TSC, '-p', 'scripts'], project.dir);
      assert.notEqual(fails.code, 0, fails.output);
      assert.match(fails.output, /index\.ts\(\d+,5\): error TS2304: Cannot find name 'Foo'/);
    } finally {
      project.remove();
    }
  });

  it('fails on the globals the types do not declare, the DOM included', async () => {
    const project = freshProject();
    try {
      assert.equal((await pagewireCli(['init', 'pages'], project.dir)).code, 0);
      writeFileSync(path.join(project.dir, 'pages', 'other.ts'), 'echo(document.title);\n');
      const fails = await run([TSC, '-p', 'pages'], project.dir);
      assert.match(fails.output, /other\.ts\(1,6\): error TS2584: Cannot find name 'document'/);
      // Without the package installed, the tsconfig names what it misses.
      rmSync(path.join(project.dir, 'node_modules'), { recursive: true });
      rmSync(path.join(project.dir, 'pages', 'other.ts'));
      const missing = await run([TSC, '-p', 'pages'], project.dir);
      assert.notEqual(missing.code, 0);
      assert.match(missing.output, /pagewire\/script-globals/);
    } finally {
      project.remove();
    }
  });

  it('never overwrites a file: with one already there it writes nothing and says why', async () => {
    const project = freshProject();
    try {
      const mine = path.join(project.dir, 'scripts', 'index.ts');
      mkdirSync(path.dirname(mine));
      writeFileSync(mine, 'echo("mine");\n');
      const refused = await pagewireCli(['init'], project.dir);
      assert.equal(refused.code, 1);
      assert.match(refused.output, /scripts\/index\.ts already exists, and init never overwrites a file/);
      assert.match(refused.output, /nothing was written/);
      assert.equal(readFileSync(mine, 'utf8'), 'echo("mine");\n');
      assert.deepEqual(readdirSync(path.dirname(mine)), ['index.ts']);
      // Flags of `serve` mean nothing to `init`: the usage, not a folder written.
      const flagged = await pagewireCli(['init', 'other', '--port', '4000'], project.dir);
      assert.equal(flagged.code, 2);
      assert.match(flagged.output, /pagewire init \[dir\]/);
      // And what was wrong, before it.
      assert.match(flagged.output, /^pagewire: init takes no option of serve/);
      const two = await pagewireCli(['init', 'a', 'b'], project.dir);
      assert.equal(two.code, 2);
      assert.match(two.output, /^pagewire: init takes one folder, but was also given b\n/);
    } finally {
      project.remove();
    }
  });

  it('writes a test of the first page that passes with node --test, and fails when the page breaks', async () => {
    const project = freshProject();
    try {
      assert.equal((await pagewireCli(['init'], project.dir)).code, 0);
      const passes = await run(['--test', 'scripts'], project.dir);
      assert.equal(passes.code, 0, passes.output);
      assert.match(passes.output, /^# pass 1$/m);
      // The test reads what the page shows: a page that stops counting fails it.
      const page = path.join(project.dir, 'scripts', 'index.ts');
      writeFileSync(page, readFileSync(page, 'utf8').replace("server_socket_event('clicks', ++clicks)", 'clicks++'));
      const fails = await run(['--test', 'scripts'], project.dir);
      assert.notEqual(fails.code, 0, fails.output);
      assert.match(fails.output, /^# fail 1$/m);
    } finally {
      project.remove();
    }
  });

  it('the first page is live: it counts clicks', async () => {
    const project = freshProject();
    try {
      assert.equal((await pagewireCli(['init'], project.dir)).code, 0);
      const server = await startServer({ dir: path.join(project.dir, 'scripts') });
      try {
        const page = await renderLive(server.url, '/?name=you');
        assert.match(page.body, /<h1>Hello you<\/h1>/);
        const client = await joinPage(server.origin, page.pageId, page.cookie);
        client.event(page.pageId, 'click');
        client.event(page.pageId, 'click');
        await client.next((f) => f.t === 'push' && f.n === 'clicks' && f.d === 2);
        const counts = client.frames.filter((f) => f.t === 'push' && f.n === 'clicks').map((f) => f.d);
        assert.deepEqual(counts, [1, 2]);
        await client.close();
      } finally {
        await server.close();
      }
    } finally {
      project.remove();
    }
  });
});

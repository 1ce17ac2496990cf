import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { ErrorContext } from '../lib/index.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { fetchPage, joinPage, renderLive, startServer, type SocketClient } from './helpers/server.js';

/**
 * Which failures are Pagewire's own (they end the thread, as Node's default does) and which a
 * script's (reported; the thread goes on). Two attacks on that line: Pagewire installed by npm
 * lies in a node_modules folder, and its own failures must still end the thread; a script that
 * knows Pagewire's folder (the jail's refusals name it) throws a failure whose stack names it,
 * and must not end a worker that another session's live page shares.
 */
const root = path.join(import.meta.dirname, '..');

/** Run from the installed copy's dist/: a runner that guards its process, then a failure of the package's code. */
const OWN_FAILURE_CHILD = `import path from 'node:path';
import { InProcessRunner } from './runner/in-process-runner.js';
import { DEFAULT_FORBIDDEN_MODULES, DEFAULT_OPTIONS } from './lib/options.js';
import { RESERVED_EVENT_NAMES } from './protocol/wire.js';
const dir = process.argv[2];
new InProcessRunner({
  root: dir,
  forbiddenModules: DEFAULT_FORBIDDEN_MODULES,
  env: DEFAULT_OPTIONS.env,
  reservedEvents: RESERVED_EVENT_NAMES,
  maxQueuedEvents: 100,
  fsJail: { dataDir: path.join(dir, '_data'), readDirs: [] },
  guardProcess: true,
}, 'later');
setImmediate(() => {
  throw new Error('a failure of Pagewire itself');
});
`;

describe('Pagewire installed in a node_modules folder', () => {
  const app = scriptsFolder({ 'scripts/other.ts': "echo('other');\n" });
  after(() => app.remove());

  it("still ends the thread on a failure of its own code: the guard takes it for no script's", () => {
    // What npm install makes: the package's files (dist/, package.json) under node_modules/pagewire.
    const installed = path.join(app.dir, 'node_modules', 'pagewire');
    mkdirSync(installed, { recursive: true });
    cpSync(path.join(root, 'dist'), path.join(installed, 'dist'), { recursive: true });
    copyFileSync(path.join(root, 'package.json'), path.join(installed, 'package.json'));
    // Its dependencies, as npm would have installed them beside it.
    symlinkSync(path.join(root, 'node_modules'), path.join(installed, 'node_modules'), 'dir');
    writeFileSync(path.join(installed, 'dist', 'own-failure-child.js'), OWN_FAILURE_CHILD);
    const child = spawnSync(
      process.execPath,
      [path.join(installed, 'dist', 'own-failure-child.js'), path.join(app.dir, 'scripts')],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(child.status, 1, `exit ${child.status}: ${child.stderr}`);
    assert.match(child.stderr, /Error: a failure of Pagewire itself/);
  });
});

/**
 * A failure whose stack names a file of Pagewire's, thrown by a partial's module-level code (no
 * page is known there) where no wrapper of the prelude runs: a listener on a server it opened.
 */
const THROW_PLAIN = "throw { message: 'forged plain', stack };";
const THROW_ERROR = "const error = new Error('forged error');\n  error.stack = stack;\n  throw error;";
const forged = (own: string, kind: string) => `import net from 'node:net';
const stack = 'Error: forged\\n    at own (${own}/dist/runner/failure-guard.js:1:1)';
const server = net.createServer();
server.listen(0, '127.0.0.1', () => {
  server.close();
  ${kind === 'plain' ? THROW_PLAIN : THROW_ERROR}
});
export const armed = true;
`;

describe("a script's failure that names Pagewire's files, in a worker (workers: 1)", () => {
  const folder = scriptsFolder({
    '_forge-plain.ts': forged(root, 'plain'),
    '_forge-error.ts': forged(root, 'error'),
    'forge-plain.ts': "import { armed } from './_forge-plain';\necho(String(armed));\n",
    'forge-error.ts': "import { armed } from './_forge-error';\necho(String(armed));\n",
    'other.ts':
      "echo('other');\n" +
      "function __serverSocketEvent(name: string) { if (name === 'ping') server_socket_event('pong'); }\n",
  });
  after(() => folder.remove());

  for (const kind of ['plain', 'error']) {
    const what = kind === 'plain' ? 'a plain { stack } object' : "a script's Error";
    it(`${what}: reported as a script's; another session's page in the worker lives on`, async () => {
      const reported: ErrorContext[] = [];
      const server = await startServer({
        dir: folder.dir,
        workers: 1,
        watchdogTimeout: 60_000,
        onError: (_error, context) => void reported.push(context),
      });
      try {
        const other = await renderLive(server.url, '/other');
        const otherClient = await joinPage(server.origin, other.pageId, other.cookie);
        await fetchPage(server.url, `/forge-${kind}`);
        const report = () => reported.find((context) => context.message === `forged ${kind}`);
        await waitFor(() => report() !== undefined || crashed(otherClient), 'the report, or the crash');
        assert.equal(crashed(otherClient), false, `the worker ended: ${server.log.lines.join('\n')}`);
        assert.equal(report()?.code, 'UNCAUGHT_EXCEPTION');
        otherClient.event(other.pageId, 'ping');
        await otherClient.next((f) => f.n === 'pong');
        await otherClient.close();
      } finally {
        await server.close();
      }
    });
  }
});

function crashed(client: SocketClient): boolean {
  return client.frames.some((f) => f.t === 'closed');
}

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ErrorContext } from '../lib/index.js';
import { FAILURE_REPORT_MS, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { joinPage, renderLive, startServer, type SocketClient, type TestServer } from './helpers/server.js';

/**
 * The attack: a throw inside a callback a script handed to a Node API, where no `try` of the
 * prelude is on the stack. An fs error thrown as it came (its stack is the host's: no script
 * frame), a non-Error value, a throw in a timer of the `timers` module. Each must be reported as
 * the script's, with its page, and end neither the worker (another session's live page shares it)
 * nor the CLI's process.
 */
const BAD_SCRIPT = `import fs from 'fs';
import { setTimeout as later } from 'timers';
import net from 'net';
echo('bad');
function __serverSocketEvent(name: string) {
  if (name === 'fs-error') fs.readFile(__dirname + '/_data/missing', (error) => { throw error; });
  if (name === 'string') fs.readFile(__dirname + '/_data/missing', () => { throw 'a string'; });
  if (name === 'undefined') fs.stat(__dirname + '/_data/missing', () => { throw undefined; });
  if (name === 'timers') later(() => { throw new Error('timers broke'); }, 1);
  if (name === 'timers-string') later(() => { throw 'timers string'; }, 1);
  if (name === 'listener') {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => { server.close(); throw 'listener string'; });
  }
  if (name === 'ping') server_socket_event('pong');
}
`;
const OTHER_SCRIPT = `let n = 0;
echo('other');
function __serverSocketEvent(name: string) { if (name === 'ping') server_socket_event('pong', ++n); }
`;

/** Each attack: the event, and what the report must say (code, line in bad.ts, message). */
const ATTACKS = [
  { event: 'fs-error', code: 'UNCAUGHT_EXCEPTION', line: 6, message: /ENOENT: no such file or directory/ },
  { event: 'string', code: 'UNCAUGHT_EXCEPTION', line: 7, message: /not an Error was thrown: a string$/ },
  { event: 'undefined', code: 'UNCAUGHT_EXCEPTION', line: 8, message: /not an Error was thrown: undefined/ },
  { event: 'timers', code: 'TIMER_ERROR', line: 9, message: /^timers broke$/ },
  { event: 'timers-string', code: 'TIMER_ERROR', line: 10, message: /not an Error was thrown: timers string$/ },
  // A listener on what the script opened: no wrapper runs it, the thread's listener catches it;
  // the page that opened the server is known, the line is not (a string has no stack).
  { event: 'listener', code: 'UNCAUGHT_EXCEPTION', line: undefined, message: /^listener string$/ },
] as const;

const folder = scriptsFolder({
  'bad.ts': BAD_SCRIPT,
  'other.ts': OTHER_SCRIPT,
  // Module-level code of a partial, outside any page: its listener's throw has no page, no stack.
  '_armed.ts': `import net from 'net';
const server = net.createServer();
server.listen(0, '127.0.0.1', () => { server.close(); throw 'module-level string'; });
export const armed = true;
`,
  'arms.ts': `import { armed } from './_armed';
echo(String(armed));
function __serverSocketEvent() {}
`,
});
after(() => folder.remove());

describe('a throw in a callback handed to a Node API, in a worker (workers: 1)', () => {
  let server: TestServer;
  const reported: ErrorContext[] = [];
  before(async () => {
    // A first render in a new worker can pass the 2 s watchdog on a loaded machine: not the subject here.
    server = await startServer({
      watchdogTimeout: 60_000,
      dir: folder.dir,
      workers: 1,
      onError: (_error, context) => void reported.push(context),
    });
  });
  after(() => server.close());

  for (const attack of ATTACKS) {
    it(`${attack.event}: reported with its page and line; another session's page in the worker lives on`, async () => {
      const other = await renderLive(server.url, '/other');
      const otherClient = await joinPage(server.origin, other.pageId, other.cookie);
      const bad = await renderLive(server.url, '/bad');
      const badClient = await joinPage(server.origin, bad.pageId, bad.cookie);
      try {
        badClient.event(bad.pageId, attack.event);
        const report = () => reported.find((context) => context.pageId === bad.pageId);
        await waitFor(() => report() !== undefined || crashed(otherClient), 'the report, or the crash');
        assert.equal(crashed(otherClient), false, `the worker ended: ${server.log.lines.join('\n')}`);
        const context = report() as ErrorContext;
        assert.deepEqual(
          [context.code, context.script, context.file, context.line],
          [attack.code, 'bad.ts', 'bad.ts', attack.line],
        );
        assert.match(context.message, attack.message);
        // Both pages answer: the worker is the same one, their instances kept their state.
        otherClient.event(other.pageId, 'ping');
        assert.equal((await otherClient.next((f) => f.n === 'pong')).d, 1);
        badClient.event(bad.pageId, 'ping');
        await badClient.next((f) => f.n === 'pong');
        assert.equal(crashed(otherClient) || crashed(badClient), false);
        assert.equal(
          server.log.lines.some((line) => line.includes('worker stopped')),
          false,
        );
      } finally {
        await Promise.all([otherClient.close(), badClient.close()]);
      }
    });
  }
});

describe('a throw nothing attributes (module-level code, a string), in a worker (workers: 1)', () => {
  it("is a script's all the same: reported, and another session's page in the worker lives on", async () => {
    const reported: ErrorContext[] = [];
    const server = await startServer({
      watchdogTimeout: 60_000,
      dir: folder.dir,
      workers: 1,
      onError: (_error, context) => void reported.push(context),
    });
    try {
      const other = await renderLive(server.url, '/other');
      const otherClient = await joinPage(server.origin, other.pageId, other.cookie);
      await renderLive(server.url, '/arms');
      const report = () => reported.find((context) => context.message === 'module-level string');
      await waitFor(() => report() !== undefined || crashed(otherClient), 'the report, or the crash');
      assert.equal(crashed(otherClient), false, `the worker ended: ${server.log.lines.join('\n')}`);
      assert.deepEqual([report()?.code, report()?.pageId], ['UNCAUGHT_EXCEPTION', undefined]);
      otherClient.event(other.pageId, 'ping');
      assert.equal((await otherClient.next((f) => f.n === 'pong')).d, 1);
      await otherClient.close();
    } finally {
      await server.close();
    }
  });
});

describe("Pagewire's own failure, in a thread that guards its process", () => {
  it("still ends the thread, as Node does: the guard takes only what is not Pagewire's", () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/own-failure-child.ts', folder.dir], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(child.status, 1, child.stderr);
    assert.match(child.stderr, /Error: a failure of Pagewire itself/);
  });
});

function crashed(client: SocketClient): boolean {
  return client.frames.some((f) => f.t === 'closed');
}

const root = path.join(import.meta.dirname, '..');

describe('a throw in a callback handed to a Node API, in the CLI with --workers 0', () => {
  it('is logged, and the process stays up and keeps serving', async () => {
    const child = spawn(
      process.execPath,
      ['bin/pagewire.js', 'serve', folder.dir, '--port', '0', '--host', '127.0.0.1', '--workers', '0'],
      { cwd: root },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let exit: number | null | undefined;
    child.once('exit', (code) => (exit = code));
    try {
      await waitFor(() => /on http:\/\/127\.0\.0\.1:\d+\//.test(output) || exit !== undefined, 'the URL printed');
      const url = (/on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output) ?? [])[1];
      assert.ok(url, `no URL: ${output}`);
      const other = await renderLive(url, '/other');
      const otherClient = await joinPage(url, other.pageId, other.cookie);
      const bad = await renderLive(url, '/bad');
      const badClient = await joinPage(url, bad.pageId, bad.cookie);
      let pongs = 0;
      for (const attack of ATTACKS) {
        const before = output.length;
        badClient.event(bad.pageId, attack.event);
        await waitFor(
          () => exit !== undefined || said(output.slice(before), attack),
          `the report of ${attack.event}`,
        ).catch((error: Error) => assert.fail(`${error.message}\n${output}`));
        assert.equal(exit, undefined, `the process ended (${exit}) on ${attack.event}: ${output}`);
        otherClient.event(other.pageId, 'ping');
        const pong = await otherClient
          .next((f) => f.n === 'pong' && f.d === pongs + 1, FAILURE_REPORT_MS)
          .catch((error: Error) => assert.fail(`${error.message}\n${output}`));
        assert.equal(pong.d, ++pongs);
      }
      assert.equal((await fetch(`${url}/other`)).status, 200);
      assert.equal(crashed(otherClient) || crashed(badClient), false);
      await Promise.all([otherClient.close(), badClient.close()]);
    } finally {
      await stop(child);
    }
  });
});

/** A line of the log names the script and the failure's code (`(CODE, bad.ts)`, or `bad.ts ... code=CODE`). */
function said(log: string, attack: (typeof ATTACKS)[number]): boolean {
  return log.split('\n').some((line) => line.includes('bad.ts') && line.includes(attack.code));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

describe('a throw in a callback handed to a Node API, with Pagewire as a library and workers: 0', () => {
  const run = (events: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/library-throw-child.ts', folder.dir, ...events], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('throws in callbacks handed to timers, fs, net or http are caught: the app process goes on', () => {
    const events = ['fs-error', 'string', 'undefined', 'timers', 'timers-string'];
    const child = run(events);
    assert.equal(child.status, 0, child.stderr);
    const caught = ATTACKS.filter((attack) => events.includes(attack.event)).map(
      (attack) => `caught ${attack.event}: ${attack.code} ${attack.line}`,
    );
    assert.deepEqual(child.stdout.trim().split('\n'), caught);
  });

  it("a throw in a listener on a server the script opened ends the app's process, as the README says", () => {
    const child = run(['fs-error', 'listener']);
    assert.equal(child.stdout.trim(), 'caught fs-error: UNCAUGHT_EXCEPTION 6');
    assert.equal(child.status, 1);
    assert.match(child.stderr, /listener string/);
  });
});

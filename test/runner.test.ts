import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunnerToHost } from '../runner/messages.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { RunnerHarness } from './helpers/runner.js';

const folder = scriptsFolder({
  'counter.ts': `let count = 0;
echo('count ' + count);
function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'add') server_socket_event('count', count += event as number);
}`,
  'ordered.ts': `const seen: number[] = [];
async function __serverSocketEvent(name: string, event: unknown) {
  // Later events wait less: only a mailbox keeps them in order.
  await new Promise((resolve) => setTimeout(resolve, 30 - (event as number) * 5));
  seen.push(event as number);
  server_socket_event('seen', seen);
}`,
  'tla.ts': `const value = await new Promise<number>((resolve) => setTimeout(() => resolve(42), 10));
echo(\`value \${value}\`);`,
  '_shared.ts': `export const hits = { count: 0 };
export function frame(body: unknown) { return html\`<main>\${body}</main>\`; }`,
  'partials.ts': `import { frame, hits } from './_shared.ts';
import * as again from './_shared';
hits.count++;
echo(frame(html\`<b>\${hits.count}</b>\`), String(again.hits === hits));`,
  'modules.ts': `import fs from 'fs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
echo(
  String(typeof fs.readFileSync === 'function' && readFileSync === fs.readFileSync),
  ' ',
  path.basename('/a/b.txt'),
);`,
  'child.ts': `import { execSync } from 'child_process';
echo(String(execSync('id')));`,
  'node-child.ts': `const cp = require('node:child_process');`,
  'workers.ts': `import 'worker_threads';`,
  'exit.ts': `echo('before');
process.exit(1);`,
  'logs.ts': `console.log('hello', { a: 1 });
console.error('bad thing');
echo('ok');`,
  'plain.ts':
    `echo(html\`<p>\${request.method} \${request.path} \${request.query.q} \${request.params.id} ` +
    `\${request.cookies.c} \${request.headers['x-test']} \${JSON.stringify(request.body)}</p>\`);`,
  'response.ts': `response.status = 201;
response.setHeader('X-Custom', 'yes');
response.headers['content-type'] = 'text/plain';
echo('created');`,
  'redirect.ts': `response.redirect('/elsewhere');`,
  'timer-only.ts': `setTimeout(() => server_socket_event('later', 1), 10);`,
  'resources.ts': `import fs from 'node:fs';
import path from 'node:path';
const log = (what: string) => fs.appendFileSync(path.join(request.query.dir as string, 'closed.log'), what + '\\n');
page.onClose(() => log('hook'));
page.own({ close: () => log('close') });
page.own({ dispose: () => log('dispose') });
page.own({ destroy: () => log('destroy') });
page.own({ [Symbol.for('nodejs.asyncDispose')]: async () => log('asyncDispose') });
page.own(() => log('function'));
const handle = page.own(await fs.promises.open(path.join(request.query.dir as string, 'held.txt'), 'w'));
setInterval(() => server_socket_event('tick'), 5);
function __serverSocketEvent(name: string) {
  if (name === 'close') page.close();
}`,
  'render-fails-after-own.ts': `import fs from 'node:fs';
import path from 'node:path';
page.own({ close: () => fs.writeFileSync(path.join(request.query.dir as string, 'released'), 'yes') });
throw new Error('render failed after own()');`,
  'throws.ts': `echo('ok');
function __serverSocketEvent(name: string) {
  if (name === 'throw') throw new TypeError('handler broke');
  if (name === 'timer') setTimeout(() => { throw new Error('timer broke'); }, 1);
  if (name === 'reject') (async () => { await null; throw new Error('nobody awaited this'); })();
  if (name === 'echo') echo('too late');
  if (name === 'reserved') server_socket_event('open', 1);
  if (name === 'ping') server_socket_event('pong', 1);
  if (name === 'callback') require('node:zlib').gzip('x', () => { throw new Error('callback broke'); });
}`,
  // Ticks on the same timer as resources.ts: what its interval would have done, this one does.
  'ticker.ts': `setInterval(() => server_socket_event('tick'), 5);`,
  'broadcast.ts': `function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'all') page.broadcast('news', event);
}`,
  'chat.ts': `const room = page.channel('room');
room.subscribe((message) => server_socket_event('said', message));
function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'say') room.publish(event);
}`,
});
const harness = new RunnerHarness(folder.dir);
after(async () => {
  await harness.runner.close();
  folder.remove();
});

type Of<T extends RunnerToHost['type']> = Extract<RunnerToHost, { type: T }>;
const is =
  <T extends RunnerToHost['type']>(type: T, where: (m: Of<T>) => boolean = () => true) =>
  (m: RunnerToHost): m is Of<T> =>
    m.type === type && where(m as Of<T>);

async function rendered(script: string, request = {}) {
  const { pageId, result } = await harness.render(script, request);
  assert.equal(result.type, 'rendered', JSON.stringify(result));
  return { pageId, result: result as Of<'rendered'> };
}

async function failed(script: string, request = {}) {
  const { result } = await harness.render(script, request);
  assert.equal(result.type, 'render-failed', JSON.stringify(result));
  return (result as Of<'render-failed'>).error;
}

describe('runner: pages', () => {
  it('runs the top-level code once per page: each page has its own variables', async () => {
    const a = await rendered('counter.ts');
    const b = await rendered('counter.ts');
    assert.equal(a.result.body, 'count 0');
    assert.equal(a.result.live, true);
    harness.event(a.pageId, 'add', 1);
    harness.event(a.pageId, 'add', 1);
    harness.event(b.pageId, 'add', 5);
    await harness.next(is('push', (m) => m.pageId === b.pageId));
    assert.deepEqual(harness.pushes(a.pageId), [1, 2]);
    assert.deepEqual(harness.pushes(b.pageId), [5]);
  });

  it('handles one event at a time, in order, async handlers included', async () => {
    const { pageId } = await rendered('ordered.ts');
    for (let i = 1; i <= 5; i++) harness.event(pageId, 'n', i);
    await harness.next(is('push', (m) => m.pageId === pageId && JSON.parse(m.data).length === 5));
    assert.deepEqual(harness.pushes(pageId).at(-1), [1, 2, 3, 4, 5]);
  });

  it('supports top-level await', async () => {
    const { result } = await rendered('tla.ts');
    assert.equal(result.body, 'value 42');
    assert.equal(result.live, false);
  });

  it('imports partials with or without .ts, once per script: module state is shared by its pages', async () => {
    const first = await rendered('partials.ts');
    const second = await rendered('partials.ts');
    assert.equal(first.result.body, '<main><b>1</b></main>true');
    assert.equal(second.result.body, '<main><b>2</b></main>true');
  });

  it('imports allowed built-in modules, with or without node:', async () => {
    assert.equal((await rendered('modules.ts')).result.body, 'true b.txt');
  });

  it('refuses forbidden modules with a clear error', async () => {
    for (const [script, name] of [
      ['child.ts', 'child_process'],
      ['node-child.ts', 'node:child_process'],
      ['workers.ts', 'worker_threads'],
    ] as const) {
      const error = await failed(script);
      assert.match(
        error.message,
        new RegExp(`Cannot import '${name}' in ${script.replace('.', '\\.')}: Pagewire scripts may not use`),
      );
      assert.equal(error.file, script);
      assert.equal(error.line, 1);
    }
  });

  it('refuses process.exit with a clear error, and goes on', async () => {
    const error = await failed('exit.ts');
    assert.match(error.message, /process\.exit\(\) is not available to a Pagewire script/);
    assert.deepEqual([error.file, error.line], ['exit.ts', 2]);
    assert.equal((await rendered('modules.ts')).result.body, 'true b.txt');
  });

  it('sends console output to the host log, naming the script and the page', async () => {
    const { pageId } = await rendered('logs.ts');
    const info = await harness.next(is('log', (m) => m.pageId === pageId && m.level === 'info'));
    assert.equal(info.script, 'logs.ts');
    assert.equal(info.text, 'hello {"a":1}');
    assert.ok(
      harness.messages.some(is('log', (m) => m.pageId === pageId && m.level === 'error' && m.text === 'bad thing')),
    );
  });

  it('gives the script its request', async () => {
    const { result } = await rendered('plain.ts', {
      method: 'POST',
      path: '/items/7',
      query: { q: '<x>' },
      params: { id: '7' },
      cookies: { c: 'cookie' },
      headers: { 'x-test': 'header' },
      body: { a: [1] },
    });
    assert.equal(result.body, '<p>POST /items/7 &lt;x&gt; 7 cookie header {&quot;a&quot;:[1]}</p>');
    assert.equal(result.live, false);
  });

  it('lets the script set status, headers and redirects', async () => {
    const { result } = await rendered('response.ts');
    assert.equal(result.status, 201);
    assert.deepEqual(result.headers, { 'x-custom': 'yes', 'content-type': 'text/plain' });
    const redirect = await rendered('redirect.ts');
    assert.equal(redirect.result.status, 302);
    assert.equal(redirect.result.headers.location, '/elsewhere');
  });

  it('keeps a page that only started a timer alive', async () => {
    const { pageId, result } = await rendered('timer-only.ts');
    assert.equal(result.live, true);
    await harness.next(is('push', (m) => m.pageId === pageId && m.name === 'later'));
  });
});

/** A folder in the scripts' dataDir: the one place where the file-system jail lets scripts write. */
function dataFolder(): { dir: string; remove(): void } {
  mkdirSync(path.join(folder.dir, '_data'), { recursive: true });
  const dir = mkdtempSync(path.join(folder.dir, '_data', 'out-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('runner: death of a page', () => {
  it('runs close hooks once, closes every owned resource and stops its timers', async () => {
    const dir = dataFolder();
    try {
      const { pageId } = await rendered('resources.ts', { query: { dir: dir.dir } });
      await harness.next(is('push', (m) => m.pageId === pageId && m.name === 'tick'));
      harness.event(pageId, 'close');
      const closed = await harness.next(is('page-closed', (m) => m.pageId === pageId));
      assert.equal(closed.reason, 'closed-by-script');
      const { readFileSync } = await import('node:fs');
      // Hooks first, then owned resources last-in first-out.
      assert.deepEqual(readFileSync(path.join(dir.dir, 'closed.log'), 'utf8').trim().split('\n'), [
        'hook',
        'function',
        'asyncDispose',
        'destroy',
        'dispose',
        'close',
      ]);
      const ticks = harness.pushes(pageId).length;
      // Another page's interval of the same period ticks ten times: had the closed page's interval
      // survived, it would have ticked too.
      const sentinel = await rendered('ticker.ts');
      await waitFor(() => harness.pushes(sentinel.pageId).length >= 10, 'ten ticks of another page');
      assert.equal(harness.pushes(pageId).length, ticks, 'the interval stopped');
      // Closed again, before a page that is open: by the time that one's close is reported, the
      // first one's hooks would have run again.
      harness.runner.post({ type: 'close-pages', pageIds: [pageId, sentinel.pageId], reason: 'shutdown' });
      await harness.next(is('page-closed', (m) => m.pageId === sentinel.pageId));
      assert.equal(
        readFileSync(path.join(dir.dir, 'closed.log'), 'utf8').trim().split('\n').length,
        6,
        'hooks ran once',
      );
    } finally {
      dir.remove();
    }
  });

  it('releases what a failed render had opened', async () => {
    const dir = dataFolder();
    try {
      const error = await failed('render-fails-after-own.ts', { query: { dir: dir.dir } });
      assert.deepEqual([error.line, error.message], [4, 'render failed after own()']);
      assert.ok(existsSync(path.join(dir.dir, 'released')));
    } finally {
      dir.remove();
    }
  });
});

describe('runner: containment', () => {
  it('reports a throw in a handler with its position; the page lives on', async () => {
    const { pageId } = await rendered('throws.ts');
    harness.event(pageId, 'throw');
    const error = await harness.next(is('script-error', (m) => m.pageId === pageId && m.error.code === 'EVENT_ERROR'));
    assert.deepEqual(
      [error.error.name, error.error.message, error.error.file, error.error.line],
      ['TypeError', 'handler broke', 'throws.ts', 3],
    );
    assert.match(error.error.frame ?? '', /> 3 \|/);
    harness.event(pageId, 'ping');
    await harness.next(is('push', (m) => m.pageId === pageId && m.name === 'pong'));
  });

  it('reports a throw in a timer', async () => {
    const { pageId } = await rendered('throws.ts');
    harness.event(pageId, 'timer');
    const error = await harness.next(is('script-error', (m) => m.pageId === pageId && m.error.code === 'TIMER_ERROR'));
    assert.deepEqual([error.error.message, error.error.line], ['timer broke', 4]);
  });

  it('reports a rejection nobody awaited and a throw in a Node callback, and the process lives on', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/rejection-child.ts', folder.dir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const { rejection, exception, alive } = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as Record<
      string,
      { text: string }
    > & { alive: boolean };
    assert.match(rejection?.text ?? '', /unhandled rejection in a script: Error: nobody awaited this/);
    assert.match(
      exception?.text ?? '',
      new RegExp(
        /uncaught exception in a script callback \(catch errors inside callbacks given to Node APIs\): /.source +
          /Error: callback broke\n(.*\n)*.*throws\.ts:9:\d+/.source,
      ),
    );
    assert.equal(alive, true);
  });

  it('refuses echo() after the page was sent, and reserved event names', async () => {
    const { pageId } = await rendered('throws.ts');
    harness.event(pageId, 'echo');
    harness.event(pageId, 'reserved');
    const late = await harness.next(
      is('script-error', (m) => m.pageId === pageId && m.error.message.includes('echo()')),
    );
    assert.match(
      late.error.message,
      /echo\(\) was used after the page was sent; a live page changes through server_socket_event/,
    );
    const reserved = await harness.next(
      is('script-error', (m) => m.pageId === pageId && m.error.message.includes("'open'")),
    );
    assert.match(reserved.error.message, /'open' is an event the browser client raises itself/);
  });
});

describe('runner: broadcast and channels', () => {
  it('page.broadcast() asks the host to reach every page of the script', async () => {
    const { pageId } = await rendered('broadcast.ts');
    harness.event(pageId, 'all', { hi: 1 });
    const message = await harness.next(is('broadcast'));
    assert.deepEqual([message.script, message.name, JSON.parse(message.data)], ['broadcast.ts', 'news', { hi: 1 }]);
  });

  it('channel messages reach every subscriber, and a closed page is unsubscribed', async () => {
    const a = await rendered('chat.ts');
    const b = await rendered('chat.ts');
    harness.event(a.pageId, 'say', 'hello');
    const publish = await harness.next(is('publish'));
    assert.deepEqual([publish.channel, JSON.parse(publish.data)], ['room', 'hello']);
    // The host hands publications back to the runner (and to every other runner, later).
    harness.runner.post({ type: 'deliver', channel: 'room', data: publish.data });
    await harness.next(is('push', (m) => m.pageId === b.pageId && m.name === 'said'));
    assert.deepEqual(harness.pushes(a.pageId), ['hello']);
    harness.runner.post({ type: 'close-pages', pageIds: [b.pageId], reason: 'closed-by-client' });
    await harness.next(is('page-closed', (m) => m.pageId === b.pageId));
    harness.runner.post({ type: 'deliver', channel: 'room', data: '"again"' });
    await harness.next(is('push', (m) => m.pageId === a.pageId && m.data === '"again"'));
    assert.deepEqual(harness.pushes(b.pageId), ['hello']);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveOptions } from '../../lib/options.js';
import { fsJailDirs } from '../../lib/fs-jail-dirs.js';
import { PageRegistry, type PageSocket } from '../../lib/pages/page-registry.js';
import { routeRunnerMessages } from '../../lib/runner-messages.js';
import type { ServerMessage } from '../../protocol/wire.js';
import { RESERVED_EVENT_NAMES } from '../../protocol/wire.js';
import { InProcessRunner } from '../../runner/in-process-runner.js';
import type { RequestData } from '../../runner/messages.js';
import { memoryLogger, scriptsFolder, waitFor } from '../helpers/fixtures.js';
import { getRequest } from '../helpers/runner.js';

/** A page socket that keeps every frame it is sent, and wakes whoever waits for one. */
class RecordingSocket implements PageSocket {
  readonly frames: ServerMessage[] = [];
  #waiters: Array<() => void> = [];

  send(frame: string): void {
    this.frames.push(JSON.parse(frame) as ServerMessage);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async next(matches: (frame: ServerMessage) => boolean): Promise<ServerMessage> {
    for (;;) {
      const found = this.frames.find(matches);
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

const folder = scriptsFolder({
  'live.ts': `let n = 0;
echo('live');
page.channel('stop').subscribe(() => { server_socket_event('last', n); page.close(); });
function __serverSocketEvent(name: string) {
  if (name === 'inc') server_socket_event('count', ++n);
  if (name === 'stop') page.channel('stop').publish(null);
}`,
  'plain.ts': `echo('plain');`,
  'leaky.ts': `echo('leaky');
page.onClose(() => {
  server_socket_event('secret', 'of alice');
  page.broadcast('secret', 'of alice');
  throw new Error('the close hook of alice');
});
function __serverSocketEvent() {}`,
  'self-close.ts': `server_socket_event('hi', 'x'.repeat(1000)); page.close(); echo('plain');`,
  'slow.ts': `await new Promise(() => {}); echo('never');`,
});
const request: RequestData = getRequest();
const PAGE = (n: number) => `page${n}`.padEnd(22, 'x');

function start(overrides: Parameters<typeof resolveOptions>[0] extends infer O ? Partial<O> : never = {}) {
  const options = resolveOptions({ dir: folder.dir, logger: memoryLogger(), workers: 0, ...overrides });
  const runner = new InProcessRunner(
    {
      root: options.dir,
      node: options.node,
      forbiddenModules: options.forbiddenModules,
      env: options.env,
      reservedEvents: RESERVED_EVENT_NAMES,
      maxQueuedEvents: 100,
      fsJail: fsJailDirs(options),
      maxResponseBytes: 10 * 1024 * 1024,
      maxScriptBufferBytes: 1024 * 1024,
      maxSharedKeyBytes: options.maxSharedKeyBytes,
      maxSharedValueBytes: options.maxSharedValueBytes,
      guardProcess: false,
    },
    'later',
  );
  const registry = new PageRegistry(runner, options);
  // One process: nothing to spread to others.
  routeRunnerMessages(runner, registry, options, () => {});
  return registry;
}

describe('PageRegistry, with a real runner and no socket', () => {
  // The registry's timers are unref'd, as a library's should be: this keeps the tests' loop alive.
  let keepAlive: NodeJS.Timeout;
  before(() => (keepAlive = setInterval(() => {}, 60_000)));
  after(() => {
    clearInterval(keepAlive);
    folder.remove();
  });

  it('a live page: pending until joined, events numbered, pushes acknowledged, replayed after a drop', async () => {
    const registry = start();
    const result = await registry.render('live.ts', PAGE(1), 'session1', request);
    assert.ok(result.ok && result.live && result.body === 'live');
    assert.deepEqual(registry.stats(), { pages: 1, pending: 1, connected: 0, disconnected: 0 });
    assert.equal(registry.join(new RecordingSocket(), 'session2', PAGE(1), 0), 'UNKNOWN_PAGE', 'not its session');

    const socket = new RecordingSocket();
    assert.equal(registry.join(socket, 'session1', PAGE(1), 0), undefined);
    assert.deepEqual(socket.frames[0], { t: 'joined', p: PAGE(1), a: 0 });
    assert.equal(registry.event(socket, PAGE(1), 1, 'inc', 'null'), undefined);
    assert.equal(registry.event(socket, PAGE(1), 1, 'inc', 'null'), undefined, 'a repeated event is dropped');
    assert.equal(registry.event(socket, PAGE(1), 3, 'inc', 'null'), 'BAD_SEQUENCE');
    assert.deepEqual(await socket.next((f) => f.t === 'push'), { t: 'push', p: PAGE(1), s: 1, a: 1, n: 'count', d: 1 });

    registry.detach(socket);
    assert.deepEqual(registry.stats(), { pages: 1, pending: 0, connected: 0, disconnected: 1 });
    const again = new RecordingSocket();
    // The browser had not acknowledged push 1: it comes again after `joined`, and the `done` of
    // event 1 too (it may have been lost with the socket).
    assert.equal(registry.join(again, 'session1', PAGE(1), 0), undefined);
    assert.deepEqual(
      again.frames.map((f) => f.t),
      ['joined', 'push', 'done'],
    );
    assert.deepEqual(again.frames[2], { t: 'done', p: PAGE(1), s: 1 });
    assert.equal(registry.event(again, PAGE(1), 2, 'inc', 'null'), undefined);
    assert.deepEqual(await again.next((f) => f.t === 'push' && f.s === 2), {
      t: 'push',
      p: PAGE(1),
      s: 2,
      a: 2,
      n: 'count',
      d: 2,
    });
    await registry.close();
  });

  it('a page its script closes while its browser is away keeps its last pushes for it (tombstone)', async () => {
    const registry = start();
    await registry.render('live.ts', PAGE(2), 's', request);
    await registry.render('live.ts', PAGE(9), 's', request);
    const away = new RecordingSocket();
    registry.join(away, 's', PAGE(2), 0);
    registry.detach(away);
    // Another page of the browser tells every page of the script to stop: PAGE(2) pushes, then closes.
    const other = new RecordingSocket();
    registry.join(other, 's', PAGE(9), 0);
    registry.event(other, PAGE(9), 1, 'stop', 'null');
    await other.next((f) => f.t === 'closed');
    // PAGE(9) was told it closed; PAGE(2)'s browser should still come for its last push.
    assert.deepEqual(registry.livePages('s', [PAGE(2), PAGE(9)]), [PAGE(2)]);
    assert.notEqual(registry.socketMount('s', ''), undefined, "the tombstone keeps the session's socket");
    assert.equal(registry.socketMount('s', '/elsewhere'), undefined, 'under its own mount only');
    const back = new RecordingSocket();
    assert.equal(registry.join(back, 's', PAGE(2), 0), undefined);
    assert.deepEqual(back.frames, [
      { t: 'joined', p: PAGE(2), a: 0, final: true },
      { t: 'push', p: PAGE(2), s: 1, n: 'last', d: 0 },
      { t: 'closed', p: PAGE(2), reason: 'closed-by-script' },
    ]);
    assert.equal(registry.socketMount('s', ''), undefined);
    assert.deepEqual(registry.livePages('s', [PAGE(2)]), []);
    assert.equal(registry.join(new RecordingSocket(), 's', PAGE(2), 0), 'UNKNOWN_PAGE', 'a farewell is said once');
    await registry.close();
  });

  it("a join whose context is not the page's closes it (unauthorized), without replay; a tombstone's too", async () => {
    const registry = start();
    const alice = getRequest({ context: { user: { id: 'alice', since: new Date(1) } } });
    await registry.render('live.ts', PAGE(30), 's', alice);
    await registry.render('live.ts', PAGE(31), 's', alice);
    await registry.render('live.ts', PAGE(32), 's', alice);
    const same = new RecordingSocket();
    // The same value, another object: compared by value.
    assert.equal(registry.join(same, 's', PAGE(30), 0, { user: { since: new Date(1), id: 'alice' } }), undefined);
    registry.event(same, PAGE(30), 1, 'inc', 'null');
    await same.next((f) => f.t === 'push' && f.n === 'count');
    registry.detach(same);
    const bob = new RecordingSocket();
    assert.equal(registry.join(bob, 's', PAGE(30), 0, { user: { id: 'bob' } }), undefined);
    assert.deepEqual(await bob.next((f) => f.t === 'closed'), { t: 'closed', p: PAGE(30), reason: 'unauthorized' });
    assert.deepEqual(
      bob.frames.map((f) => f.t),
      ['closed'],
      "nothing of alice's page reaches bob",
    );
    // Not checked without a socket context (no socketMiddleware): the page joins.
    const unchecked = new RecordingSocket();
    assert.equal(registry.join(unchecked, 's', PAGE(31), 0), undefined);
    await unchecked.next((f) => f.t === 'joined');
    // A tombstone: PAGE(32), away, ended by its script with a push it was not sent.
    const away = new RecordingSocket();
    registry.join(away, 's', PAGE(32), 0);
    registry.detach(away);
    registry.event(unchecked, PAGE(31), 1, 'stop', 'null');
    await unchecked.next((f) => f.t === 'closed');
    await waitFor(() => registry.size === 0, 'PAGE(32) closes');
    const signedOut = new RecordingSocket();
    assert.equal(registry.join(signedOut, 's', PAGE(32), 0, { user: null }), undefined);
    assert.deepEqual(signedOut.frames, [{ t: 'closed', p: PAGE(32), reason: 'unauthorized' }]);
    assert.equal(registry.socketMount('s', ''), undefined, 'the tombstone is gone');
    await registry.close();
  });

  it('refused at its first join: told why, then closed; nothing else of the page reaches the socket', async () => {
    // Dev: a close hook's error would be shown to the page's socket.
    const log = memoryLogger();
    const registry = start({ dev: true, logger: log });
    await registry.render('leaky.ts', PAGE(50), 's', getRequest({ context: { user: 'alice', theme: 'dark' } }));
    const bob = new RecordingSocket();
    assert.equal(registry.join(bob, 's', PAGE(50), 0, { user: 'bob', theme: 'dark' }), undefined);
    await bob.next((f) => f.t === 'closed');
    await waitFor(() => log.lines.some((l) => l.includes('the close hook of alice')), 'the close hook ran');
    assert.deepEqual(
      bob.frames.map((f) => (f.t === 'error' ? f.code : f.t)),
      ['CONTEXT_CHANGED', 'closed'],
    );
    assert.ok(log.lines.some((l) => l.includes('socketMiddleware does not give') && l.includes('differ: user)')));
    await registry.close();
  });

  it('closeWhere closes the pages whose context matches, and counts them', async () => {
    const log = memoryLogger();
    const registry = start({ logger: log });
    await registry.render('live.ts', PAGE(40), 's1', getRequest({ context: { user: 'alice' } }));
    await registry.render('live.ts', PAGE(41), 's2', getRequest({ context: { user: 'alice' } }));
    await registry.render('live.ts', PAGE(42), 's3', getRequest({ context: { user: 'bob' } }));
    const seen: unknown[] = [];
    const closed = registry.closeWhere((context) => {
      seen.push(context);
      return (context as { user: string }).user === 'alice';
    });
    assert.equal(closed, 2);
    assert.deepEqual(seen, [{ user: 'alice' }, { user: 'alice' }, { user: 'bob' }]);
    assert.equal(
      registry.closeWhere((context) => (context as { user: string }).user === 'alice'),
      0,
      'closing',
    );
    await waitFor(() => registry.size === 1, 'the two pages close');
    assert.deepEqual(registry.livePages('s3', [PAGE(42)]), [PAGE(42)]);
    // Once closing, the registry closes every page itself: closeWhere closes none, and says so.
    const closing = registry.close();
    assert.equal(
      registry.closeWhere(() => true),
      0,
    );
    await closing;
    assert.equal(log.lines.filter((l) => l.includes('CLOSE_FAILED') || l.includes('page(s) failed')).length, 0);
  });

  it('a page its script closes while it renders leaves no tombstone: it was never live', async () => {
    const registry = start();
    const result = await registry.render('self-close.ts', PAGE(20), 'lonely', request);
    assert.ok(result.ok && !result.live);
    assert.equal(registry.size, 0);
    // Its close and its render's answer come in one runner flush: both are in by now.
    assert.equal(registry.socketMount('lonely', ''), undefined, 'no socket is let in for a session with no page');
    await registry.close();
  });

  it('a plain page is not kept; a render that never ends is answered at its deadline and its page ends', async () => {
    const registry = start({ renderTimeout: 50 });
    const plain = await registry.render('plain.ts', PAGE(3), 's', request);
    assert.ok(plain.ok && !plain.live);
    assert.equal(registry.size, 0);
    const slow = await registry.render('slow.ts', PAGE(4), 's', request);
    assert.ok(!slow.ok && 'error' in slow && slow.error.code === 'RENDER_TIMEOUT');
    assert.equal(registry.size, 0);
    await registry.close();
  });

  it('past maxPagesPerSession the oldest page nobody opened gives way; with none, 429', async () => {
    const registry = start({ maxPagesPerSession: 2 });
    await registry.render('live.ts', PAGE(5), 's', request);
    await registry.render('live.ts', PAGE(6), 's', request);
    const third = await registry.render('live.ts', PAGE(7), 's', request);
    assert.ok(third.ok && third.live);
    assert.deepEqual(registry.livePages('s', [PAGE(5), PAGE(6), PAGE(7)]), [PAGE(6), PAGE(7)]);
    registry.join(new RecordingSocket(), 's', PAGE(6), 0);
    registry.join(new RecordingSocket(), 's', PAGE(7), 0);
    const refused = await registry.render('live.ts', PAGE(8), 's', request);
    assert.ok(!refused.ok && 'refused' in refused && refused.refused.status === 429);
    await registry.close();
  });
});

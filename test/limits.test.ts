import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { PagewireOptions } from '../lib/index.js';
import { fakeClock } from './helpers/fake-clock.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { SocketClient, fetchPage, joinPage, renderLive, startServer } from './helpers/server.js';
import { STATUS } from './helpers/paths.js';

const folder = scriptsFolder({
  'live.ts': `page.onClose(() => console.log('closed ' + page.id));
function __serverSocketEvent(name: string) {
  if (name === 'burst') for (let i = 0; i < 10; i++) server_socket_event('n', i);
  if (name === 'ping') server_socket_event('pong');
}`,
  'ticker.ts': `page.onClose(() => console.log('closed ' + page.id));
setInterval(() => server_socket_event('tick'), 10);`,
  // Each event waits until the test opens the gate (writes the file): the next ones queue meanwhile.
  'slow.ts': `import fs from 'node:fs';
import path from 'node:path';
const gate = path.join(__dirname, 'gate-open');
async function __serverSocketEvent(name: string) {
  while (!fs.existsSync(gate)) await new Promise((resolve) => setTimeout(resolve, 5));
  server_socket_event('done', name);
}`,
  'resources.ts': `import fs from 'node:fs';
import path from 'node:path';
const file = page.own(await fs.promises.open(path.join(__dirname, '_data', 'held.txt'), 'w'));
setInterval(() => void file, 1000);
setTimeout(() => {}, 60_000);
function __serverSocketEvent() {}`,
});

async function withServer(
  options: Partial<PagewireOptions>,
  run: (server: Awaited<ReturnType<typeof startServer>>) => Promise<void>,
): Promise<void> {
  const server = await startServer({ dir: folder.dir, ...options });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const closedHook = (server: { log: { lines: string[] } }, pageId: string) =>
  server.log.lines.some((line) => line.endsWith(`closed ${pageId}`));

/**
 * A ticking page whose browser joined, then left: it pushes on with nobody to acknowledge, until
 * it expires (overflow), which the log must say. Its page id and session cookie.
 */
async function tickerExpiresAway(server: Awaited<ReturnType<typeof startServer>>) {
  const { pageId, cookie } = await renderLive(server.url, '/ticker');
  const client = await joinPage(server.origin, pageId, cookie);
  await client.next((f) => f.n === 'tick');
  await client.close();
  await waitFor(() => closedHook(server, pageId), 'the page to expire');
  // The server says why once the instance has ended, after its close hook logged: wait for it.
  const overflow = `page ${pageId.slice(0, 6)} closed (overflow)`;
  await waitFor(() => server.log.lines.some((line) => line.includes(overflow)), 'the log to say it overflowed');
  return { pageId, cookie };
}

describe('limits: each gives a clear error to whoever exceeded it, and no one else', () => {
  it('pages per session: the oldest unconnected page makes room; with none, a new session', async () => {
    await withServer({ maxPagesPerSession: 2 }, async (server) => {
      const a = await renderLive(server.url, '/live');
      const b = await renderLive(server.url, '/live', a.cookie);
      const c = await renderLive(server.url, '/live', a.cookie);
      await waitFor(() => closedHook(server, a.pageId), 'the oldest pending page to close');
      const sockets = [
        await joinPage(server.origin, b.pageId, a.cookie),
        await joinPage(server.origin, c.pageId, a.cookie),
      ];
      // Full of joined pages: not a 429 (whoever planted the cookie could fill it), a new session,
      // and the full one keeps its pages and gets no third.
      const next = await fetchPage(server.url, '/live', a.cookie);
      assert.equal(next.status, 200);
      assert.ok(next.newSession && next.newSession !== a.cookie, 'a new session cookie');
      const live = await fetch(`${server.url}${STATUS}?ids=${[b, c, next].map((p) => p.pageId).join(',')}`, {
        headers: { cookie: a.cookie },
      });
      assert.deepEqual(((await live.json()) as { live: string[] }).live, [b.pageId, c.pageId]);
      sockets.push(await joinPage(server.origin, next.pageId, next.newSession));
      await Promise.all(sockets.map((s) => s.close()));
    });
  });

  it('total pages: the oldest unconnected page makes room; with none, 503', async () => {
    await withServer({ maxPages: 2 }, async (server) => {
      const a = await renderLive(server.url, '/live');
      const b = await renderLive(server.url, '/live');
      const c = await renderLive(server.url, '/live');
      await waitFor(() => closedHook(server, a.pageId), 'the oldest pending page to close');
      const sockets = [
        await joinPage(server.origin, b.pageId, b.cookie),
        await joinPage(server.origin, c.pageId, c.cookie),
      ];
      const refused = await fetch(`${server.url}/live`);
      assert.equal(refused.status, 503);
      assert.match(await refused.text(), /the most allowed \(maxPages\)/);
      sockets[0]?.event(b.pageId, 'ping');
      await sockets[0]?.next((f) => f.n === 'pong');
      await Promise.all(sockets.map((s) => s.close()));
    });
  });

  it('pending pages: past the cap the oldest closes, and rendering never fails', async () => {
    await withServer({ maxPendingPages: 3 }, async (server) => {
      const pages: Array<{ pageId: string }> = [];
      for (let i = 0; i < 6; i++) pages.push(await renderLive(server.url, '/live'));
      await waitFor(() => pages.slice(0, 3).every((p) => closedHook(server, p.pageId)), 'the three oldest to close');
      assert.equal(
        pages.slice(3).some((p) => closedHook(server, p.pageId)),
        false,
      );
      assert.equal(server.wire.stats().pending, 3);
    });
  });

  it('pending pages: a page that connected meanwhile is not counted, the next oldest closes', async () => {
    await withServer({ maxPendingPages: 3 }, async (server) => {
      const [a, b, c] = [
        await renderLive(server.url, '/live'),
        await renderLive(server.url, '/live'),
        await renderLive(server.url, '/live'),
      ];
      const first = await renderLive(server.url, '/live');
      await waitFor(() => closedHook(server, a.pageId), 'the oldest to close');
      const client = await joinPage(server.origin, c.pageId, c.cookie);
      const later = [
        await renderLive(server.url, '/live'),
        await renderLive(server.url, '/live'),
        await renderLive(server.url, '/live'),
      ];
      // Pending: b, first, later[0]; then later[1] closes b, later[2] closes first. c left the
      // pending pages when it connected: it stays.
      await waitFor(
        () => closedHook(server, b.pageId) && closedHook(server, first.pageId),
        'the next two oldest to close',
      );
      assert.equal(
        [c, ...later].some((p) => closedHook(server, p.pageId)),
        false,
      );
      client.event(c.pageId, 'ping');
      await client.next((f) => f.n === 'pong');
      await client.close();
    });
  });

  it('disconnected pages: past the cap the oldest is evicted', async () => {
    await withServer({ maxDisconnectedPages: 1 }, async (server) => {
      const a = await renderLive(server.url, '/live');
      const b = await renderLive(server.url, '/live');
      const ca = await joinPage(server.origin, a.pageId, a.cookie);
      const cb = await joinPage(server.origin, b.pageId, b.cookie);
      await ca.close();
      await waitFor(() => server.wire.stats().disconnected === 1, 'a disconnected');
      await cb.close();
      await waitFor(() => closedHook(server, a.pageId), 'the oldest disconnected page to be evicted');
      assert.equal(closedHook(server, b.pageId), false);
      assert.ok(server.log.lines.some((line) => line.includes(`page ${a.pageId.slice(0, 6)} closed (evicted)`)));
    });
  });

  it('messages per second on a socket: RATE_LIMITED, the socket slowed to the rate, nothing dropped', async (t) => {
    await withServer({ maxEventsPerSecond: 5 }, async (server) => {
      const a = await renderLive(server.url, '/live');
      const b = await renderLive(server.url, '/live');
      // The rate is judged by the server's clock, faked from here on: time moves only when the
      // test says, so what the limit lets through at each instant is exact, however slow the machine.
      const clock = fakeClock(t, ['setTimeout', 'Date']);
      try {
        const ca = await joinPage(server.origin, a.pageId, a.cookie);
        const cb = await joinPage(server.origin, b.pageId, b.cookie);
        const pongs = (client: SocketClient) => client.frames.filter((f) => f.n === 'pong').length;
        // Five messages at once, and the join was one.
        const atOnce = 4;
        for (let i = 0; i < 10; i++) ca.event(a.pageId, 'ping');
        const limited = await ca.next((f) => f.code === 'RATE_LIMITED');
        assert.match(
          String(limited.message),
          /more than 5 messages per second on this socket \(maxEventsPerSecond\): reading paused for 200 ms/,
        );
        await waitFor(() => pongs(ca) === atOnce, 'the events the limit lets through at once');
        // The other socket is not slowed down: its own go through at this same instant.
        for (let i = 0; i < atOnce; i++) cb.event(b.pageId, 'ping');
        await waitFor(() => pongs(cb) === atOnce, 'the other socket to be answered at once');
        assert.equal(
          cb.frames.some((f) => f.code === 'RATE_LIMITED'),
          false,
        );
        assert.equal(pongs(ca), atOnce, 'no time passed: the others still wait');
        // Five per second: each 200 ms lets exactly one more through, and none is dropped.
        for (let answered = atOnce + 1; answered <= 10; answered++) {
          clock.tick(200);
          await waitFor(() => pongs(ca) >= answered, `event ${answered}, 200 ms later`);
          assert.equal(pongs(ca), answered);
        }
        assert.equal(ca.frames.filter((f) => f.code === 'RATE_LIMITED').length, 1, 'told once per pause');
        await Promise.all([ca.close(), cb.close()]);
      } finally {
        clock.restore();
      }
    });
  });

  it('queued events per page: QUEUE_FULL', async () => {
    await withServer({ maxQueuedEvents: 2 }, async (server) => {
      const { pageId, cookie } = await renderLive(server.url, '/slow');
      const client = await joinPage(server.origin, pageId, cookie);
      for (let i = 0; i < 5; i++) client.event(pageId, `e${i}`);
      // The first runs (held at the gate), two wait: the other two are refused.
      await waitFor(() => client.frames.filter((f) => f.code === 'QUEUE_FULL').length === 2, 'two events refused');
      const full = client.frames.find((f) => f.code === 'QUEUE_FULL') as Record<string, unknown>;
      assert.match(
        String(full.message),
        /event 'e\d' refused: the page already has the most events waiting \(maxQueuedEvents\)/,
      );
      folder.write('gate-open', '');
      try {
        await waitFor(() => client.frames.filter((f) => f.n === 'done').length === 3, 'three events to run');
        assert.deepEqual(
          client.frames.filter((f) => f.n === 'done').map((f) => f.d),
          ['e0', 'e1', 'e2'],
        );
        assert.equal(client.frames.filter((f) => f.code === 'QUEUE_FULL').length, 2);
      } finally {
        rmSync(path.join(folder.dir, 'gate-open'), { force: true });
      }
      await client.close();
    });
  });

  it('pushes buffered while disconnected: past the bound the page expires', async () => {
    await withServer({ maxBufferedPushes: 5 }, async (server) => {
      // Ticks every 10 ms, nobody to acknowledge them: past 5 the gap cannot be filled.
      const { cookie } = await tickerExpiresAway(server);
      // Its session has no page left here: no instance claims its socket, the sole listener says 404.
      await assert.rejects(SocketClient.connect(server.origin, cookie), /upgrade refused: 404/);
    });
  });

  it('pushes buffered across pages: past maxTotalBufferedBytes, a disconnected page that pushes expires', async () => {
    // Each page alone may keep a megabyte; all of them together, a kilobyte.
    await withServer(
      { maxTotalBufferedBytes: 1000, maxBufferedBytes: 1024 * 1024, maxBufferedPushes: 100_000 },
      async (server) => {
        // Ticks of some 20 bytes every 10 ms: the budget is full within a second, the page's own
        // bound would take minutes.
        await tickerExpiresAway(server);
        assert.ok(server.log.lines.some((line) => line.includes('more than maxTotalBufferedBytes (1000 bytes)')));
      },
    );
  });

  it('idle pages close after idleTimeout', async (t) => {
    // The idle clock runs from the render, which can take longer than the timeout on a loaded
    // machine (a worker starting, say). The server's clock is faked from before it starts: time
    // moves only when the test says, after the page is joined.
    const clock = fakeClock(t, ['setInterval', 'setTimeout', 'Date']);
    await withServer({ idleTimeout: 600 }, async (server) => {
      const { pageId, cookie } = await renderLive(server.url, '/live');
      const client = await joinPage(server.origin, pageId, cookie);
      // Twice the timeout: whenever in that time the server looks, the page has been idle too long.
      clock.tick(1200);
      assert.equal((await client.next((f) => f.t === 'closed')).reason, 'idle');
      assert.ok(closedHook(server, pageId));
      await client.close();
    });
    clock.restore();
  });
});

describe('shutdown', () => {
  it('after wire.close(), a page that had opened a file and timers leaves no open handle', async () => {
    // Written in dataDir (_data, made by the first write): the only folder scripts write to.
    const held = path.join(folder.dir, '_data', 'held.txt');
    // Which files this process holds open, read from the kernel.
    const holds = () =>
      readdirSync('/proc/self/fd').some((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === held;
        } catch {
          return false;
        }
      });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const server = await startServer({ dir: folder.dir });
    let client: SocketClient | undefined;
    try {
      // fetch keeps a timer of its own for its connection pool: let it exist before counting.
      await (await fetch(`${server.url}/nothing`)).text();
      const timersBefore = timers();
      const { pageId, cookie } = await renderLive(server.url, '/resources');
      client = await joinPage(server.origin, pageId, cookie);
      assert.equal(holds(), true, 'the page holds its file');
      // With workers, the script's timers are in its worker's thread, which close() ends; the
      // pool's and the server's own are counted here either way.
      if (server.wire.options.workers === 0) assert.ok(timers() > timersBefore, 'and its timers');
      await server.close();
      await client.close();
      assert.equal(holds(), false, 'the file was closed');
      // ws keeps a closing-handshake timer until the TCP connection ends: wait for that, not longer.
      await waitFor(() => timers() <= timersBefore, 'every timer to end');
    } finally {
      await client?.close();
      await server.close();
    }
  });
});

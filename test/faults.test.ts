import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServerSocketEvent } from '../client/server-socket.js';
import { fakeClock } from './helpers/fake-clock.js';
import { realDelay, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { nodeServerSocket } from './helpers/node-client.js';
import { CuttableProxy } from './helpers/proxy.js';
import { withSeededRandom } from './helpers/random.js';
import { joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

const MESSAGES = 10_000;
const CUTS = 100;

const folder = scriptsFolder({
  // Pushes 1..MESSAGES at a steady pace; checks that client events arrive as 1, 2, 3, ...
  'stream.ts': `let pushed = 0;
let expected = 1;
const wrong: string[] = [];
const timer = setInterval(() => {
  for (let i = 0; i < 8 && pushed < ${MESSAGES}; i++) server_socket_event('n', ++pushed);
  if (pushed >= ${MESSAGES}) clearInterval(timer);
}, 1);
function __serverSocketEvent(name: string, event: unknown) {
  if (event !== expected && wrong.length < 10) wrong.push(\`got \${String(event)}, expected \${expected}\`);
  expected = (event as number) + 1;
  if (event === ${MESSAGES}) server_socket_event('events-done', { wrong });
}`,
  'graceful.ts': `page.onClose(() => console.log('grace expired, hook ran'));
function __serverSocketEvent() {}`,
  // Starts its goodbye when its browser asks; ends itself when another page says so on the
  // 'farewell' channel (while its browser is away).
  'farewell.ts': `page.onClose(() => console.log('farewell closed ' + page.id));
page.channel('farewell').subscribe((id) => {
  if (id === page.id) { server_socket_event('last', 'see you'); page.close(); }
});
function __serverSocketEvent(name: string) {
  if (name === 'later') server_socket_event('started');
}`,
  'farewell-trigger.ts': `function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'goodbye') page.channel('farewell').publish(event);
}`,
});

describe('faults over real sockets', () => {
  let server: TestServer;
  let proxy: CuttableProxy;
  before(async () => {
    // Below the rate the client sends at: the throttle (which must drop nothing) is in play too.
    // The grace (ten minutes, the helpers' default) outlasts any test: a page that ends early was
    // ended by its browser.
    server = await startServer({ dir: folder.dir, maxEventsPerSecond: 4000 });
    proxy = await CuttableProxy.start(Number(new URL(server.url).port));
  });
  after(async () => {
    await proxy.close();
    await server.close();
    folder.remove();
  });

  it(`delivers ${MESSAGES} pushes and ${MESSAGES} events exactly once, in order, across ${CUTS} cuts`, (t) =>
    withSeededRandom(t, async (random) => {
      const { pageId, cookie } = await renderLive(proxy.url, '/stream');
      const socket = nodeServerSocket(proxy.url, pageId, cookie);
      const pushes: number[] = [];
      let eventsDone: { wrong: string[] } | undefined;
      let opens = 0;
      socket.addEventListener('n', (event: ServerSocketEvent) => pushes.push(event.data as number));
      socket.addEventListener(
        'events-done',
        (event: ServerSocketEvent) => (eventsDone = event.data as { wrong: string[] }),
      );
      socket.addEventListener('open', () => opens++);
      socket.addEventListener('expired', () => assert.fail('the page expired'));

      let sent = 0;
      const sender = setInterval(() => {
        for (let i = 0; i < 8 && sent < MESSAGES; i++) socket.send('n', ++sent);
        if (sent >= MESSAGES) clearInterval(sender);
      }, 1);
      let cuts = 0;
      let connectionsCut = 0;
      while (cuts < CUTS) {
        await waitFor(() => opens > cuts, `re-join ${cuts}`);
        // Cut at a point of the stream chosen at random (seeded): any point must do.
        await realDelay(5 + random.int(20));
        connectionsCut += proxy.cut(cuts % 2 === 0 ? 'client' : 'server');
        cuts++;
      }
      await waitFor(() => pushes.length >= MESSAGES && eventsDone !== undefined, 'every message', 60_000);
      clearInterval(sender);

      const duplicates = pushes.length - new Set(pushes).size;
      const outOfOrder = pushes.filter((n, i) => n !== i + 1).length;
      console.log(
        `fault test: ${cuts} cuts (${connectionsCut} connections), ${opens} joins, ` +
          `${pushes.length} pushes received (${duplicates} duplicated, ${outOfOrder} out of place), ` +
          `${sent} events sent, server saw ${eventsDone?.wrong.length} out of order`,
      );
      assert.equal(cuts, CUTS);
      assert.deepEqual(
        pushes,
        Array.from({ length: MESSAGES }, (_, i) => i + 1),
      );
      assert.deepEqual(eventsDone?.wrong, []);
      assert.ok(opens >= CUTS, `${opens} joins`);
      socket.close();
    }));

  it('a page closed while its socket is down sends a goodbye beacon: it ends now, not after its grace', async () => {
    const { pageId, cookie } = await renderLive(proxy.url, '/graceful');
    // A long backoff: the socket stays down while the page closes.
    const socket = nodeServerSocket(proxy.url, pageId, cookie, { minDelay: 10_000, maxDelay: 10_000 });
    const events: string[] = [];
    for (const name of ['open', 'close']) socket.addEventListener(name, () => events.push(name));
    await waitFor(() => events.includes('open'), 'the page to join');
    const hooksBefore = server.log.lines.filter((line) => line.includes('grace expired, hook ran')).length;
    proxy.cut('server');
    await waitFor(() => events.includes('close'), 'the socket to drop');
    socket.close();
    // The grace is ten minutes: only the beacon can end it before the wait gives up.
    await waitFor(
      () => server.log.lines.filter((line) => line.includes('grace expired, hook ran')).length === hooksBefore + 1,
      'the close hook',
    );
    assert.equal(events.join(), 'open,close');
  });

  it('a page its script closed while disconnected: the client gets its last push and closed, no reload', async () => {
    // A server of its own: its counts say when it has seen the connection drop.
    const own = await startServer({ dir: folder.dir });
    const ownProxy = await CuttableProxy.start(Number(new URL(own.url).port));
    try {
      const { pageId, cookie } = await renderLive(ownProxy.url, '/farewell');
      // Another browser's page, not behind the proxy: it tells the first page's script to end.
      const trigger = await renderLive(own.url, '/farewell-trigger');
      const triggerClient = await joinPage(own.origin, trigger.pageId, trigger.cookie);
      let reloads = 0;
      const socket = nodeServerSocket(ownProxy.url, pageId, cookie, { reload: () => reloads++ });
      const events: string[] = [];
      for (const name of ['open', 'close', 'started', 'last', 'closed', 'expired']) {
        socket.addEventListener(name, (event: ServerSocketEvent) =>
          events.push(name === 'closed' ? `closed:${(event.data as { reason: string }).reason}` : name),
        );
      }
      await waitFor(() => events.includes('open'), 'the page to join');
      socket.send('later');
      await waitFor(() => events.includes('started'), 'the script to start its goodbye');
      ownProxy.block(true);
      ownProxy.cut('server');
      await waitFor(
        () => events.includes('close') && own.wire.stats().disconnected === 1,
        'both ends to see the connection drop',
      );
      // Sent while down: it waits in the browser, for a page that will not come back.
      socket.send('unanswered');
      triggerClient.event(trigger.pageId, 'goodbye', pageId);
      await waitFor(
        () => own.log.lines.some((line) => line.endsWith(`farewell closed ${pageId}`)),
        'the script to end the page',
      );
      ownProxy.block(false);
      await waitFor(() => events.some((e) => e.startsWith('closed')), 'the page to hear it closed');
      // One `open`: the page did not come back, only its last push did.
      assert.deepEqual(events, ['open', 'started', 'close', 'last', 'closed:closed-by-script']);
      assert.equal(reloads, 0);
      await triggerClient.close();
    } finally {
      await ownProxy.close();
      await own.close();
    }
  });

  it('heartbeats end a half-open connection within two beats on both sides; the page re-joins', async (t) => {
    // The clock of the server and of the client (both in this thread) is faked: time moves only
    // when the test says, so a beat is never missed because the machine is slow.
    const clock = fakeClock(t, ['setInterval', 'setTimeout', 'Date']);
    const quick = await startServer({ dir: folder.dir, heartbeatInterval: 200 });
    const quickProxy = await CuttableProxy.start(Number(new URL(quick.url).port));
    try {
      const { pageId, cookie } = await renderLive(quickProxy.url, '/graceful');
      const socket = nodeServerSocket(quickProxy.url, pageId, cookie, { heartbeat: 200, minDelay: 10, maxDelay: 10 });
      const events: string[] = [];
      for (const name of ['open', 'close']) socket.addEventListener(name, () => events.push(name));
      await waitFor(() => events.includes('open'), 'the page to join');
      quickProxy.freeze();
      // One beat: each side pings, and hears nothing back.
      clock.tick(200);
      // The second: the client drops the silent socket, the server terminates its end.
      clock.tick(200);
      assert.deepEqual(events, ['open', 'close'], 'the client dropped it');
      await waitFor(() => quick.wire.stats().disconnected === 1, 'the server to end its side');
      // The client reconnects after its backoff, through a connection that works.
      clock.tick(10);
      await waitFor(() => events.join() === 'open,close,open', 'the page to re-join');
      await waitFor(
        () => quick.wire.stats().connected === 1 && quick.wire.stats().disconnected === 0,
        'one connection for the page',
      );
      socket.close();
    } finally {
      clock.restore();
      await quickProxy.close();
      await quick.close();
    }
  });

  it('an instance that outlives its grace period runs its close hook, and its client gets expired', async () => {
    const short = await startServer({ dir: folder.dir, disconnectTimeout: 200 });
    const shortProxy = await CuttableProxy.start(Number(new URL(short.url).port));
    try {
      const { pageId, cookie } = await renderLive(shortProxy.url, '/graceful');
      let reloads = 0;
      const socket = nodeServerSocket(shortProxy.url, pageId, cookie, {
        minDelay: 50,
        maxDelay: 100,
        reload: () => reloads++,
      });
      const events: string[] = [];
      for (const name of ['open', 'close', 'closed', 'expired']) socket.addEventListener(name, () => events.push(name));
      await waitFor(() => events.includes('open'), 'the page to join');
      shortProxy.block(true);
      shortProxy.cut('server');
      await waitFor(
        () => short.log.lines.some((line) => line.endsWith('grace expired, hook ran')),
        'the close hook after the grace period',
      );
      shortProxy.block(false);
      await waitFor(() => events.includes('expired'), 'expired on the client');
      assert.deepEqual(events, ['open', 'close', 'closed', 'expired']);
      await waitFor(() => reloads === 1, 'the reload');
    } finally {
      await shortProxy.close();
      await short.close();
    }
  });
});

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { WebSocket as NodeWebSocket } from 'ws';
import { Connection, ServerSocket } from '../../client/server-socket.js';
import { type FakeClock, fakeClock } from '../helpers/fake-clock.js';
import { client, nextEvent, PAGE, ScriptedServer } from '../helpers/scripted-server.js';

describe('the browser client against the protocol (a scripted server)', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await ScriptedServer.listening();
  });
  after(() => server.close());

  it('joins, takes each push once, keeps events until acknowledged and sends them again after a drop', async () => {
    const reloads = { count: 0 };
    const socket = client(server, reloads);
    const start = server.received.length;
    assert.deepEqual(await server.message(start, (m) => m.t === 'join'), { t: 'join', p: PAGE, a: 0 });
    const opened = nextEvent(socket, 'open');
    server.send({ t: 'joined', p: PAGE, a: 0 });
    await opened;

    const pushes: unknown[] = [];
    socket.addEventListener('count', (event) => pushes.push(event.data));
    server.send({ t: 'push', p: PAGE, s: 1, n: 'count', d: 1 });
    server.send({ t: 'push', p: PAGE, s: 1, n: 'count', d: 1 });
    server.send({ t: 'push', p: PAGE, s: 2, n: 'count', d: 2 });
    assert.deepEqual(await server.message(start, (m) => m.t === 'ack' && m.a === 2), { t: 'ack', p: PAGE, a: 2 });
    assert.deepEqual(pushes, [1, 2], 'a push number seen already is dropped');

    socket.send('save', { x: 1 });
    socket.send('save', { x: 2 });
    assert.equal((await server.message(start, (m) => m.t === 'ev' && m.s === 2)).t, 'ev');
    // The server acknowledges the first event only, then the connection drops.
    server.send({ t: 'ack', p: PAGE, a: 1 });
    const reconnecting = nextEvent(socket, 'reconnecting');
    const connectionsBefore = server.connections;
    const beforeDrop = server.received.length;
    server.drop();
    const { attempt, delay } = (await reconnecting).data as { attempt: number; delay: number };
    assert.equal(attempt, 1);
    assert.ok(delay >= 2.5 && delay <= 5, `the first delay is within [minDelay/2, minDelay], got ${delay}`);
    // Back: it re-joins with the pushes it has, and sends again the event the server did not acknowledge.
    assert.deepEqual(await server.message(beforeDrop, (m) => m.t === 'join'), { t: 'join', p: PAGE, a: 2 });
    assert.ok(server.connections > connectionsBefore);
    const afterJoin = server.received.length;
    server.send({ t: 'joined', p: PAGE, a: 1 });
    assert.deepEqual(await server.message(afterJoin, (m) => m.t === 'ev'), {
      t: 'ev',
      p: PAGE,
      s: 2,
      n: 'save',
      d: { x: 2 },
    });
    // The page ends for good: `closed` with a final reason, and no reload.
    const closed = nextEvent(socket, 'closed');
    server.send({ t: 'closed', p: PAGE, reason: 'closed-by-script' });
    assert.deepEqual((await closed).data, { reason: 'closed-by-script' });
    assert.equal(socket.closed, true);
    assert.throws(() => socket.send('late'), /closed/);
    assert.equal(reloads.count, 0);
  });

  it('a page the server can no longer continue expires and reloads once the server answers again', async () => {
    const reloads: { count: number; wake?: () => void } = { count: 0 };
    const socket = client(server, reloads);
    const start = server.received.length;
    await server.message(start, (m) => m.t === 'join' && m.p === PAGE);
    server.send({ t: 'joined', p: PAGE, a: 0 });
    const expired = nextEvent(socket, 'expired');
    server.status = 503;
    const reloaded = new Promise<void>((resolve) => (reloads.wake = resolve));
    server.send({ t: 'closed', p: PAGE, reason: 'disconnected' });
    assert.deepEqual((await expired).data, { reason: 'disconnected' });
    // A second probe means the first was answered 503 and the client waited instead of reloading.
    const probes = server.statusRequests;
    await server.until(() => (server.statusRequests >= probes + 2 ? true : undefined));
    assert.equal(reloads.count, 0, 'no reload while the status endpoint answers 503');
    server.status = 200;
    await reloaded;
    assert.equal(reloads.count, 1);
  });

  it('a push that skips a number expires the page: one was lost', async () => {
    const reloads: { count: number; wake?: () => void } = { count: 0 };
    const socket = client(server, reloads);
    const start = server.received.length;
    await server.message(start, (m) => m.t === 'join' && m.p === PAGE);
    server.send({ t: 'joined', p: PAGE, a: 0 });
    const closed = nextEvent(socket, 'closed');
    const reloaded = new Promise<void>((resolve) => (reloads.wake = resolve));
    const errors: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => errors.push(args.join(' '));
    try {
      server.send({ t: 'push', p: PAGE, s: 1, n: 'n', d: 1 });
      server.send({ t: 'push', p: PAGE, s: 3, n: 'n', d: 3 });
      assert.deepEqual((await closed).data, { reason: 'expired' });
    } finally {
      console.error = consoleError;
    }
    assert.match(String(errors[0]), /push 3 arrived after 1/);
    await reloaded;
  });

  it('a page closed unauthorized on its first join does not reload; one that joined before does', async () => {
    // Every reload starts with a status probe, made at once: counting the calls tells whether one started.
    const probes: string[] = [];
    const reloads = { count: 0 };
    const socket = client(server, reloads, (input) => {
      probes.push(String(input));
      return Promise.resolve(new Response(JSON.stringify({ live: [] })));
    });
    const start = server.received.length;
    await server.message(start, (m) => m.t === 'join' && m.p === PAGE);
    const closed = nextEvent(socket, 'closed');
    let expired = false;
    socket.addEventListener('expired', () => (expired = true));
    server.send({ t: 'closed', p: PAGE, reason: 'unauthorized' });
    assert.deepEqual((await closed).data, { reason: 'unauthorized' });
    // `closed` is raised inside the handling of the frame: by now a reload would have begun.
    assert.deepEqual([expired, probes, reloads.count], [false, [], 0]);

    const again = client(server, reloads, (input) => {
      probes.push(String(input));
      return Promise.resolve(new Response(JSON.stringify({ live: [] })));
    });
    const from = server.received.length;
    await server.message(from, (m) => m.t === 'join' && m.p === PAGE);
    const opened = nextEvent(again, 'open');
    server.send({ t: 'joined', p: PAGE, a: 0 });
    await opened;
    const expiredAgain = nextEvent(again, 'expired');
    server.send({ t: 'closed', p: PAGE, reason: 'unauthorized' });
    await expiredAgain;
    assert.equal(probes.length, 1, 'signed out while the page was live: it reloads, for the app to sign in again');
  });

  it('an upgrade nobody answers is given up after two heartbeats: the status endpoint is asked', async () => {
    // A server that never answers the upgrade, as one whose listeners do not know the mount yet.
    const held: Array<{ destroy(): void }> = [];
    let statusAsked: () => void = () => {};
    const asked = new Promise<void>((resolve) => (statusAsked = resolve));
    const silent = createServer((_req, res) => {
      statusAsked();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ live: [] }));
    });
    silent.on('upgrade', (_req, socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const reloads: { count: number; wake?: () => void } = { count: 0 };
    const reloaded = new Promise<void>((resolve) => (reloads.wake = resolve));
    const connection = new Connection({
      url: `ws://127.0.0.1:${port}/`,
      statusUrl: `http://127.0.0.1:${port}/status`,
      WebSocket: NodeWebSocket as unknown as typeof globalThis.WebSocket,
      heartbeat: 20,
      minDelay: 5,
      maxDelay: 40,
      reload: () => {
        reloads.count++;
        reloads.wake?.();
      },
    });
    const socket = new ServerSocket(PAGE, connection);
    try {
      await asked;
      // Its page is not live there: it expires and reloads.
      await reloaded;
      assert.equal(socket.closed, true);
    } finally {
      socket.close();
      for (const held_ of held) held_.destroy();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('an upgrade is waited for as long as the server may take (connectTimeout), and a heartbeat', async (t) => {
    const upgrade = await heldUpgrade(t, { heartbeat: 5000, connectTimeout: 12_000 });
    try {
      upgrade.clock.tick(2 * 5000);
      assert.deepEqual(upgrade.asked, [], 'two heartbeats: the server may still be running its socketMiddleware');
      upgrade.clock.tick(12_000 + 5000 - 2 * 5000 - 1);
      assert.deepEqual(upgrade.asked, []);
      upgrade.clock.tick(1);
      assert.equal(upgrade.asked.length, 1, 'connectTimeout and a heartbeat: given up, the status endpoint is asked');
    } finally {
      await upgrade.end();
    }
  });

  it('with a short connectTimeout, an upgrade is given up after two heartbeats, as before', async (t) => {
    const upgrade = await heldUpgrade(t, { heartbeat: 5000, connectTimeout: 1000 });
    try {
      upgrade.clock.tick(2 * 5000 - 1);
      assert.deepEqual(upgrade.asked, []);
      upgrade.clock.tick(1);
      assert.equal(upgrade.asked.length, 1);
    } finally {
      await upgrade.end();
    }
  });
});

/**
 * A page whose upgrade the server holds, unanswered (a slow socketMiddleware), on a faked clock:
 * time moves only by `clock.tick`, so the deadline is checked to the millisecond. `asked`: the
 * status requests made once the upgrade is given up (never answered: that is another test's).
 */
async function heldUpgrade(
  t: TestContext,
  options: { heartbeat: number; connectTimeout: number },
): Promise<{ clock: FakeClock; asked: string[]; end(): Promise<void> }> {
  const held: Array<{ destroy(): void }> = [];
  const slow = createServer();
  slow.on('upgrade', (_req, socket) => held.push(socket));
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  const { port } = slow.address() as AddressInfo;
  const clock = fakeClock(t, ['setTimeout']);
  const asked: string[] = [];
  const connection = new Connection({
    ...options,
    url: `ws://127.0.0.1:${port}/`,
    statusUrl: `http://127.0.0.1:${port}/status`,
    WebSocket: NodeWebSocket as unknown as typeof globalThis.WebSocket,
    fetch: (input) => {
      asked.push(String(input));
      return new Promise<Response>(() => {});
    },
  });
  const socket = new ServerSocket(PAGE, connection);
  return {
    clock,
    asked,
    end: async () => {
      socket.close();
      clock.restore();
      for (const upgrade of held) upgrade.destroy();
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    },
  };
}

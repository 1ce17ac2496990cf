import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAILSAFE_DELAY, MAX_RELOAD_DELAY, MAX_RELOADS, type ReloadStorage } from '../../client/reload-count.js';
import type { ServerSocketEvent } from '../../client/server-socket.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { client, nextEvent, PAGE, ScriptedServer } from '../helpers/scripted-server.js';

/** The tab's storage, which outlives a reload; outside a browser the key has no path. `removed`: each reset. */
function tabStorage(removed: () => void = () => {}): { stored: Map<string, string>; storage: ReloadStorage } {
  const stored = new Map<string, string>();
  const storage: ReloadStorage = {
    getItem: (key) => stored.get(key) ?? null,
    setItem: (key, value) => void stored.set(key, value),
    removeItem: (key) => {
      stored.delete(key);
      removed();
    },
  };
  return { stored, storage };
}

describe('the browser client bounds its reloads in a row (a scripted server)', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await ScriptedServer.listening();
  });
  after(() => server.close());

  it('reloads in a row are bounded: past MAX_RELOADS the page stops reloading, says so, retries later', async (t) => {
    const { stored, storage } = tabStorage();
    const clock = fakeClock(t, ['setTimeout']);
    const reloads: { count: number; wake?: () => void } = { count: 0 };
    const expire = async (inARow: number) => {
      const socket = client(server, reloads, undefined, storage);
      const start = server.received.length;
      await server.message(start, (m) => m.t === 'join' && m.p === PAGE);
      server.send({ t: 'joined', p: PAGE, a: 0 });
      await nextEvent(socket, 'open');
      // As if the page had reloaded `inARow` times without joining before this document.
      if (inARow > 0) stored.set('pagewire-reloads ', String(inARow));
      const errors = new Promise<ServerSocketEvent>((resolve) => socket.addEventListener('error', resolve));
      const expired = nextEvent(socket, 'expired');
      const probes = server.statusRequests;
      server.send({ t: 'closed', p: PAGE, reason: 'disconnected' });
      await expired;
      return { errors, probes };
    };
    const logged: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => logged.push(args.join(' '));
    try {
      // The next reload in a row waits (a few ms here, minDelay 5), then probes and reloads.
      const second = await expire(1);
      const reloaded = new Promise<void>((resolve) => (reloads.wake = resolve));
      assert.equal(server.statusRequests, second.probes, 'no probe before the wait');
      clock.tick(10);
      await reloaded;
      assert.deepEqual([reloads.count, stored.get('pagewire-reloads ')], [1, '2']);
      // MAX_RELOADS in a row: no reload; an `error` event and the console say why.
      const last = await expire(MAX_RELOADS);
      const error = (await last.errors).data as { code: string; message: string };
      assert.equal(error.code, 'RELOAD_LOOP');
      assert.match(error.message, new RegExp(`reloaded ${MAX_RELOADS} times in a row`));
      assert.match(String(logged.at(-1)), /reloading stopped/);
      clock.tick(FAILSAFE_DELAY - 1);
      assert.deepEqual([reloads.count, server.statusRequests], [1, last.probes]);
      // One more try after FAILSAFE_DELAY.
      const failsafe = new Promise<void>((resolve) => (reloads.wake = resolve));
      clock.tick(1);
      await failsafe;
      assert.deepEqual([reloads.count, stored.get('pagewire-reloads ')], [2, String(MAX_RELOADS + 1)]);
    } finally {
      console.error = consoleError;
    }
  });

  it('a page that joins, then dies at once (crashed), reloads at most MAX_RELOADS times in a row', async (t) => {
    // A join that makes the worker crash: each document joins, and its instance is gone at once.
    // The waits between reloads (and the failsafe's, once stopped) go by the faked clock.
    const clock = fakeClock(t, ['setTimeout']);
    const { storage } = tabStorage();
    const reloads: { count: number; wake?: () => void } = { count: 0 };
    const consoleError = console.error;
    console.error = () => {};
    try {
      for (let i = 0; i < MAX_RELOADS + 5; i++) {
        const socket = client(server, reloads, undefined, storage);
        const start = server.received.length;
        await server.message(start, (m) => m.t === 'join' && m.p === PAGE);
        server.send({ t: 'joined', p: PAGE, a: 0 });
        await nextEvent(socket, 'open');
        const reloaded = new Promise<void>((resolve) => (reloads.wake = resolve));
        const stopped = new Promise<boolean>((resolve) =>
          socket.addEventListener('error', (e) => {
            if ((e.data as { code: string }).code === 'RELOAD_LOOP') resolve(true);
          }),
        );
        const expired = nextEvent(socket, 'expired');
        server.send({ t: 'closed', p: PAGE, reason: 'crashed' });
        // The wait before the reload is set as the page expires.
        await expired;
        clock.tick(MAX_RELOAD_DELAY);
        if (await Promise.race([reloaded.then(() => false), stopped])) break;
      }
    } finally {
      console.error = consoleError;
      clock.restore();
    }
    assert.equal(reloads.count, MAX_RELOADS, `reloaded ${reloads.count} times in a row, each time ending a worker`);
  });

  it('a join that lasts a heartbeat (its ping answered, the page still open) ends the reloads in a row', async (t) => {
    const clock = fakeClock(t, ['setInterval']);
    let reset: () => void = () => {};
    const wasReset = new Promise<void>((resolve) => (reset = resolve));
    const { stored, storage } = tabStorage(() => reset());
    stored.set('pagewire-reloads ', '5');
    server.answerPings = true;
    const reloads = { count: 0 };
    const socket = client(server, reloads, undefined, storage, 10_000);
    try {
      const start = server.received.length;
      await server.message(start, (m) => m.t === 'join' && m.p === PAGE);
      server.send({ t: 'joined', p: PAGE, a: 0 });
      await nextEvent(socket, 'open');
      assert.equal(stored.get('pagewire-reloads '), '5', 'a join alone does not end them');
      clock.tick(10_000);
      await server.message(start, (m) => m.t === 'ping');
      await wasReset;
      assert.equal(stored.size, 0);
    } finally {
      server.answerPings = false;
      socket.close();
      clock.restore();
    }
  });
});

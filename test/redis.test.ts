/**
 * Two Pagewire servers sharing a real redis-server (`redis` option), as two machines would: a
 * chat kept with `shared` shows each post once on both, broadcasts, channels and `wire.publish`
 * cross between them in order, and Redis restarting under traffic costs no crash: renders and
 * events go on, shared calls fail clearly meanwhile, publications wait and arrive once it is
 * back, and the log says what happened. Messages on the bus that are not Pagewire's are dropped
 * and counted. A Redis that cannot be reached at start-up rejects `ready()`, saying where.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pagewire } from '../lib/index.js';
import { MAX_IN_FLIGHT_PUBLICATIONS } from '../lib/redis/redis-bus.js';
import type { SharedError } from '../lib/shared/host-shared.js';
import { CLUSTER_SCRIPTS } from './helpers/cluster-server.js';
import { memoryLogger, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { freePort } from './helpers/free-port.js';
import { type RedisServer, startRedis } from './helpers/redis.js';
import { fetchPage, joinPage, renderLive, type SocketClient, startServer, type TestServer } from './helpers/server.js';

const folder = scriptsFolder({
  ...CLUSTER_SCRIPTS,
  'plain.ts': `echo('<p>rendered without Redis</p>'); function __serverSocketEvent() {}`,
});
let redis: RedisServer;
let a: TestServer;
let b: TestServer;

before(async () => {
  redis = await startRedis();
  a = await startServer({ dir: folder.dir, node: 'machine-a', redis: redis.url });
  b = await startServer({ dir: folder.dir, node: 'machine-b', redis: redis.url });
  await Promise.all([a.wire.ready(), b.wire.ready()]);
});
after(async () => {
  await a?.close();
  await b?.close();
  await redis?.remove();
  folder.remove();
});

/** A live page of `server`, joined by a real socket client. */
async function livePage(server: TestServer, path: string): Promise<{ pageId: string; client: SocketClient }> {
  const { pageId, cookie } = await renderLive(server.url, path);
  return { pageId, client: await joinPage(server.url, pageId, cookie) };
}

const heard = (page: { pageId: string; client: SocketClient }, name: string) =>
  page.client.frames.filter((f) => f.n === name && f.p === page.pageId).map((f) => f.d);

describe('two servers on one Redis', () => {
  it('a chat kept with shared.push shows each post once, on both, and in the history of a later page', async () => {
    const pages = [await livePage(a, '/chat'), await livePage(b, '/chat')];
    const posts = ['a1', 'b1', 'a2', 'b2'];
    for (const [n, text] of posts.entries()) {
      const page = pages[n % 2] as (typeof pages)[number];
      page.client.event(page.pageId, 'post', text);
    }
    for (const page of pages) {
      await waitFor(() => heard(page, 'post').length >= posts.length, 'every post on every page');
      assert.deepEqual(heard(page, 'post').sort(), [...posts].sort(), 'each post once');
    }
    for (const server of [a, b]) {
      const { body } = await fetchPage(server.url, '/chat');
      assert.deepEqual([...body.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]).sort(), [...posts].sort());
    }
    assert.deepEqual(await a.wire.shared.list('chat', 0, -1), await b.wire.shared.list('chat', 0, -1));
  });

  it('channels and wire.publish reach pages of the other server once each, in the order published', async () => {
    const onA = await livePage(a, '/where');
    const onB = await livePage(b, '/where');
    for (let n = 1; n <= 5; n++) onA.client.event(onA.pageId, 'say', n);
    // Another publisher (the app): after the page's, so that the order of all eight is known.
    await onA.client.next((f) => f.n === 'room' && f.p === onA.pageId && f.d === 5);
    for (let n = 6; n <= 8; n++) a.wire.publish('room', n);
    for (const page of [onA, onB]) {
      await waitFor(() => heard(page, 'room').length >= 8, 'eight publications');
      assert.deepEqual(heard(page, 'room'), [1, 2, 3, 4, 5, 6, 7, 8]);
    }
    onB.client.event(onB.pageId, 'shout', 'from b');
    await onA.client.next((f) => f.n === 'shout' && f.p === onA.pageId && f.d === 'from b');
  });

  it("drops and counts bus messages that are not Pagewire's, and goes on delivering", async () => {
    const page = await livePage(b, '/where');
    const intruder = new Redis(redis.url);
    const bus = 'pagewire:bus';
    const forged = [
      'not json',
      '[]',
      JSON.stringify({ from: 'x', message: { kind: 'publish', channel: 'room', data: '{unparsable' } }),
      JSON.stringify({ from: 'x', message: { kind: 'broadcast', script: 'where.ts', name: 'expired', data: '1' } }),
      JSON.stringify({ from: 'x', message: { kind: 'evil', data: '1' } }),
    ];
    const before = b.wire.stats().redis?.droppedMessages ?? 0;
    for (const text of forged) await intruder.publish(bus, text);
    a.wire.publish('room', 'after the intruder');
    await page.client.next((f) => f.n === 'room' && f.p === page.pageId && f.d === 'after the intruder');
    intruder.disconnect();
    assert.equal((b.wire.stats().redis?.droppedMessages ?? 0) - before, forged.length);
    assert.ok(!page.client.frames.some((f) => f.n === 'expired'));
  });
});

describe('Redis that hangs, connected and silent', () => {
  it('holds at most so many publications unanswered; the others wait, and all go once it answers', async () => {
    const waitedBefore = a.wire.stats().redis?.waitedPublications ?? 0;
    redis.pause();
    try {
      for (let n = 0; n < MAX_IN_FLIGHT_PUBLICATIONS + 500; n++) a.wire.publish('room', n);
      assert.equal(a.wire.stats().redis?.waitingPublications, 500);
    } finally {
      redis.resume();
    }
    await waitFor(() => a.wire.stats().redis?.waitingPublications === 0, 'the waiting ones sent');
    assert.equal(a.wire.stats().redis?.droppedPublications, 0);
    assert.equal((a.wire.stats().redis?.waitedPublications ?? 0) - waitedBefore, 500);
  });
});

describe('Redis restarted under traffic', () => {
  it('renders and events go on; shared fails clearly; publications wait and arrive once; the log says so', async () => {
    const onA = await livePage(a, '/where');
    const onB = await livePage(b, '/where');
    await redis.stop('SIGKILL');
    await waitFor(() => a.wire.stats().redis?.connected === false, 'server a to see Redis gone');
    // Renders and the page's own events need no Redis.
    assert.equal((await fetchPage(a.url, '/plain')).status, 200);
    onA.client.event(onA.pageId, 'click');
    await onA.client.next((f) => f.n === 'clicked' && f.p === onA.pageId);
    await assert.rejects(a.wire.shared.get('chat'), (error: SharedError) => {
      assert.equal(error.code, 'SHARED_UNAVAILABLE');
      assert.match(error.message, /wire\.shared\.get\("chat"\): Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unreachable/);
      return true;
    });
    a.wire.publish('room', 'during the outage');
    assert.equal(a.wire.stats().redis?.waitingPublications, 1);
    await redis.start();
    await onB.client.next((f) => f.n === 'room' && f.p === onB.pageId && f.d === 'during the outage');
    await waitFor(() => a.wire.stats().redis?.connected === true, 'server a back on Redis');
    assert.equal(a.wire.stats().redis?.waitingPublications, 0);
    a.wire.publish('room', 'after');
    await onB.client.next((f) => f.n === 'room' && f.p === onB.pageId && f.d === 'after');
    assert.deepEqual(
      heard(onB, 'room').filter((d) => d === 'during the outage'),
      ['during the outage'],
      'once',
    );
    await waitFor(() => a.log.lines.some((line) => line.includes('is back after')), 'the log line of the return');
    const down = a.log.lines.find((line) => line.includes('is unreachable'));
    assert.match(down ?? '', /^warn: Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unreachable .*shared calls fail/);
    const back = a.log.lines.find((line) => line.includes('is back after')) ?? '';
    assert.match(
      back,
      /publications that waited, sent now: 1; dropped \(too many waiting\): 0; cut off on their way: 0/,
    );
    assert.equal(await a.wire.shared.incr('after-restart'), 1);
  });
});

describe('Redis that cannot be reached at start-up', () => {
  it('rejects ready(), saying where and how to fix it', async () => {
    const port = await freePort();
    const wire = pagewire({ dir: folder.dir, redis: `redis://127.0.0.1:${port}`, workers: 0 });
    await assert.rejects(wire.ready(), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`cannot use Redis at redis://127\\.0\\.0\\.1:${port}/? \\(.*ECONNREFUSED`),
      );
      assert.match(error.message, /--redis URL/);
      return true;
    });
    await wire.close();
  });

  it('says what to fix when Redis refuses: a password it asks for, a database it does not have', async () => {
    const guarded = await startRedis(['--requirepass', 'pass-of-the-test']);
    try {
      const port = new URL(guarded.url).port;
      const cases = [
        [guarded.url, /asks for a password: give it in the redis option .*redis:\/\/:PASSWORD@host:port/],
        [`redis://:wrong@127.0.0.1:${port}`, /refuses the user or password/],
        [`redis://:pass-of-the-test@127.0.0.1:${port}/20`, /It has no database 20/],
      ] as const;
      for (const [url, fix] of cases) {
        const wire = pagewire({ dir: folder.dir, redis: url, workers: 0, logger: memoryLogger() });
        await assert.rejects(wire.ready(), (error: Error) => {
          assert.match(error.message, fix);
          assert.doesNotMatch(error.message, /pass-of-the-test|wrong@/, 'the password is never shown');
          return true;
        });
        await wire.close();
      }
      // The database it has: its keys go there, and the bus is that database's.
      const wire = pagewire({ dir: folder.dir, redis: `redis://:pass-of-the-test@127.0.0.1:${port}/3`, workers: 0 });
      await wire.ready();
      await wire.shared.set('where', 'db 3');
      const probe = new Redis(`redis://:pass-of-the-test@127.0.0.1:${port}/3`);
      assert.equal(await probe.get('pagewire:shared:where'), '"db 3"');
      const numsub = (await probe.pubsub('NUMSUB', 'pagewire:bus:db3')) as [string, number];
      assert.equal(Number(numsub[1]), 1);
      probe.disconnect();
      await wire.close();
    } finally {
      await guarded.remove();
    }
  });

  it('refuses a redis option that is no Redis URL', () => {
    assert.throws(() => pagewire({ dir: folder.dir, redis: 'http://example.com' }), /'redis' must be a Redis URL/);
    assert.throws(
      () => pagewire({ dir: folder.dir, redis: { url: 'redis://h', prefix: '' } }),
      /prefix \(--redis-prefix\)/,
    );
    assert.throws(() => pagewire({ dir: folder.dir, redis: 'redis://h/db' }), /only a database number may follow/);
  });
});

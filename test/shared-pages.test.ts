/**
 * `shared` across pages, in both runner modes: the bug of issue 13 (module-level state split
 * across worker threads: six posts read back as 1,1,2,2,3,3) gone, atomic counts from pages
 * racing, TTLs on a faked clock, the flood bound proved by events, pages that close with calls in
 * flight, and a rejection nobody caught reported at the script's line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_QUEUED_SHARED_CALLS, SHARED_CALLS_IN_FLIGHT } from '../lib/shared/shared-op.js';
import { fakeClock } from './helpers/fake-clock.js';
import { scriptsFolder, waitFor, waitForAsync } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

const FLOOD = SHARED_CALLS_IN_FLIGHT + MAX_QUEUED_SHARED_CALLS + 84;

const folder = scriptsFolder({
  // Module-level code of a partial runs once per thread: which thread (sandbox) a page ran in.
  '_where.ts': 'export const thread = crypto.randomUUID();',
  'post.ts': `import { thread } from './_where.ts';
const n = await shared.push('posts', { text: String(request.query.text), thread }, { max: 100 });
echo(JSON.stringify({ thread, n, text: String(request.query.text) }));`,
  'posts.ts': `echo(JSON.stringify(await shared.list('posts')));`,
  'count.ts': `const seen = await Promise.all(Array.from({ length: 25 }, () => shared.incr('hits')));
echo(JSON.stringify(seen));`,
  'ttl.ts': `await shared.set('session', { user: 1 }, { ttl: 1000 });
await shared.push('recent', 'a', { ttl: 1000 });
echo('set');`,
  'read.ts': `echo(JSON.stringify([(await shared.get('session')) ?? null, await shared.list('recent')]));`,
  // Keeps its queue full until told to stop: every answer makes one more call.
  'flood.ts': `let stopped = false;
let refused = 0;
const fire = (): void => {
  if (stopped) return;
  shared.incr('flood').then(fire, (e) => {
    if (e.code === 'SHARED_QUEUE_FULL') refused++;
    else throw e;
  });
};
for (let i = 0; i < ${FLOOD}; i++) fire();
page.channel('stop').subscribe(() => {
  stopped = true;
  page.close();
});
await new Promise((resolve) => setTimeout(resolve, 0));
echo(JSON.stringify({ refused }));`,
  'other.ts': `const n = await shared.incr('other');
page.channel('stop').publish('now');
echo(String(n));`,
  // Calls in flight and waiting when the page ends: those in flight are run, their answers dropped.
  'closing.ts': `for (let i = 0; i < 200; i++) shared.incr('closing').catch(() => {});
page.close();
echo('closed');`,
  // A close hook may still call, and await its calls.
  'hook.ts': `page.onClose(async () => {
  const n = await shared.incr('hook');
  await shared.set('hook-saw', n);
});
page.close();
echo('closing');`,
  'stray.ts': `await shared.set('stray', 'text');
shared.incr('stray');
page.onClose(() => {});
echo('sent');`,
});
after(() => folder.remove());

type Written = { thread: string; n: number; text: string };

async function get(server: TestServer, path: string): Promise<string> {
  const response = await fetch(server.url + path);
  const body = await response.text();
  assert.equal(response.status, 200, body);
  // A live page's body begins with the client's tag.
  return body.replace(/^<script [^>]*><\/script>/, '');
}

for (const workers of [0, 2]) {
  describe(`shared across pages, with workers: ${workers}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ dir: folder.dir, workers });
    });
    after(() => server.close());

    it('posts written by pages on different threads read back as one list, each once', async () => {
      // Six posts at once, then one at a time until pages of two threads wrote (the pool spreads
      // pages over the workers that answer; a loaded machine may find one busy for a while).
      const post = async (text: string) => JSON.parse(await get(server, `/post?text=${text}`)) as Written;
      const written = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map(post));
      const threads = () => new Set(written.map((answer) => answer.thread)).size;
      while (workers > 0 && threads() < 2) written.push(await post(`more${written.length}`));
      // Each push saw the list one longer: RPUSH's lengths, each once.
      const lengths = written.map((answer) => answer.n).sort((a, b) => a - b);
      assert.deepEqual(
        lengths,
        written.map((_, i) => i + 1),
      );
      const posts = JSON.parse(await get(server, '/posts')) as Array<{ text: string; thread: string }>;
      assert.deepEqual(posts.map((p) => p.text).sort(), written.map((answer) => answer.text).sort());
      assert.equal(new Set(posts.map((p) => p.thread)).size, workers > 0 ? threads() : 1);
      assert.equal((await server.wire.shared.list('posts')).length, written.length);
    });

    it('incr is atomic: 20 pages racing, 25 calls each, count every number once', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => get(server, '/count')));
      const seen = answers.flatMap((body) => JSON.parse(body) as number[]).sort((a, b) => a - b);
      assert.deepEqual(
        seen,
        Array.from({ length: 500 }, (_, i) => i + 1),
      );
      assert.equal(await server.wire.shared.get('hits'), 500);
    });

    it('a TTL set by a script expires on the server clock', async (t) => {
      const clock = fakeClock(t, ['Date']);
      assert.equal(await get(server, '/ttl'), 'set');
      clock.tick(999);
      assert.deepEqual(JSON.parse(await get(server, '/read')), [{ user: 1 }, ['a']]);
      clock.tick(1);
      assert.deepEqual(JSON.parse(await get(server, '/read')), [null, []]);
    });

    it("a page that floods fills its own queue, and another page's call still answers", async () => {
      // Past the bound, calls are refused at once: exactly those beyond in flight + waiting.
      assert.deepEqual(JSON.parse(await get(server, '/flood')), { refused: 84 });
      // The flooding page calls again on every answer and stops only when this page, once
      // answered, tells it to: this answer came while its queue stayed full.
      assert.equal(await get(server, '/other'), '1');
      await waitFor(() => server.wire.pageCount === 0, 'the flooding page stopped');
      assert.ok(((await server.wire.shared.get<number>('flood')) ?? 0) >= SHARED_CALLS_IN_FLIGHT);
    });

    it('a page closing with calls in flight: those sent run, their answers are dropped, nothing fails', async () => {
      const logged = server.log.lines.length;
      assert.equal(await get(server, '/closing'), 'closed');
      await waitFor(() => server.wire.pageCount === 0, 'the page closed');
      // Those in flight reached the store; those waiting in the page's queue died with it.
      assert.equal(await server.wire.shared.get('closing'), SHARED_CALLS_IN_FLIGHT);
      assert.equal(await get(server, '/other'), '2');
      assert.equal(await get(server, '/hook'), 'closing');
      await waitForAsync(async () => (await server.wire.shared.get('hook-saw')) === 1, 'the close hook wrote');
      assert.deepEqual(
        server.log.lines.slice(logged).filter((line) => line.startsWith('error')),
        [],
      );
    });
  });
}

describe('shared, a rejection the script does not catch', () => {
  // With workers: 0 the app's own policy applies to stray rejections (failure-guard.ts).
  it('is reported as any script error, at its line (workers: 2)', async () => {
    const reported: Array<{ code?: string; file?: string; line?: number; message?: string }> = [];
    const onError = (_error: Error, context: (typeof reported)[number]) => void reported.push(context);
    const server = await startServer({ dir: folder.dir, workers: 2, onError });
    try {
      assert.equal(await get(server, '/stray'), 'sent');
      await waitFor(() => reported.length > 0, 'the rejection reported');
      const [context] = reported;
      assert.equal(context?.code, 'UNHANDLED_REJECTION');
      assert.match(context?.message ?? '', /shared\.incr\("stray"\): the key holds "text", not an integer/);
      assert.deepEqual([context?.file, context?.line], ['stray.ts', 2]);
    } finally {
      await server.close();
    }
  });
});

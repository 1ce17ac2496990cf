import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorContext } from '../lib/errors.js';
import { appFolder, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { fetchPage, joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

/**
 * The worker pool's bounds, tested as the attacks of issue 12: memory outside the V8 heap, a
 * body without end, a script that keeps a worker busy (yielding or not), and the same looping
 * request sent again and again. The watchdog is short here to keep the tests quick, but long
 * enough for a first render (compile, sandbox) on a loaded machine.
 */
const WATCHDOG = 1500;
const MiB = 1024 * 1024;
const MEMORY_LIMIT = 256 * MiB;
/** 16 MiB allocations between two checks of the worker (10 ms apart), with room for a slow machine. */
const MEMORY_MARGIN = 10 * 16 * MiB;

const app = appFolder({
  scripts: {
    'index.ts': `echo('index');`,
    'mark.ts': `import { mark } from 'thread-mark';
echo('mark:' + mark + ':');
function __serverSocketEvent(name: string) {
  if (name === 'ping') server_socket_event('pong');
  if (name === 'close') page.close();
}`,
    // Bytes between awaits: never long enough for the watchdog, and outside the V8 heap limit. (Typed
    // arrays of the sandbox: a large Buffer.alloc crosses vm2's bridge key by key, seconds a MiB.)
    'hog.ts': `const hoard: Uint8Array[] = [];
echo('hog');
async function __serverSocketEvent(name: string) {
  if (name !== 'eat') return;
  for (let i = 0; i < 40; i++) {
    hoard.push(new Uint8Array(16 * 1024 * 1024).fill(1));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  server_socket_event('survived', hoard.length);
}`,
    // Busy 5 ms, then yields to the event loop, until its page closes.
    'spin.ts': `import { mark } from 'thread-mark';
echo('mark:' + mark + ':');
let spinning = true;
page.onClose(() => { spinning = false; });
async function __serverSocketEvent(name: string) {
  if (name !== 'spin') return;
  for (let i = 1; spinning; i++) {
    const until = Date.now() + 5;
    while (Date.now() < until) {}
    await new Promise((resolve) => setImmediate(resolve));
    if (i === 100) server_socket_event('spinning');
  }
}`,
    'loop.ts': `console.log('looping');
while (true) {}`,
    // Live; its second page is told to loop.
    'flaky.ts': `import { mark } from 'thread-mark';
echo('mark:' + mark + ':');
function __serverSocketEvent(name: string) {
  if (name === 'ping') server_socket_event('pong');
  if (name === 'loop') while (true) {}
}`,
  },
  // A package loads once per thread: its mark says which worker rendered a page.
  packages: {
    'thread-mark': {
      'package.json': '{ "name": "thread-mark" }',
      'index.js': 'exports.mark = String(Math.random()).slice(2);\n',
    },
  },
});

const markOf = (body: string) => /mark:(\d+):/.exec(body)?.[1] ?? assert.fail(`no mark in ${body}`);

function poolServer(workers: number, errors: ErrorContext[] = []): Promise<TestServer> {
  return startServer({
    dir: app.scripts,
    workers,
    watchdogTimeout: WATCHDOG,
    maxWorkerMemoryBytes: MEMORY_LIMIT,
    // The hog's 16 MiB typed arrays, past the default bound of one allocation (script-buffers.test.ts).
    maxScriptBufferBytes: 16 * MiB,
    maxEventsPerSecond: 100_000,
    onError: (_error, context) => void errors.push(context),
  });
}

after(() => app.remove());

describe('memory outside the V8 heap', () => {
  const errors: ErrorContext[] = [];
  let server: TestServer;
  before(async () => {
    server = await poolServer(2, errors);
  });
  after(() => server.close());

  it('a worker whose Buffers pass maxWorkerMemoryBytes is ended before it goes much past it', async () => {
    const hog = await renderLive(server.url, '/hog');
    const client = await joinPage(server.origin, hog.pageId, hog.cookie);
    client.event(hog.pageId, 'eat');
    const end = await client.next((f) => f.t === 'closed' || f.n === 'survived');
    assert.equal(end.reason, 'crashed', `the hog's page should have crashed, got ${JSON.stringify(end)}`);
    const stopped = errors.find((error) => error.code === 'SCRIPT_OUT_OF_MEMORY');
    assert.ok(stopped, `no SCRIPT_OUT_OF_MEMORY in ${server.log.lines.join('\n')}`);
    assert.equal(stopped.script, 'hog.ts');
    assert.match(stopped.message, /event 'eat' took its worker's memory past maxWorkerMemoryBytes \(268435456 bytes\)/);
    const reached = Number(/to (\d+) MiB/.exec(stopped.message)?.[1]);
    assert.ok(reached * MiB < MEMORY_LIMIT + MEMORY_MARGIN, `the worker reached ${reached} MiB`);
    assert.ok(server.log.lines.some((line) => line.includes('worker stopped and replaced: its memory passed')));
    // The server still answers, and the hog is quarantined.
    assert.equal((await fetchPage(server.url, '/')).status, 200);
    const again = await fetch(`${server.url}/hog`);
    assert.equal(again.status, 503);
    assert.ok(Number(again.headers.get('retry-after')) > 0);
    await client.close();
  });
});

describe('a body past maxResponseBytes', () => {
  for (const workers of [2, 0]) {
    it(`answers 500, raised at the first echo past it (workers: ${workers})`, async () => {
      const site = scriptsFolder({
        // 300 echoes of 64 KiB: 19 MiB, against a limit of 1 MiB.
        'big.ts': `const chunk = 'x'.repeat(64 * 1024);
let echoed = 0;
try {
  for (let i = 0; i < 300; i++) {
    echo(chunk);
    echoed++;
  }
} finally {
  console.log('echoed', echoed);
}`,
        // The error is caught, and the script goes on: the render fails all the same.
        'swallow.ts': `const chunk = 'é'.repeat(32 * 1024);
for (let i = 0; i < 300; i++) {
  try { echo(chunk); } catch {}
}
echo('done');`,
      });
      const server = await startServer({ dir: site.dir, workers, maxResponseBytes: MiB });
      try {
        const big = await fetch(`${server.url}/big`);
        assert.equal(big.status, 500);
        assert.ok((await big.text()).length < 64 * 1024);
        // 16 echoes make 1 MiB, the limit; the 17th passes it and throws.
        await waitFor(() => server.log.lines.some((line) => line.includes('echoed')), 'the count logged');
        assert.ok(
          server.log.lines.some((line) => line.includes('echoed 16')),
          server.log.lines.join('\n'),
        );
        const log = server.log.lines.join('\n');
        assert.match(log, /big\.ts:5:\d+ RangeError: the response body passed maxResponseBytes \(1048576 bytes\)/);
        // Two bytes a character: the count is in UTF-8 bytes.
        assert.equal((await fetch(`${server.url}/swallow`)).status, 500);
        assert.match(server.log.lines.join('\n'), /swallow\.ts:3:\d+ RangeError: the response body passed/);
      } finally {
        await server.close();
        site.remove();
      }
    });
  }
});

describe('a render that keeps its worker busy while yielding', () => {
  let server: TestServer;
  before(async () => {
    server = await poolServer(2);
  });
  after(() => server.close());

  it("another page's render goes to the worker that answers, though it holds more pages", async () => {
    const hog = await renderLive(server.url, '/spin');
    const hogMark = markOf(hog.body);
    // Pages in the other worker, and none but the hog's in its own: the hog's worker has the fewest.
    const fillers = [];
    while (fillers.filter((page) => markOf(page.body) !== hogMark).length < 2) {
      const page = await renderLive(server.url, '/mark', hog.cookie);
      fillers.push({ ...page, client: await joinPage(server.origin, page.pageId, hog.cookie) });
    }
    for (const filler of fillers.filter((page) => markOf(page.body) === hogMark)) {
      filler.client.event(filler.pageId, 'close');
      await filler.client.next((f) => f.t === 'closed');
    }
    const client = await joinPage(server.origin, hog.pageId, hog.cookie);
    client.event(hog.pageId, 'spin');
    await client.next((f) => f.n === 'spinning');
    const probe = await fetchPage(server.url, '/mark');
    assert.equal(probe.status, 200);
    assert.notEqual(markOf(probe.body), hogMark, 'the render went to the worker the hog keeps busy');
    // Answered while the hog still runs.
    assert.equal(
      client.frames.some((f) => f.t === 'closed'),
      false,
    );
    await Promise.all([client.close(), ...fillers.map((filler) => filler.client.close())]);
  });
});

describe('a looping script requested again and again', () => {
  let server: TestServer;
  before(async () => {
    server = await poolServer(2);
  });
  after(() => server.close());

  it("stops one worker at most: another session's page lives, the index answers, it's quarantined", async () => {
    const other = await renderLive(server.url, '/mark');
    const client = await joinPage(server.origin, other.pageId, other.cookie);
    const loops = Array.from({ length: 8 }, () => fetch(`${server.url}/loop`));
    const index = await fetch(`${server.url}/`);
    assert.equal(index.status, 200);
    const answers = await Promise.all(loops);
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [500, 503, 503, 503, 503, 503, 503, 503]);
    for (const answer of answers.filter((a) => a.status === 503)) {
      assert.ok(Number(answer.headers.get('retry-after')) > 0);
      assert.match(await answer.text(), /loop\.ts is quarantined for \d+ s more/);
    }
    // The other session's page lives, and answers.
    client.event(other.pageId, 'ping');
    await client.next((f) => f.n === 'pong');
    assert.equal(
      client.frames.some((f) => f.t === 'closed'),
      false,
    );
    assert.equal(server.log.lines.filter((line) => line.includes('worker stopped and replaced')).length, 1);
    assert.ok(server.log.lines.some((line) => /loop\.ts is quarantined for 30 s: it made a worker stuck/.test(line)));
    // Asked again: refused at once, no worker is touched.
    assert.equal((await fetch(`${server.url}/loop`)).status, 503);
    assert.equal(server.log.lines.filter((line) => line.includes('worker stopped and replaced')).length, 1);
    await client.close();
  });

  it("a quarantined script's live pages get an error frame for their events", async () => {
    const first = await renderLive(server.url, '/flaky');
    let second = await renderLive(server.url, '/flaky', first.cookie);
    // A page of it in the other worker.
    while (markOf(second.body) === markOf(first.body)) second = await renderLive(server.url, '/flaky', first.cookie);
    const looping = await joinPage(server.origin, first.pageId, first.cookie);
    const living = await joinPage(server.origin, second.pageId, first.cookie);
    looping.event(first.pageId, 'loop');
    assert.equal((await looping.next((f) => f.t === 'closed')).reason, 'crashed');
    living.event(second.pageId, 'ping');
    const refused = await living.next((f) => f.t === 'error');
    assert.equal(refused.code, 'SCRIPT_QUARANTINED');
    await Promise.all([looping.close(), living.close()]);
  });
});

describe('a render queued behind a looping script', () => {
  let server: TestServer;
  before(async () => {
    server = await poolServer(1);
  });
  after(() => server.close());

  it('goes to the worker that replaces it, and is answered 200', async () => {
    const loop = fetch(`${server.url}/loop`);
    await waitFor(() => server.log.lines.some((line) => line.includes('looping')), 'the loop to start');
    const plain = await fetch(`${server.url}/`);
    assert.equal(plain.status, 200);
    assert.equal(await plain.text(), 'index');
    assert.equal((await loop).status, 500);
  });
});

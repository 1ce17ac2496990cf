import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser } from './helpers/browser.js';
import { scriptsFolder, waitFor, waitForAsync } from './helpers/fixtures.js';
import { joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

/**
 * The watchdog of every server here: the production default. A shorter one (these tests had
 * 500 ms) stops workers that did nothing wrong on a loaded machine, where the first render in a
 * new worker (prelude, sandbox, compile) alone can take that long.
 */
const WATCHDOG = 2000;

/** Stuck in its event handler on 'spin', at line 3; it pushes 'spinning' first. */
const LOOP_SCRIPT = `echo('loop');
function __serverSocketEvent(name: string) { if (name === 'spin') server_socket_event('spinning');
  if (name === 'spin') while (true) {}
  if (name === 'ping') server_socket_event('pong');
}`;

const folder = scriptsFolder({
  'loop.ts': LOOP_SCRIPT,
  'other.ts': `let n = 0;
echo('other');
function __serverSocketEvent(name: string) {
  if (name === 'ping') server_socket_event('pong', ++n);
  if (name === 'reject') (async () => { await null; throw new Error('nobody awaited this'); })();
  if (name === 'timer') setTimeout(() => { throw new Error('timer broke'); }, 1);
}`,
  'busy.ts': `let handled = 0;
echo('busy');
function __serverSocketEvent(name: string) {
  const until = Date.now() + 5;
  while (Date.now() < until) {}
  if (++handled % 100 === 0) server_socket_event('handled', handled);
}`,
  'hog.ts': `const hoard: number[][] = [];
echo('hog');
function __serverSocketEvent(name: string) {
  if (name === 'eat') for (;;) hoard.push(new Array(1e6).fill(1));
}`,
});

describe('scripts in worker threads', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      dir: folder.dir,
      workers: 2,
      watchdogTimeout: WATCHDOG,
      maxWorkerHeapBytes: 64 * 1024 * 1024,
      maxEventsPerSecond: 100_000,
    });
  });
  after(async () => {
    await server.close();
    folder.remove();
  });

  it('a script stuck in a loop ends its worker; pages in the other worker answer; the page reloads', async () => {
    const loop = await renderLive(server.url, '/loop');
    const other = await renderLive(server.url, '/other');
    const loopClient = await joinPage(server.origin, loop.pageId, loop.cookie);
    const otherClient = await joinPage(server.origin, other.pageId, other.cookie);
    const stops = () => server.log.lines.filter((line) => line.includes('worker stopped and replaced')).length;
    const stopsBefore = stops();
    loopClient.event(loop.pageId, 'spin');
    await loopClient.next((f) => f.n === 'spinning');
    // While the loop holds its worker (the server has not stopped it when the answer arrives),
    // the other worker answers.
    for (let i = 1; i <= 3; i++) {
      otherClient.event(other.pageId, 'ping');
      assert.equal((await otherClient.next((f) => f.n === 'pong' && f.d === i)).p, other.pageId);
      assert.equal(stops(), stopsBefore, `pong ${i} came while the loop held its worker`);
    }
    assert.equal((await loopClient.next((f) => f.t === 'closed')).reason, 'crashed');
    // The log names the script and the line of the loop.
    const log = server.log.lines.join('\n');
    assert.match(
      log,
      new RegExp(
        `loop\\.ts:3 Error: event 'spin' held its worker for more than ${WATCHDOG} ms without yielding: ` +
          'an endless loop\\?',
      ),
    );
    assert.match(log, /at __serverSocketEvent \(loop\.ts:3\)/);
    assert.match(log, />\s+3 \| {3}if \(name === 'spin'\) while \(true\) \{\}/);
    assert.match(
      log,
      new RegExp(
        `worker stopped and replaced: a script held it for more than ${WATCHDOG} ms without yielding ` +
          "\\(event 'spin' of loop\\.ts, at loop\\.ts:3\\)",
      ),
    );
    // The script is quarantined (it would stop the next worker too); the replacement serves the others.
    const again = await fetch(`${server.url}/loop`);
    assert.equal(again.status, 503);
    assert.ok(Number(again.headers.get('retry-after')) > 0);
    assert.match(await again.text(), /loop\.ts is quarantined for \d+ s more/);
    assert.equal((await fetch(`${server.url}/other`)).status, 200);
    otherClient.event(other.pageId, 'ping');
    await otherClient.next((f) => f.n === 'pong' && f.d === 4);
    await Promise.all([loopClient.close(), otherClient.close()]);
  });

  it('an unhandled rejection or a throw in a timer affects neither the host nor other pages', async () => {
    const other = await renderLive(server.url, '/other');
    const client = await joinPage(server.origin, other.pageId, other.cookie);
    client.event(other.pageId, 'reject');
    client.event(other.pageId, 'timer');
    await waitFor(
      () =>
        server.log.lines.some((line) => line.includes('nobody awaited this')) &&
        server.log.lines.some((line) => line.includes('timer broke')),
      'both reported',
    );
    client.event(other.pageId, 'ping');
    await client.next((f) => f.n === 'pong' && f.d === 1);
    assert.equal((await fetch(`${server.url}/other`)).status, 200);
    await client.close();
  });

  it('the watchdog is not fooled by a held server thread, nor by a long queue of quick handlers', async () => {
    const busy = await renderLive(server.url, '/busy');
    const client = await joinPage(server.origin, busy.pageId, busy.cookie);
    // The server's own thread held for longer than the watchdog: the workers did nothing wrong.
    const until = performance.now() + WATCHDOG + 300;
    while (performance.now() < until) {
      // the test and the server share this thread
    }
    // Handlers of 5 ms each: three times the watchdog of work in a queue, and no stuck script.
    const handlers = (3 * WATCHDOG) / 5;
    for (let i = 0; i < handlers; i++) client.event(busy.pageId, 'tick');
    assert.equal((await client.next((f) => f.n === 'handled' && f.d === handlers)).p, busy.pageId);
    assert.equal(
      client.frames.some((f) => f.t === 'closed'),
      false,
    );
    assert.equal(
      server.log.lines.some((line) => line.includes('worker stopped') && line.includes('busy.ts')),
      false,
    );
    await client.close();
  });

  it('a worker that runs out of memory is replaced; its pages reload', async () => {
    const hog = await renderLive(server.url, '/hog');
    const client = await joinPage(server.origin, hog.pageId, hog.cookie);
    client.event(hog.pageId, 'eat');
    assert.equal((await client.next((f) => f.t === 'closed')).reason, 'crashed');
    assert.ok(server.log.lines.some((line) => line.includes('worker stopped and replaced')));
    assert.equal((await fetch(`${server.url}/other`)).status, 200);
    await client.close();
  });
});

describe('a stuck script in dev, reported to the page that ran it', () => {
  const site = scriptsFolder({
    'loop.ts': LOOP_SCRIPT,
    '_spin.ts': `export function spin() {
  for (;;) {}
}`,
    'deep.ts': `import { spin } from './_spin.ts';
echo('deep');
function __serverSocketEvent(name: string) {
  if (name === 'spin') spin();
}`,
  });
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: site.dir, workers: 1, watchdogTimeout: WATCHDOG, dev: true });
  });
  after(async () => {
    await server.close();
    site.remove();
  });

  it('names the page whose event is stuck, not the page whose event waits behind it', async () => {
    const a = await renderLive(server.url, '/loop');
    const b = await renderLive(server.url, '/loop', a.cookie);
    const clientA = await joinPage(server.origin, a.pageId, a.cookie);
    const clientB = await joinPage(server.origin, b.pageId, b.cookie);
    clientA.event(a.pageId, 'spin');
    await clientA.next((f) => f.n === 'spinning');
    // Sent last, and queued behind the loop in the same worker.
    clientB.event(b.pageId, 'ping');
    const error = await clientA.next((f) => f.t === 'error');
    assert.equal(error.code, 'SCRIPT_STUCK');
    assert.match(String(error.message), /^loop\.ts:3 Error: event 'spin' held its worker/);
    assert.equal((await clientA.next((f) => f.t === 'closed')).reason, 'crashed');
    assert.equal((await clientB.next((f) => f.t === 'closed')).reason, 'crashed');
    assert.equal(
      clientB.frames.some((f) => f.t === 'error'),
      false,
    );
    assert.ok(
      server.log.lines.some((line) => line.includes("(event 'spin' of loop.ts, at loop.ts:3)")),
      server.log.lines.join('\n'),
    );
    await Promise.all([clientA.close(), clientB.close()]);
  });

  it('a loop in a partial: the line in the partial, the page of the script that imported it', async () => {
    const deep = await renderLive(server.url, '/deep');
    const client = await joinPage(server.origin, deep.pageId, deep.cookie);
    client.event(deep.pageId, 'spin');
    const error = await client.next((f) => f.t === 'error');
    assert.match(String(error.message), /^_spin\.ts:2 Error: event 'spin' held its worker/);
    assert.match(String(error.detail), /at spin \(_spin\.ts:2\)\n {4}at __serverSocketEvent \(deep\.ts:4\)/);
    assert.match(String(error.detail), />\s*2 \| {3}for \(;;\) \{\}/);
    assert.equal((await client.next((f) => f.t === 'closed')).reason, 'crashed');
    await client.close();
  });
});

describe('the dev error overlay, in a real browser (Chromium)', { timeout: 180_000 }, () => {
  it('a stuck script: its error stays on the page until it is dismissed; then the page reloads', async () => {
    const site = scriptsFolder({
      'button.ts': `echo('<button id="spin" onclick="document.serverSocket.send(\\'spin\\')">spin</button>');
function __serverSocketEvent(name: string) {
  if (name === 'spin') while (true) {}
}`,
    });
    const server = await startServer({ dir: site.dir, workers: 1, watchdogTimeout: WATCHDOG, dev: true });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/button`);
      let navigations = 0;
      page.on('framenavigated', () => navigations++);
      await page.click('#spin');
      const overlay = (part: string) =>
        page.evaluate(
          (selector) =>
            document.querySelector('pagewire-error-overlay')?.shadowRoot?.querySelector(selector)?.textContent ?? '',
          part,
        );
      // Written when the page would have reloaded: it waits instead.
      await page.waitForFunction(
        () =>
          document.querySelector('pagewire-error-overlay')?.shadowRoot?.querySelector('.after')?.textContent ===
          'The page reloads when you dismiss this.',
        undefined,
        { polling: 50 },
      );
      assert.match(
        await overlay('h2'),
        new RegExp(`^button\\.ts:3 Error: event 'spin' held its worker for more than ${WATCHDOG} ms without yielding`),
      );
      assert.match(await overlay('pre'), /> 3 \| {3}if \(name === 'spin'\) while \(true\) \{\}/);
      assert.equal(navigations, 0);
      // Playwright's CSS selectors pierce open shadow roots.
      await page.click('pagewire-error-overlay button');
      await waitFor(() => navigations > 0, 'the reload');
      // The script is quarantined, and the reloaded page says so; saving a file ends it.
      await page.waitForFunction(() => document.body.textContent?.includes('button.ts is quarantined'));
      assert.equal(await page.evaluate(() => document.querySelector('pagewire-error-overlay')), null);
      site.write('button.ts', `echo('<p id="fixed">fixed</p>');\n`);
      await waitForAsync(async () => (await fetch(`${server.url}/button`)).status === 200, 'the quarantine lifted');
      await page.reload();
      await page.waitForSelector('#fixed');
    } finally {
      await browser.close();
      await server.close();
      site.remove();
    }
  });

  it('an error overlay does not hold back the reload after an edit', async () => {
    const site = scriptsFolder({
      'thrower.ts': `echo('<button id="go" onclick="document.serverSocket.send(\\'go\\')">go</button>');
function __serverSocketEvent(name: string) {
  throw new Error('broken handler');
}`,
    });
    const server = await startServer({ dir: site.dir, dev: true });
    await server.wire.ready();
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/thrower`);
      await page.click('#go');
      await page.waitForFunction(
        () =>
          document
            .querySelector('pagewire-error-overlay')
            ?.shadowRoot?.querySelector('h2')
            ?.textContent?.includes('broken handler'),
        undefined,
        { polling: 50 },
      );
      site.write('thrower.ts', `echo('<p id="fixed">fixed</p>');\nfunction __serverSocketEvent() {}\n`);
      await page.waitForSelector('#fixed');
    } finally {
      await browser.close();
      await server.close();
      site.remove();
    }
  });
});

describe('scripts in worker threads, in production', () => {
  it('every worker runs the version of a script first read, even after an edit on the server', async () => {
    const site = scriptsFolder({ 'page.ts': `echo('version 1');\nfunction __serverSocketEvent() {}\n` });
    const server = await startServer({ dir: site.dir, workers: 2 });
    try {
      assert.match(await (await fetch(`${server.url}/page`)).text(), /version 1$/);
      site.write('page.ts', `echo('version 2');\nfunction __serverSocketEvent() {}\n`);
      // Pages spread over both workers; the second compiles the script now, from the pool's copy.
      for (let i = 0; i < 4; i++) assert.match(await (await fetch(`${server.url}/page`)).text(), /version 1$/);
    } finally {
      await server.close();
      site.remove();
    }
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, socketLog } from './helpers/browser.js';
import { sampleScripts, scriptsFolder, waitFor, waitForAsync } from './helpers/fixtures.js';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { startServer, type TestServer } from './helpers/server.js';

describe('in a real browser (Chromium), the samples', { timeout: 180_000 }, () => {
  const samples = sampleScripts();
  const served = servedInBrowser(samples);

  it('index lists the samples and stays a plain page', async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${served.server.url}/`);
    assert.deepEqual(await page.locator('li a').allTextContents(), [
      'hello.ts',
      'counter.ts',
      'todo.ts',
      'search.ts',
      'signup.ts',
      'clock.ts',
      'notes.ts',
      'chat.ts',
      'people.ts',
      'dashboard.ts',
      'talk.ts',
      'photos.ts',
    ]);
    assert.equal(await page.evaluate(() => 'serverSocket' in document), false);
    // Each sample beside its source, as the file is (escaped: it shows as text, not as HTML).
    const files = ['hello.ts', 'counter.ts', 'todo.ts', 'search.ts', 'signup.ts', 'clock.ts', 'notes.ts', 'chat.ts'];
    for (const file of [...files, 'people.ts', 'dashboard.ts', 'talk.ts', 'photos.ts']) {
      const shown = await page.locator(`[id="sample-${file}"] pre`).textContent();
      assert.equal(shown, readFileSync(path.join(samples.dir, file), 'utf8'), file);
    }
    await context.close();
  });

  it('hello: each click brings the alert "You clicked the button (n)"', async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${served.server.url}/hello`);
    const alerts: string[] = [];
    // An open alert blocks the page: dismiss it as soon as it shows, keep its text.
    page.on('dialog', (dialog) => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
    await page.click('#test');
    await waitFor(() => alerts.length > 0, 'the alert');
    await page.click('#test');
    await waitFor(() => alerts.length > 1, 'the second alert');
    assert.deepEqual(alerts, ['You clicked the button (1)', 'You clicked the button (2)']);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('counter: two tabs count independently, without a reload', async () => {
    const context = await served.browser.newContext();
    const [a, b] = [await context.newPage(), await context.newPage()];
    await a.goto(`${served.server.url}/counter`);
    await b.goto(`${served.server.url}/counter`);
    let navigations = 0;
    a.on('framenavigated', () => navigations++);
    // Each tab is brought to the front before it is used, as a person would: a background
    // tab's rendering is throttled. Waits poll on a timer for the same reason.
    const count = (tab: typeof a, value: string) =>
      tab.waitForFunction((v) => document.getElementById('count')?.textContent === v, value, { polling: 20 });
    await a.bringToFront();
    await a.click('#increment');
    await a.click('#increment');
    await a.click('#increment');
    await count(a, '3');
    await b.bringToFront();
    await b.click('#decrement');
    await count(b, '-1');
    await a.bringToFront();
    await a.click('#decrement');
    await count(a, '2');
    assert.equal(await b.textContent('#count'), '-1');
    assert.equal(navigations, 0);
    await context.close();
  });

  it('chat: a post reaches both tabs, and a tab opened later reads it from the shared history', async () => {
    const context = await served.browser.newContext();
    const [a, b] = [await context.newPage(), await context.newPage()];
    await a.goto(`${served.server.url}/chat`);
    await b.goto(`${served.server.url}/chat`);
    const posts = (tab: typeof a, count: number) =>
      tab.waitForFunction((n) => document.querySelectorAll('#posts li').length === n, count, { polling: 20 });
    await a.bringToFront();
    await a.fill('#name', 'Ada');
    await a.fill('#text', 'first <b>post</b>');
    await a.click('button');
    await posts(a, 1);
    await b.bringToFront();
    await posts(b, 1);
    assert.equal(await b.textContent('#posts li'), 'Ada: first <b>post</b>');
    const later = await context.newPage();
    await later.goto(`${served.server.url}/chat`);
    assert.deepEqual(await later.locator('#posts li').allTextContents(), ['Ada: first <b>post</b>']);
    assert.equal((await served.server.wire.shared.list('chat:history')).length, 1);
    await context.close();
  });

  it('clock: ticks, and its timer stops on the server when the tab closes', async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${served.server.url}/clock`);
    await page.waitForFunction(() => Number(document.getElementById('ticks')?.textContent) >= 2);
    const pageId = await page.evaluate(() => document.serverSocket?.pageId ?? '');
    const closedLine = (line: string) => line.includes(`clock.ts [page ${pageId.slice(0, 6)}]: clock stopped after`);
    assert.equal(served.server.log.lines.some(closedLine), false);
    // The tab closes as a person closes it: pagehide runs, and the page ends at once (no grace period).
    await page.close({ runBeforeUnload: true });
    await waitFor(() => served.server.log.lines.some(closedLine), 'the clock page to close on the server');
    const stoppedAt = Number(/after (\d+) ticks/.exec(served.server.log.lines.find(closedLine) ?? '')?.[1]);
    assert.ok(stoppedAt >= 2);
    await context.close();
  });
});

describe('in a real browser (Chromium), the notes lock', { timeout: 180_000 }, () => {
  // The notes live beside the script: a copy of the samples, not the repository's.
  const samples = sampleScripts();
  const served = servedInBrowser(samples);

  it('passes from one tab to the other the moment the first closes', async () => {
    const context = await served.browser.newContext();
    const first = await context.newPage();
    await first.goto(`${served.server.url}/notes`);
    assert.equal(await first.textContent('#status'), 'You are editing the notes.');
    await first.fill('#notes', 'written by the first tab');
    await first.click('#save');
    await first.waitForFunction(
      () => document.getElementById('saved')?.textContent?.startsWith('Saved at'),
      undefined,
      { polling: 20 },
    );

    const second = await context.newPage();
    await second.goto(`${served.server.url}/notes`);
    assert.equal(await second.textContent('#status'), 'The notes are locked by another editor.');
    assert.equal(await second.getAttribute('#notes', 'readonly'), '');
    assert.equal(await second.inputValue('#notes'), 'written by the first tab');
    // A save by the editor reaches the waiting tab live (a channel; its view follows).
    await first.bringToFront();
    await first.fill('#notes', 'saved again');
    await first.click('#save');
    await second.bringToFront();
    await second.waitForFunction(
      () => (document.getElementById('notes') as HTMLTextAreaElement).value === 'saved again',
    );

    await first.close({ runBeforeUnload: true });
    await second.waitForFunction(
      () => document.getElementById('status')?.textContent === 'You are editing the notes.',
      undefined,
      { polling: 20 },
    );
    assert.equal(await second.getAttribute('#notes', 'readonly'), null);
    assert.equal(await second.isDisabled('#save'), false);
    await context.close();
  });
});

describe('in a real browser (Chromium), a dropped connection', { timeout: 180_000 }, () => {
  const folder = scriptsFolder({
    // Logs each tick: the test knows how far the server got while the page heard nothing.
    'ticker.ts': `let n = 0;
echo('<!doctype html><ol id="ticks"></ol><script>' +
  'document.serverSocket.addEventListener("tick", (e) => { const li = document.createElement("li"); ' +
  'li.textContent = e.data; document.getElementById("ticks").append(li); });</script>');
setInterval(() => { server_socket_event('tick', ++n); console.log('tick ' + n); }, 100);
function __serverSocketEvent(name: string) { if (name === 'count') server_socket_event('count', n); }`,
    'held.ts': `page.onClose(() => console.log('left ' + page.id));
echo('<!doctype html><p>held</p><script>for (const [name, open] of [["open", "1"], ["close", "0"]]) ' +
  'document.serverSocket.addEventListener(name, () => { document.body.dataset.open = open; });</script>');
function __serverSocketEvent() {}`,
  });
  const served = servedInBrowser(folder, { proxied: true });

  const ticks = (page: import('playwright-core').Page) =>
    page.$$eval('#ticks li', (items) => items.map((li) => Number(li.textContent)));
  /** The last tick the server made for the page, from its log. */
  const serverTicks = (pageId: string) =>
    Math.max(
      0,
      ...served.server.log.lines
        .filter((line) => line.includes(`ticker.ts [page ${pageId.slice(0, 6)}]: tick `))
        .map((line) => Number(line.split(' ').at(-1))),
    );
  const pageIdOf = (page: import('playwright-core').Page) => page.evaluate(() => document.serverSocket?.pageId ?? '');

  it('brings, when it comes back after 50 ticks (5 s), every push it missed, once and in order', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.proxy.url}/ticker`);
    await page.waitForFunction(() => document.querySelectorAll('#ticks li').length >= 3, undefined, { polling: 20 });
    const pageId = await pageIdOf(page);
    served.proxy.block(true);
    served.proxy.cut('server');
    const cutAt = (await ticks(page)).length;
    await waitFor(() => serverTicks(pageId) >= cutAt + 50, 'the server to tick 50 times while the page is cut off');
    const duringCut = (await ticks(page)).length;
    served.proxy.block(false);
    // The 50 ticks made during the cut, and more: only a replay can bring those.
    await page.waitForFunction((n) => document.querySelectorAll('#ticks li').length >= n, cutAt + 60, { polling: 50 });
    const received = await ticks(page);
    assert.ok(duringCut <= cutAt + 1, `nothing arrives while cut (${cutAt} -> ${duringCut})`);
    assert.deepEqual(
      received,
      Array.from({ length: received.length }, (_, i) => i + 1),
    );
    await page.close();
  });

  it('says goodbye with a beacon when the tab closes while its socket is down: the instance ends now', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.proxy.url}/held`);
    await page.waitForFunction(() => document.body.dataset.open === '1', undefined, { polling: 20 });
    const pageId = await page.evaluate(() => document.serverSocket?.pageId);
    // Sockets cannot get through; plain HTTP (the beacon) can.
    served.proxy.refuseSockets(true);
    try {
      served.proxy.cut('server');
      await page.waitForFunction(() => document.body.dataset.open === '0', undefined, { polling: 20 });
      await page.close();
      // The grace after a dropped socket is ten minutes: only the beacon ends the instance before the wait gives up.
      await waitFor(() => served.server.log.lines.some((line) => line.includes(`left ${pageId}`)), 'the close hook');
    } finally {
      served.proxy.refuseSockets(false);
    }
  });

  it('re-joins its instance after the back/forward cache, with what was pushed meanwhile', async () => {
    const page = await served.browser.newPage();
    const sockets = socketLog(page);
    await page.goto(`${served.proxy.url}/ticker`);
    await page.waitForFunction(() => document.querySelectorAll('#ticks li').length >= 2, undefined, { polling: 20 });
    const pageId = await pageIdOf(page);
    // Playwright's Chromium runs with the bfcache off: the page goes through the same events.
    await page.evaluate(() => dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
    await waitFor(() => sockets.closed() === 1, 'the socket to be let go');
    const frozenAt = (await ticks(page)).length;
    // The server ticks on; none of it reaches the page meanwhile.
    const serverAt = serverTicks(pageId);
    await waitFor(() => serverTicks(pageId) >= serverAt + 5, 'five more ticks on the server');
    assert.ok((await ticks(page)).length <= frozenAt + 1, 'the socket was let go');
    await page.evaluate(() => dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
    await page.waitForFunction((n) => document.querySelectorAll('#ticks li').length >= n, frozenAt + 8, {
      polling: 20,
    });
    const received = await ticks(page);
    assert.deepEqual(
      received,
      Array.from({ length: received.length }, (_, i) => i + 1),
    );
    await page.close();
  });
});

describe('in a real browser (Chromium), hot reload', { timeout: 180_000 }, () => {
  const folder = scriptsFolder({
    'page.ts': `echo('<!doctype html><h1 id="text">version 1</h1>');\nfunction __serverSocketEvent() {}\n`,
    'counter.ts': `let count = 0;
echo('<!doctype html><output id="count">0</output><button id="add">+1</button><script>' +
  'document.getElementById("add").onclick = () => document.serverSocket.send("add"); ' +
  'document.serverSocket.addEventListener("count", (e) => { ' +
  'document.getElementById("count").textContent = e.data; });</script>');
function __serverSocketEvent() { server_socket_event('count', ++count); }`,
  });
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startServer({ dir: folder.dir, dev: true });
    await server.wire.ready();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    folder.remove();
  });

  it('shows the new text after a save, and an open page of another script keeps its state', async () => {
    const context = await browser.newContext();
    const counter = await context.newPage();
    await counter.goto(`${server.url}/counter`);
    await counter.click('#add');
    await counter.click('#add');
    await counter.waitForFunction(() => document.getElementById('count')?.textContent === '2', undefined, {
      polling: 20,
    });
    const page = await context.newPage();
    const sockets = socketLog(page);
    await page.goto(`${server.url}/page`);
    await waitFor(() => sockets.frames.some((f) => f.t === 'joined'), 'the page to join');
    folder.write(
      'page.ts',
      `echo('<!doctype html><h1 id="text">version 2</h1>');\nfunction __serverSocketEvent() {}\n`,
    );
    await page.waitForFunction(() => document.getElementById('text')?.textContent === 'version 2', undefined, {
      polling: 20,
    });
    assert.equal(await counter.textContent('#count'), '2');
    await counter.bringToFront();
    await counter.click('#add');
    await counter.waitForFunction(() => document.getElementById('count')?.textContent === '3', undefined, {
      polling: 20,
    });
    await context.close();
  });

  it('shows a syntax error at its line, and reloads by itself when the file is fixed', async () => {
    folder.write('broken.ts', `echo('<p>before</p>');\n\nconst broken = ;\n`);
    await waitForAsync(async () => (await fetch(`${server.url}/broken`)).status === 500, 'the new route');
    const page = await browser.newPage();
    const sockets = socketLog(page);
    const response = await page.goto(`${server.url}/broken`);
    assert.equal(response?.status(), 500);
    assert.match((await page.textContent('h1')) ?? '', /^broken\.ts:3:16 SyntaxError: Unexpected token/);
    assert.match((await page.textContent('.pagewire-frame')) ?? '', /> 3 \| const broken = ;/);
    await waitFor(() => sockets.frames.some((f) => f.t === 'joined'), 'the error page to join');
    folder.write('broken.ts', `echo('<p id="fixed">fixed</p>');\n`);
    await page.waitForSelector('#fixed');
    await page.close();
  });
});

/**
 * Many live instances in one document, in Chromium, from a real server: a fetched live page
 * inserted with `serverSocket.insert()`, `<pw-include>`, and `new ServerSocket(path)`, each its
 * own instance on the document's one socket; the host page's own events still reach the host;
 * removing a fragment's element runs its close hook; a second client tag opens no socket and
 * replaces nothing; all of it across a forced socket drop, exactly once and in order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, socketLog } from './helpers/browser.js';
import { pagewire } from '../lib/index.js';
import { memoryLogger, scriptsFolder } from './helpers/fixtures.js';
import { CuttableProxy } from './helpers/proxy.js';
import { PATIENT, startServer, type TestServer } from './helpers/server.js';

const samples = path.join(import.meta.dirname, '..', 'sample-scripts');
const sample = (file: string) => readFileSync(path.join(samples, file), 'utf8');

const folder = scriptsFolder({
  // The host page: its own counter, and the close hooks of its fragments, as they are heard of.
  'host.ts': `let hits = 0;
page.channel('closed').subscribe((id) => page.append('#closed', html\`<i>\${String(id)}</i>\`));
echo(html\`<!doctype html><body><button id="hit" pw-click="hit">host</button><output id="hits">0</output>
<div id="slot"></div><div id="slot2"></div><p id="closed"></p></body>\`);
function __serverSocketEvent(name: string) {
  if (name === 'hit') page.update('#hits', String(++hits));
}`,
  'widget.ts': `const id = String(request.query.id ?? 'w');
let n = 0;
page.onClose(() => page.channel('closed').publish(id));
echo(page.view(() => html\`<span class="count">\${n}</span><button class="plus" pw-click="plus">+</button>\`));
function __serverSocketEvent(name: string) {
  if (name === 'plus') n++;
}`,
  'room.ts': `const seen: unknown[] = [];
echo(html\`<h2>room \${request.path}</h2>\`);
function __serverSocketEvent(name: string, data: unknown) {
  seen.push(data);
  server_socket_event('heard', { data, seen: seen.length });
}`,
  'plain.ts': `echo(html\`<p>plain</p>\`);`,
  // A live script whose render fails: in dev its 500 error page has a client tag (it reloads itself).
  'broken.ts': `function __serverSocketEvent() {}
throw new Error('broken on purpose');`,
  // The sample: a page that opens room/[name].ts with new ServerSocket(path).
  '_layout.ts': sample('_layout.ts'),
  'talk.ts': sample('talk.ts'),
  'room/[name].ts': sample('room/[name].ts'),
});

describe('fragments and separate scripts on one socket, in Chromium', { timeout: 180_000 }, () => {
  let server: TestServer;
  const nodes: string[] = [];
  const other = pagewire({ dir: folder.dir, logger: memoryLogger(), ...PATIENT });
  let proxy: CuttableProxy;
  let browser: Browser;
  before(async () => {
    server = await startServer(
      { dir: folder.dir, dev: true },
      {
        before: [
          (req, _res, next) => {
            // What a fragment's request names: its document's page, and its node (for a cluster).
            if (req.headers['x-pagewire-fragment']) nodes.push(String(req.headers['x-pagewire-node']));
            next();
          },
        ],
        // Another Pagewire instance of the same site, under /other: its pages join on its own socket.
        after: (app) => app.use('/other', other),
      },
    );
    other.attach(server.server);
    proxy = await CuttableProxy.start(Number(new URL(server.url).port));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await other.close();
    await server?.close();
    folder.remove();
  });

  const text = (page: Page, selector: string) => page.locator(selector).textContent();
  const until = (page: Page, selector: string, expected: string) =>
    page.waitForFunction(([s, e]) => document.querySelector(s as string)?.textContent === e, [selector, expected], {
      polling: 20,
    });

  it('insert(): a fetched live page is live in its element; the host keeps its own events', async () => {
    const page = await (await browser.newContext()).newPage();
    const sockets = socketLog(page);
    await page.goto(`${server.url}/host`);
    await page.evaluate(async () => {
      const response = await fetch('/widget?id=a');
      await document.serverSocket?.insert(document.getElementById('slot') as Element, response);
    });
    await page.click('#slot .plus');
    await page.click('#slot .plus');
    await until(page, '#slot .count', '2');
    await page.click('#hit');
    await until(page, '#hits', '1');
    assert.equal(await text(page, '#slot .count'), '2');
    // The element's channel is the fragment's own.
    const ids = await page.evaluate(() => [
      document.serverSocket?.pageId,
      (document.getElementById('slot') as unknown as { serverSocket: { pageId: string } }).serverSocket.pageId,
    ]);
    assert.notEqual(ids[0], ids[1]);
    // Removed from the document: its instance closes on the server, its close hook runs.
    await page.evaluate(() => document.getElementById('slot')?.remove());
    await until(page, '#closed', 'a');
    await page.click('#hit');
    await until(page, '#hits', '2');
    assert.equal(sockets.opened(), 1, 'one WebSocket for the document and its fragment');
    await page.context().close();
  });

  it('insert() of an XMLHttpRequest: live, and the xhr has its .serverSocket', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/host`);
    const same = await page.evaluate(async () => {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', '/widget?id=x');
      await new Promise((resolve) => {
        xhr.onload = resolve;
        xhr.send();
      });
      const socket = await document.serverSocket?.insert(document.getElementById('slot') as Element, xhr);
      return (xhr as unknown as { serverSocket: unknown }).serverSocket === socket;
    });
    assert.equal(same, true);
    await page.click('#slot .plus');
    await until(page, '#slot .count', '1');
    await page.context().close();
  });

  it('insert() of a response that is not a live page rejects, naming the fix', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/host`);
    const message = await page.evaluate(async () => {
      const response = await fetch('/plain');
      return document.serverSocket?.insert(document.getElementById('slot') as Element, response).then(
        () => 'inserted',
        (error: Error) => error.message,
      );
    });
    assert.match(String(message), /not a live script's page.*innerHTML/);
    // A failed request is no page to put in with innerHTML: the rejection says it failed, and how.
    const failed = await page.evaluate(async () => {
      const response = await fetch('/missing');
      return document.serverSocket?.insert(document.getElementById('slot') as Element, response).then(
        () => 'inserted',
        (error: Error) => error.message,
      );
    });
    assert.match(String(failed), /the request failed \(404\)/);
    assert.doesNotMatch(String(failed), /innerHTML/);
    // A live script's failed render is a failed request too, though its error page is a live page.
    const broken = await page.evaluate(async () => {
      const response = await fetch('/broken');
      return document.serverSocket?.insert(document.getElementById('slot') as Element, response).then(
        () => 'inserted',
        (error: Error) => error.message,
      );
    });
    assert.match(String(broken), /the request failed \(500\)/);
    assert.equal(await page.locator('#slot').innerHTML(), '');
    const elsewhere = await page.evaluate(async () => {
      const response = await fetch('/other/widget');
      return document.serverSocket?.insert(document.getElementById('slot') as Element, response).then(
        () => 'inserted',
        (error: Error) => error.message,
      );
    });
    assert.match(String(elsewhere), /a live page of another Pagewire server or mount \(\/other\/__pagewire\//);
    await page.context().close();
  });

  it('<pw-include> and load(): live fragments; each keeps its own state', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/host`);
    await page.evaluate(() => {
      document.getElementById('slot')?.insertAdjacentHTML('beforeend', '<pw-include src="/widget?id=b"></pw-include>');
      return document.serverSocket?.load(document.getElementById('slot2') as Element, '/widget?id=c');
    });
    await page.waitForSelector('pw-include .plus');
    await page.click('pw-include .plus');
    await until(page, 'pw-include .count', '1');
    for (let i = 0; i < 3; i++) await page.click('#slot2 .plus');
    await until(page, '#slot2 .count', '3');
    assert.equal(await text(page, 'pw-include .count'), '1');
    assert.deepEqual(nodes.slice(-2), [server.wire.options.node, server.wire.options.node]);
    await page.context().close();
  });

  it('an event inside a fragment whose instance ended is not sent (dev says so), not even to the page', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/host`);
    await page.evaluate(async () => {
      const socket = await document.serverSocket?.load(document.getElementById('slot') as Element, '/widget?id=f');
      socket?.close();
    });
    await until(page, '#closed', 'f');
    const warned = page.waitForEvent('console', (m) =>
      /pw-click="plus": its instance has ended, not sent/.test(m.text()),
    );
    await page.click('#slot .plus');
    await warned;
    assert.equal(await text(page, '#slot .count'), '0');
    await page.context().close();
  });

  it('new ServerSocket(path): a separate instance exchanges events; document.serverSocket keeps working', async () => {
    const page = await (await browser.newContext()).newPage();
    const sockets = socketLog(page);
    await page.goto(`${server.url}/host`);
    await page.evaluate(async () => {
      const w = window as unknown as { room: { send(n: string, d: unknown): void; html?: string }; heard: unknown[] };
      const Socket = (window as unknown as { ServerSocket: new (path: string) => typeof w.room }).ServerSocket;
      w.heard = [];
      w.room = new Socket('/room');
      (w.room as unknown as EventTarget).addEventListener('heard', (e) =>
        w.heard.push((e as Event & { data: unknown }).data),
      );
      w.room.send('say', 1);
      w.room.send('say', 2);
      await (w.room as unknown as { ready: Promise<void> }).ready;
    });
    await page.waitForFunction(() => (window as unknown as { heard: unknown[] }).heard.length === 2, null, {
      polling: 20,
    });
    assert.deepEqual(await page.evaluate(() => (window as unknown as { heard: unknown[] }).heard), [
      { data: 1, seen: 1 },
      { data: 2, seen: 2 },
    ]);
    assert.match(
      String(await page.evaluate(() => (window as unknown as { room: { html: string } }).room.html)),
      /room \/room/,
    );
    await page.click('#hit');
    await until(page, '#hits', '1');
    assert.equal(sockets.opened(), 1);
    await page.context().close();
  });

  it('new ServerSocket(path): events sent before it runs are checked when sent, and go as they were', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/host`);
    const outcome = await page.evaluate(async () => {
      type Room = EventTarget & { send(n: string, d?: unknown): void; ready: Promise<void> };
      const Socket = (window as unknown as { ServerSocket: new (path: string) => Room }).ServerSocket;
      const room = new Socket('/room');
      const heard: unknown[] = [];
      const errors: unknown[] = [];
      room.addEventListener('heard', (e) => heard.push((e as Event & { data: unknown }).data));
      room.addEventListener('error', (e) => errors.push((e as Event & { data: { code: string } }).data.code));
      let reserved = 'sent';
      try {
        room.send('pw:upload', {});
      } catch (error) {
        reserved = (error as Error).message;
      }
      const data = { n: 1 };
      room.send('say', data);
      data.n = 2; // changed after it was sent: what was sent is what goes
      room.send('say', 'x'.repeat(70_000)); // more than the server takes: that one alone is refused
      room.send('say', 3);
      await room.ready.then(
        () => undefined,
        (error: Error) => errors.push(`ready rejected: ${error.message}`),
      );
      while (heard.length < 2) await new Promise((resolve) => room.addEventListener('heard', resolve, { once: true }));
      return { reserved, heard, errors };
    });
    assert.match(outcome.reserved, /names starting 'pw:' are Pagewire's own/);
    assert.deepEqual(outcome.heard, [
      { data: { n: 1 }, seen: 1 },
      { data: 3, seen: 2 },
    ]);
    assert.deepEqual(outcome.errors, ['EVENT_TOO_LARGE']);
    await page.context().close();
  });

  it('the talk sample: two pages, each with its own instance of the room, hear each other', async () => {
    const context = await browser.newContext();
    const [alice, bob] = [await context.newPage(), await context.newPage()];
    for (const page of [alice, bob]) {
      await page.goto(`${server.url}/talk`);
      await page.waitForSelector('#room h2');
    }
    assert.equal(await text(alice, '#room h2'), 'Room lobby');
    await alice.fill('#text', 'hello from alice');
    await alice.click('#say button');
    for (const page of [alice, bob]) await until(page, '#said li', 'hello from alice');
    await context.close();
  });

  it('a second client tag opens no second WebSocket and replaces nothing; dev says so', async () => {
    const page = await (await browser.newContext()).newPage();
    const sockets = socketLog(page);
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await page.goto(`${server.url}/host`);
    const own = await page.evaluate(() => document.serverSocket?.pageId);
    // As a new user would: a live page fetched, put in with innerHTML, and its scripts run again.
    await page.evaluate(async () => {
      const slot = document.getElementById('slot') as Element;
      slot.innerHTML = await (await fetch('/widget?id=d')).text();
      for (const old of slot.querySelectorAll('script')) {
        const script = document.createElement('script');
        for (const { name, value } of old.attributes) script.setAttribute(name, value);
        const loaded = new Promise((resolve) => script.addEventListener('load', resolve));
        old.replaceWith(script);
        await loaded;
      }
    });
    assert.equal(await page.evaluate(() => document.serverSocket?.pageId), own);
    assert.ok(
      warnings.some((w) => /a second Pagewire client .* was ignored/.test(w)),
      warnings.join('\n'),
    );
    await page.click('#hit');
    await until(page, '#hits', '1');
    assert.equal(sockets.opened(), 1);
    await page.context().close();
  });

  it('across a forced socket drop: every instance gets its events exactly once, in order', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${proxy.url}/host`);
    await page.evaluate(async () => {
      const w = window as unknown as { room: { send(n: string, d: unknown): void }; heard: unknown[] };
      const Socket = (window as unknown as { ServerSocket: new (path: string) => typeof w.room }).ServerSocket;
      w.heard = [];
      w.room = new Socket('/room');
      (w.room as unknown as EventTarget).addEventListener('heard', (e) =>
        w.heard.push((e as Event & { data: unknown }).data),
      );
      await (w.room as unknown as { ready: Promise<void> }).ready;
      await document.serverSocket?.load(document.getElementById('slot') as Element, '/widget?id=e');
    });
    await page.click('#hit');
    await until(page, '#hits', '1');
    proxy.refuseSockets(true);
    try {
      proxy.cut('server');
      await page.waitForFunction(() => document.documentElement.classList.contains('pw-disconnected'), null, {
        polling: 20,
      });
      // Made while the socket is down: kept, and delivered once it is back.
      await page.evaluate(() => {
        const room = (window as unknown as { room: { send(n: string, d: unknown): void } }).room;
        for (let i = 1; i <= 5; i++) room.send('say', i);
        // Changed by the page once sent: what goes is what was sent.
        const later = { v: 'as sent' };
        room.send('say', later);
        later.v = 'changed';
      });
      await page.click('#hit');
      await page.click('#slot .plus');
      await page.click('#slot .plus');
    } finally {
      proxy.refuseSockets(false);
    }
    await until(page, '#hits', '2');
    await until(page, '#slot .count', '2');
    await page.waitForFunction(() => (window as unknown as { heard: unknown[] }).heard.length >= 6, null, {
      polling: 20,
    });
    const heard = await page.evaluate(() => (window as unknown as { heard: Array<{ data: unknown }> }).heard);
    assert.deepEqual(
      heard.map((h) => h.data),
      [1, 2, 3, 4, 5, { v: 'as sent' }],
    );
    await page.context().close();
  });
});

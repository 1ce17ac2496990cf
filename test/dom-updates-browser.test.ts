/**
 * Server-driven DOM updates in a real browser (Chromium), from a real server: each operation
 * applies, the morph keeps the field being typed in (focus, caret, value) and scroll positions,
 * `pw-ignore` regions are the browser's own, and a `pw:dom` push missed while the socket was down
 * is replayed exactly once. The sandbox's side is dom-updates.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, socketLog } from './helpers/browser.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { CuttableProxy } from './helpers/proxy.js';
import { startServer, type TestServer } from './helpers/server.js';

/** Says on `<body>` whether the socket is open, and whether a listener ever saw a `pw:dom` push. */
const WATCH = `<script>
const s = document.serverSocket;
s.addEventListener('open', () => { document.body.dataset.open = '1'; });
s.addEventListener('close', () => { document.body.dataset.open = '0'; });
s.addEventListener('pw:dom', () => { document.body.dataset.leaked = '1'; });
</script>`;

const OPS = `echo(\`<!doctype html><body><div id="box"><p>old</p></div>
<ul id="list"><li class="x">b</li><li>d</li></ul><p id="gone">gone</p>${WATCH}</body>\`);
function __serverSocketEvent(name: string) {
  if (name === 'bad') page.update('#box >', 'never');
  if (name !== 'all') return;
  page.update('#box', html\`<p>new <b>\${'<i>escaped</i>'}</b></p>\`);
  page.replace('li.x', html\`<li class="y">B</li>\`);
  page.append('#list', html\`<li>e</li>\`);
  page.prepend('#list', html\`<li>a</li>\`);
  page.remove('#gone');
  page.update('#nothing', 'nowhere');
}`;
/** The line of ops.ts with the invalid selector. */
const BAD_LINE = OPS.split('\n').findIndex((line) => line.includes("'#box >'")) + 1;

const folder = scriptsFolder({
  'ops.ts': OPS,
  'focus.ts': `let n = 0;
echo(\`<!doctype html><body><div id="form"><label id="hint" for="q">type</label><input id="q">
<span id="count">0</span><div id="scroller" style="height: 50px; overflow: auto"><div style="height: 500px">tall</div>
</div></div>${WATCH}</body>\`);
function __serverSocketEvent() {
  n++;
  page.update('#form', html\`<label id="hint" for="q">typed \${n}</label><input id="q" value="server \${n}">
<span id="count">\${n}</span><div id="scroller" style="height: 50px; overflow: auto">
<div style="height: 500px">tall \${n}</div></div>\`);
}`,
  'ignore.ts': `let n = 0;
echo(\`<!doctype html><body><div id="area"><p id="t">0</p><div id="widget" pw-ignore>server</div></div>
${WATCH}</body>\`);
function __serverSocketEvent(name: string) {
  n++;
  if (name === 'with') page.update('#area', html\`<p id="t">\${n}</p><div id="widget" pw-ignore>server \${n}</div>\`);
  if (name === 'without') page.update('#area', html\`<p id="t">\${n}</p>\`);
  if (name === 'inside') {
    page.update('#widget', 'written');
    page.remove('#widget');
    page.update('#t', String(n));
  }
}`,
  'replay.ts': `echo(\`<!doctype html><body><ul id="log"></ul>${WATCH}</body>\`);
page.channel('go').subscribe((word) => {
  page.append('#log', html\`<li>\${word}</li>\`);
  console.log('appended ' + word);
});
function __serverSocketEvent() {}`,
  'nav.ts': `echo(\`<!doctype html><body>${WATCH}</body>\`);
function __serverSocketEvent() { page.navigate('landing?from=nav'); }`,
  'view.ts': `let count = 0;
const view = page.view(() => html\`<p id="n">\${count}</p><input id="inside" value="v\${count}">\`);
echo(html\`<!doctype html><body>\${view}\`, \`${WATCH}</body>\`);
function __serverSocketEvent() { count++; }`,
  'landing.ts': 'echo(\'<!doctype html><p id="landed">landed</p>\');',
});

const send = (page: Page, name: string) => page.evaluate((n) => document.serverSocket?.send(n), name);
const opened = (page: Page) =>
  page.waitForFunction(() => document.body.dataset.open === '1', undefined, { polling: 20 });
const textOf = async (page: Page, selector: string) => (await page.locator(selector).textContent()) ?? '';

describe('page.update() and the other DOM updates, in a real browser (Chromium)', { timeout: 180_000 }, () => {
  let server: TestServer;
  let dev: TestServer;
  let proxy: CuttableProxy;
  let browser: Browser;
  before(async () => {
    server = await startServer({ dir: folder.dir });
    dev = await startServer({ dir: folder.dir, dev: true });
    proxy = await CuttableProxy.start(Number(new URL(server.url).port));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.close();
    await dev?.close();
    folder.remove();
  });

  for (const mode of ['production', 'dev'] as const) {
    it(`applies every operation of one push, in order, never dispatched to listeners (${mode})`, async () => {
      const page = await browser.newPage();
      const frames = socketLog(page);
      const warnings: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'warning') warnings.push(message.text());
      });
      await page.goto(`${(mode === 'dev' ? dev : server).url}/ops`);
      await opened(page);
      await send(page, 'all');
      await page.waitForFunction(() => document.getElementById('gone') === null, undefined, { polling: 20 });
      assert.equal(await page.innerHTML('#box'), '<p>new <b>&lt;i&gt;escaped&lt;/i&gt;</b></p>');
      assert.deepEqual(await page.locator('#list li').allTextContents(), ['a', 'B', 'd', 'e']);
      assert.equal(await page.getAttribute('#list li:nth-child(2)', 'class'), 'y');
      const pushes = frames.frames.filter((frame) => frame.t === 'push');
      assert.deepEqual(
        pushes.map((push) => [push.n, (push.d as unknown[]).length]),
        [['pw:dom', 6]],
      );
      assert.equal(await page.evaluate(() => document.body.dataset.leaked), undefined);
      const nothing = warnings.filter((text) => text.includes("page.update('#nothing') changed nothing"));
      assert.equal(nothing.length, mode === 'dev' ? 1 : 0, warnings.join('\n'));
      await page.close();
    });
  }

  it('an invalid selector is a script error at its line; the page goes on', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/ops`);
    await opened(page);
    await send(page, 'bad');
    await waitFor(
      () =>
        server.log.lines.some(
          (line) =>
            line.includes(`ops.ts:${BAD_LINE}:`) &&
            /SyntaxError: page\.update\(selector, html\): '#box >' is not a valid CSS selector/.test(line),
        ),
      'the script error',
    );
    await send(page, 'all');
    await page.waitForFunction(() => document.getElementById('gone') === null, undefined, { polling: 20 });
    assert.equal(await textOf(page, '#box'), 'new <i>escaped</i>');
    await page.close();
  });

  it('morphs around the field being typed in: it keeps focus, caret and value; scroll stays', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/focus`);
    await opened(page);
    await page.click('#q');
    await page.keyboard.type('hello');
    await page.evaluate(() => {
      const input = document.getElementById('q') as HTMLInputElement & { mark?: number };
      input.mark = 1;
      input.setSelectionRange(2, 2);
      (document.getElementById('scroller') as HTMLElement).scrollTop = 100;
    });
    await send(page, 'typed');
    await page.waitForFunction(() => document.getElementById('count')?.textContent === '1', undefined, { polling: 20 });
    const after = await page.evaluate(() => {
      const input = document.activeElement as HTMLInputElement & { mark?: number };
      return {
        focused: input.id,
        same: input.mark === 1,
        value: input.value,
        caret: [input.selectionStart, input.selectionEnd],
        scrollTop: (document.getElementById('scroller') as HTMLElement).scrollTop,
        hint: document.getElementById('hint')?.textContent,
      };
    });
    assert.deepEqual(after, {
      focused: 'q',
      same: true,
      value: 'hello',
      caret: [2, 2],
      scrollTop: 100,
      hint: 'typed 1',
    });
    // Typing goes on where the caret was.
    await page.keyboard.type('X');
    assert.equal(await page.inputValue('#q'), 'heXllo');
    await page.close();
  });

  it('never touches a pw-ignore element: not morphed, not removed, not written into', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/ignore`);
    await opened(page);
    await page.evaluate(() => {
      const widget = document.getElementById('widget') as HTMLElement & { mark?: number };
      widget.textContent = 'client made';
      widget.mark = 1;
    });
    const widget = () =>
      page.evaluate(() => {
        const element = document.getElementById('widget') as (HTMLElement & { mark?: number }) | null;
        return element && { text: element.textContent, same: element.mark === 1 };
      });
    for (const [event, count] of [
      ['with', '1'],
      ['without', '2'],
      ['inside', '3'],
    ] as const) {
      await send(page, event);
      await page.waitForFunction((n) => document.getElementById('t')?.textContent === n, count, { polling: 20 });
      assert.deepEqual(await widget(), { text: 'client made', same: true }, event);
    }
    await page.close();
  });

  it('replays a pw:dom push made while the socket was down, exactly once', async () => {
    const page = await browser.newPage();
    await page.goto(`${proxy.url}/replay`);
    await opened(page);
    const items = () => page.locator('#log li').allTextContents();
    server.wire.publish('go', 'one');
    await page.waitForFunction(() => document.querySelectorAll('#log li').length === 1, undefined, { polling: 20 });
    proxy.block(true);
    proxy.cut('server');
    await page.waitForFunction(() => document.body.dataset.open === '0', undefined, { polling: 20 });
    server.wire.publish('go', 'two');
    await waitFor(() => server.log.lines.some((line) => line.endsWith('appended two')), 'the update while down');
    assert.deepEqual(await items(), ['one']);
    proxy.block(false);
    await opened(page);
    server.wire.publish('go', 'three');
    await page.waitForFunction(() => document.querySelectorAll('#log li').length >= 3, undefined, { polling: 20 });
    assert.deepEqual(await items(), ['one', 'two', 'three']);
    await page.close();
  });

  it('page.view: changing a variable in a handler is all it takes; the field typed in is kept', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/view`);
    await opened(page);
    await page.click('#inside');
    await page.keyboard.press('End');
    await page.keyboard.type('abc');
    await send(page, 'inc');
    await page.waitForFunction(() => document.getElementById('n')?.textContent === '1', undefined, { polling: 20 });
    const state = await page.evaluate(() => ({
      focused: document.activeElement?.id,
      value: (document.getElementById('inside') as HTMLInputElement).value,
      wrapped: document.querySelector('pw-view > #n') !== null,
    }));
    assert.deepEqual(state, { focused: 'inside', value: 'v0abc', wrapped: true });
    await page.close();
  });

  it('navigates to a URL of the site', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/nav`);
    await opened(page);
    await send(page, 'go');
    await page.waitForURL(`${server.url}/landing?from=nav`);
    assert.equal(await textOf(page, '#landed'), 'landed');
    await page.close();
  });
});

/**
 * A view's updates sent as edits, in a real browser (Chromium) from a real server: the field
 * typed in inside the view keeps its focus and caret across edited updates, and edits made while
 * the socket is down are replayed once, in order, onto the right base. The sandbox's side and the
 * edits themselves: view-diff.test.ts.
 */
import assert from 'node:assert/strict';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { socketLog } from './helpers/browser.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';

const TODO = `const done = new Set<number>();
const view = page.view(() => html\`<input id="q" value="search"><ul>\${[...Array(200).keys()].map(
  (i) => html\`<li class="\${done.has(i) ? 'done' : ''}">item \${i}</li>\`)}</ul>\`);
echo(html\`<!doctype html><body>\${view}\`, \`<script>
const s = document.serverSocket;
s.addEventListener('open', () => { document.body.dataset.open = '1'; });
s.addEventListener('close', () => { document.body.dataset.open = '0'; });
</script></body>\`);
page.channel('toggle').subscribe((i) => {
  done.add(i);
  console.log('toggled ' + i);
});
function __serverSocketEvent(name: string, data: { i: number }) { done.add(data.i); }`;

const folder = scriptsFolder({ 'todo.ts': TODO });

const opened = (page: Page) =>
  page.waitForFunction(() => document.body.dataset.open === '1', undefined, { polling: 20 });
const doneItems = (page: Page) => page.locator('li.done').allTextContents();
const waitForDone = (page: Page, n: number) =>
  page.waitForFunction((count) => document.querySelectorAll('li.done').length === count, n, { polling: 20 });
/** The view ops of the `pw:dom` pushes received: 'whole' or 'edits'. */
const viewOps = (frames: Array<Record<string, unknown>>) =>
  frames
    .filter((frame) => frame.t === 'push' && frame.n === 'pw:dom')
    .flatMap((frame) => frame.d as Array<Record<string, unknown>>)
    .map((op) => (op.op !== 'view' ? op.op : 'html' in op ? 'whole' : 'edits'));

describe('page.view() edits, in a real browser (Chromium)', { timeout: 180_000 }, () => {
  const served = servedInBrowser(folder, { proxied: true, server: { dev: true } });

  it('keeps the focused field, its value and caret, across edited updates', async () => {
    const page = await served.browser.newPage();
    const frames = socketLog(page);
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await page.goto(`${served.server.url}/todo`);
    await opened(page);
    await page.click('#q');
    await page.keyboard.press('End');
    await page.keyboard.type('ing');
    await page.keyboard.press('ArrowLeft');
    for (const [n, i] of [5, 150, 7].entries()) {
      await page.evaluate((item) => document.serverSocket?.send('toggle', { i: item }), i);
      await waitForDone(page, n + 1);
    }
    assert.deepEqual(await doneItems(page), ['item 5', 'item 7', 'item 150']);
    assert.deepEqual(viewOps(frames.frames), ['whole', 'edits', 'edits']);
    const field = await page.evaluate(() => {
      const input = document.getElementById('q') as HTMLInputElement;
      return { focused: document.activeElement === input, value: input.value, caret: input.selectionStart };
    });
    assert.deepEqual(field, { focused: true, value: 'searching', caret: 8 });
    await page.keyboard.type('X');
    assert.equal(await page.inputValue('#q'), 'searchinXg');
    assert.deepEqual(warnings, []);
    await page.close();
  });

  it('applies edits made while the socket was down, once and in order, onto the right base', async () => {
    const page = await served.browser.newPage();
    const frames = socketLog(page);
    await page.goto(`${served.proxy.url}/todo`);
    await opened(page);
    served.server.wire.publish('toggle', 1);
    await waitForDone(page, 1);
    served.proxy.block(true);
    served.proxy.cut('server');
    await page.waitForFunction(() => document.body.dataset.open === '0', undefined, { polling: 20 });
    for (const i of [199, 2, 100]) {
      served.server.wire.publish('toggle', i);
      await waitFor(
        () => served.server.log.lines.some((line) => line.endsWith(`toggled ${i}`)),
        `toggle ${i} while down`,
      );
    }
    assert.deepEqual(await doneItems(page), ['item 1']);
    served.proxy.block(false);
    await opened(page);
    served.server.wire.publish('toggle', 3);
    await waitForDone(page, 5);
    assert.deepEqual(await doneItems(page), ['item 1', 'item 2', 'item 3', 'item 100', 'item 199']);
    assert.deepEqual(viewOps(frames.frames), ['whole', 'edits', 'edits', 'edits', 'edits']);
    // Every item still there, in order: no edit landed on another base.
    const items = await page.locator('li').allTextContents();
    assert.deepEqual(
      items,
      Array.from({ length: 200 }, (_, i) => `item ${i}`),
    );
    await page.close();
  });
});

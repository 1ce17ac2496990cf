import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyViewEdits } from '../protocol/view-edits.js';
import type { DomOp } from '../protocol/wire.js';
import { socketLog } from './helpers/browser.js';
import { samplesInBrowser } from './helpers/samples-browser.js';

describe('sample search.ts in Chromium: search as you type on a slow source', { timeout: 180_000 }, () => {
  const samples = samplesInBrowser();

  it("typing fast shows only the last query's results, and the server ran the first and the last only", async () => {
    const context = await samples.browser.newContext();
    const page = await context.newPage();
    const sockets = socketLog(page);
    // Each query takes 5 s here: far longer than typing four keys takes, even on a loaded machine.
    await page.goto(`${samples.server.url}/search?delay=5000`);
    await page.waitForFunction(() => document.serverSocket?.closed === false, undefined, { polling: 20 });
    // The field has the focus when the page opens (autofocus): the person just types.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'q');
    await page.keyboard.type('kiwi');
    // The premise, checked: the server had all four events (it acknowledged the fourth, alone or
    // with a push) by the time it sent the page its first push, the first query's results.
    await page.waitForFunction(() => document.getElementById('status')?.dataset.query === 'kiwi', undefined, {
      polling: 20,
    });
    const fourthAcked = sockets.frames.findIndex((f) => typeof f.a === 'number' && f.t !== 'joined' && f.a >= 4);
    const firstPush = sockets.frames.findIndex((f) => f.t === 'push');
    assert.ok(fourthAcked >= 0 && fourthAcked <= firstPush, JSON.stringify(sockets.frames));

    const status = await page.$eval('#status', (p) => ({
      queries: (p as HTMLElement).dataset.queries,
      text: p.textContent,
    }));
    assert.equal(status.queries, '2');
    assert.equal(status.text, '1 result(s) for kiwi. Queries run for this page: k, kiwi.');
    assert.deepEqual(await page.locator('#results li').allTextContents(), ['Kiwi']);
    // What the person typed is all still there, and the field still focused.
    assert.equal(await page.inputValue('#q'), 'kiwi');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'q');
    // No other query's results were ever shown: every view the server sent (whole, or edits of
    // the one before) was k's or kiwi's.
    let view = '';
    const shownQueries = sockets.frames
      .filter((f) => f.t === 'push' && f.n === 'pw:dom')
      .flatMap((f) => f.d as DomOp[])
      .map((op) => {
        assert.equal(op.op, 'view');
        if (op.op !== 'view') return undefined;
        view = 'html' in op ? op.html : (applyViewEdits(view, op.edits) ?? '');
        return /data-query="([^"]*)"/.exec(view)?.[1];
      });
    assert.deepEqual(shownQueries, ['k', 'kiwi']);
    await context.close();
  });

  it('emptying the field clears the results and runs no query for it', async () => {
    const page = await samples.open('/search?delay=0');
    await page.keyboard.type('an');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.query === 'an', undefined, {
      polling: 20,
    });
    assert.ok((await page.locator('#results li').count()) > 3);
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.query === '', undefined, {
      polling: 20,
    });
    assert.equal(await page.locator('#results li').count(), 0);
    assert.match(
      (await page.textContent('#status')) ?? '',
      /^Type to search\. Queries run for this page: (a, )?an(, a)?\.$/,
    );
    await page.context().close();
  });
});

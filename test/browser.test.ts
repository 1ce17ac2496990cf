import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { waitFor } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

const samples = path.join(import.meta.dirname, '..', 'sample-scripts');

describe('in a real browser (Chromium), the samples', { timeout: 60_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startServer({ dir: samples });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('index lists the samples and stays a plain page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    assert.deepEqual(await page.locator('li a').allTextContents(), ['hello.ts', 'counter.ts', 'clock.ts']);
    assert.equal(await page.evaluate(() => 'serverSocket' in document), false);
    await context.close();
  });

  it('hello: a click brings the alert "You clicked the button"', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/hello`);
    const alerts: string[] = [];
    // An open alert blocks the page: dismiss it as soon as it shows, keep its text.
    page.on('dialog', (dialog) => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
    await page.click('#test');
    await waitFor(() => alerts.length > 0, 'the alert');
    assert.deepEqual(alerts, ['You clicked the button']);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('counter: two tabs count independently, without a reload', async () => {
    const context = await browser.newContext();
    const [a, b] = [await context.newPage(), await context.newPage()];
    await a.goto(`${server.url}/counter`);
    await b.goto(`${server.url}/counter`);
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

  it('clock: ticks, and its timer stops on the server when the tab closes', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/clock`);
    await page.waitForFunction(() => Number(document.getElementById('ticks')?.textContent) >= 2, undefined, { timeout: 5000 });
    const pageId = await page.evaluate(() => document.serverSocket?.pageId ?? '');
    const closedLine = (line: string) => line.includes(`clock.ts [page ${pageId.slice(0, 6)}]: clock stopped after`);
    assert.equal(server.log.lines.some(closedLine), false);
    // The tab closes as a person closes it: pagehide runs, and the page ends at once (no grace period).
    await page.close({ runBeforeUnload: true });
    await waitFor(() => server.log.lines.some(closedLine), 'the clock page to close on the server', 3000);
    const stoppedAt = Number(/after (\d+) ticks/.exec(server.log.lines.find(closedLine) ?? '')?.[1]);
    assert.ok(stoppedAt >= 2);
    await context.close();
  });
});

// pagewire/testing against Chromium: the same script, the same actions, the same DOM. A page in a
// test is a page in a browser, or its tests prove nothing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { open, type TestPage } from '../testing/index.js';
import { launchBrowser, socketLog } from './helpers/browser.js';
import { sampleScripts, waitFor } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * What must differ between two renders of one page, made the same: the client's tag's attributes
 * (the page's random id, the node of the server that rendered it) and the views' ids (from the
 * page id). And one thing happy-dom does otherwise: `classList.remove` on an element with no class
 * leaves `class=""` (the client's `pw-disconnected` removed from `<html>` when the socket opens),
 * where the DOM standard, and Chromium, leave no attribute; and whitespace-only text between two
 * tags, which happy-dom's parser puts in `<body>` where a browser's puts it in `<head>` (the
 * newlines around a layout's `<html>` and `<head>` when the client's tag opened the head first).
 * Nothing the client adds while an event is in flight (`aria-busy`, `pw-loading`, a disabled
 * button) is removed: both must have cleared it.
 */
function normalized(html: string): string {
  return html
    .replace(/<script src="[^"]*\/__pagewire\/client\.js[^>]*><\/script>/, '<script CLIENT></script>')
    .replace(/pwv-[\w-]{8}-(\d+)/g, 'pwv-ID-$1')
    .replace(/^(<!DOCTYPE html><html[^>]*?) class=""/, '$1')
    .replace(/>\s+</g, '><');
}

/** One action, done alike by a person in Chromium and by a test through pagewire/testing. */
type Action = { click: string } | { fill: string; value: string } | { submit: string; fields: Record<string, string> };

async function inTest(page: TestPage, action: Action): Promise<void> {
  if ('click' in action) return page.click(action.click);
  if ('fill' in action) return page.input(action.fill, action.value);
  return page.submit(action.submit, action.fields);
}

/** The action in Chromium, then the `done` of what it raised: the client has applied its updates. */
async function inBrowser(page: Page, log: ReturnType<typeof socketLog>, action: Action): Promise<void> {
  const dones = log.frames.filter((frame) => frame.t === 'done').length;
  if ('click' in action) await page.click(action.click);
  else if ('fill' in action) await page.fill(action.fill, action.value);
  else {
    for (const [name, value] of Object.entries(action.fields))
      await page.fill(`${action.submit} [name="${name}"]`, value);
    await page.click(`${action.submit} button`);
  }
  await waitFor(() => log.frames.filter((frame) => frame.t === 'done').length > dones, 'the done of the event');
  // The frame is seen as it arrives: the page's task that handles it may still be queued.
  await page.waitForFunction(() => document.querySelector('[aria-busy]') === null);
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

/** Both DOMs after each action, normalized: they must be the same at every step. */
async function compare(
  browser: Browser,
  server: TestServer,
  dir: string,
  url: string,
  actions: Action[],
  shows: (page: TestPage) => void,
) {
  const tab = await browser.newPage();
  const log = socketLog(tab);
  const page = await open(dir, url);
  try {
    await tab.goto(`${server.url}${url}`);
    await waitFor(() => log.frames.some((frame) => frame.t === 'joined'), 'the page to join');
    const html = () => tab.evaluate(() => `<!DOCTYPE html>${document.documentElement.outerHTML}`);
    assert.equal(normalized(page.html), normalized(await html()), 'as rendered');
    for (const action of actions) {
      await inTest(page, action);
      await inBrowser(tab, log, action);
      assert.equal(normalized(page.html), normalized(await html()), `after ${JSON.stringify(action)}`);
    }
    // The same, and not the same for want of anything happening.
    shows(page);
  } finally {
    await page.close();
    await tab.close();
  }
}

describe('pagewire/testing gives the DOM Chromium has', { timeout: 180_000 }, () => {
  // The samples, and a form with every kind of field beside them.
  const samples = sampleScripts();
  writeFileSync(
    path.join(samples.dir, 'every-field.ts'),
    `let got: unknown = null;
echo(html\`<!doctype html><form id="f" pw-submit="save" pw-value-extra="x">
  <input name="title" value="Milk"><input name="tags" value="a"><input name="tags" value="b">
  <input type="checkbox" name="urgent" checked><input type="checkbox" name="done">
  <input type="checkbox" name="fruit" value="apple" checked><input type="checkbox" name="fruit" value="pear">
  <input type="radio" name="size" value="s"><input type="radio" name="size" value="m" checked>
  <select name="shop"><option>corner</option><option selected>market</option></select>
  <select name="days" multiple><option selected>mon</option><option>tue</option><option selected>wed</option></select>
  <textarea name="memo">two
lines</textarea>
  <input type="file" name="photo"><input name="off" value="no" disabled><input value="unnamed">
  <button name="action" value="store">Save</button>
</form>\${page.view(() => html\`<pre id="got">\${JSON.stringify(got)}</pre>\`)}\`);
function __serverSocketEvent(name: string, data: unknown) { got = { name, data }; }`,
  );
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startServer({ dir: samples.dir });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    samples.remove();
  });

  it("a form's fields reach the script as Chromium's client serializes them", async () => {
    await compare(
      browser,
      server,
      samples.dir,
      '/every-field',
      [{ submit: '#f', fields: { title: 'Bread' } }],
      (page) =>
        assert.deepEqual(JSON.parse(page.$('#got')?.textContent ?? ''), {
          name: 'save',
          data: {
            ...{ title: 'Bread', tags: ['a', 'b'], urgent: true, done: false, fruit: ['apple'], size: 'm' },
            ...{ shop: 'market', days: ['mon', 'wed'], memo: 'two\nlines', action: 'store', extra: 'x' },
          },
        }),
    );
  });

  it('the todo sample: add, toggle, remove', async () => {
    await compare(
      browser,
      server,
      samples.dir,
      '/todo',
      [
        { submit: '#add', fields: { text: 'Milk' } },
        { submit: '#add', fields: { text: 'Bread' } },
        { click: '#done-1' },
        { click: '#todo-2 button' },
      ],
      (page) => assert.equal(page.$('#count')?.textContent, '0 of 1 left'),
    );
  });

  it('the signup sample: typed in field by field, errors shown, then submitted', async () => {
    await compare(
      browser,
      server,
      samples.dir,
      '/signup',
      [
        { fill: '#name', value: 'A' },
        { fill: '#name', value: 'Ada' },
        { fill: '#email', value: 'ada@examplecom' },
        { fill: '#password', value: 'secret-word' },
        { fill: '#confirm', value: 'secret' },
        { submit: '#signup', fields: { email: 'ada@example.com', confirm: 'secret-word' } },
      ],
      (page) => assert.equal(page.$('#welcome')?.textContent, 'Welcome, Ada!'),
    );
  });

  it('the counter sample, after clicks', async () => {
    const clicks = [{ click: '#increment' }, { click: '#increment' }, { click: '#decrement' }];
    await compare(browser, server, samples.dir, '/counter?start=2', clicks, (page) =>
      assert.equal(page.$('#count')?.textContent, '3'),
    );
  });
});

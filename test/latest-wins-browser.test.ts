import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { socketLog } from './helpers/browser.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { servedInBrowser } from './helpers/proxied-browser.js';

/**
 * A slow search: each query takes 1.5 s (a timer in the script), and also waits for the test's
 * go-ahead in the shared store, so that every keystroke has reached the server before the first
 * query ends however loaded the machine is. The script counts the queries it ran itself.
 */
const SEARCH = `const FRUITS = ['kale', 'kiwi', 'kiwano', 'kumquat', 'fig', 'lime'];
let queries = 0;
async function __serverSocketEvent(name: string, data: { value: string }) {
  queries++;
  console.log('query ' + data.value);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  while (!(await shared.get('go'))) await new Promise((resolve) => setTimeout(resolve, 20));
  server_socket_event('results', { q: data.value, queries, items: FRUITS.filter((f) => f.startsWith(data.value)) });
}
echo('<!doctype html><input id="q" name="q" pw-input="search"><ul id="results"></ul><script>' +
  'document.serverSocket.addEventListener("results", (e) => { document.body.dataset.q = e.data.q;' +
  'document.body.dataset.queries = e.data.queries;' +
  'document.getElementById("results").replaceChildren(...e.data.items.map((item) => {' +
  'const li = document.createElement("li"); li.textContent = item; return li; })); });</script>');`;

describe('latest wins: pw-input of one field, in Chromium', { timeout: 180_000 }, () => {
  const folder = scriptsFolder({ 'search.ts': SEARCH });
  const served = servedInBrowser(folder, { proxied: true });

  const queries = () =>
    served.server.log.lines.filter((line) => line.includes(': query ')).map((l) => l.split(' ').at(-1));
  const results = (page: Page) => page.$$eval('#results li', (items) => items.map((li) => li.textContent));
  const shown = (page: Page, q: string) =>
    page.waitForFunction((v) => document.body.dataset.q === v, q, { polling: 20 });

  it('typing "kiwi" fast into a slow search runs the first prefix and kiwi only, and shows kiwi', async () => {
    await served.server.wire.shared.delete('go');
    const page = await served.browser.newPage();
    const sockets = socketLog(page);
    await page.goto(`${served.server.url}/search`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    await page.type('#q', 'kiwi');
    // The server has every keystroke (it acknowledged the fourth event) before any query ends.
    await waitFor(
      () => sockets.frames.some((frame) => typeof frame.a === 'number' && frame.t !== 'joined' && frame.a >= 4),
      'the fourth event to be acknowledged',
    );
    await served.server.wire.shared.set('go', true);
    await shown(page, 'kiwi');
    assert.deepEqual(queries(), ['k', 'kiwi']);
    assert.equal(await page.evaluate(() => document.body.dataset.queries), '2', 'counted by the script');
    assert.deepEqual(await results(page), ['kiwi']);
    // Every event is over: the field is no longer busy.
    await page.waitForFunction(() => !document.getElementById('q')?.hasAttribute('aria-busy'), undefined, {
      polling: 20,
    });
    await page.close();
  });

  it('typed while the socket is down, a field sends only its last value', async () => {
    await served.server.wire.shared.set('go', true);
    const before = queries().length;
    const page = await served.browser.newPage();
    await page.goto(`${served.proxy.url}/search`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    served.proxy.refuseSockets(true);
    try {
      served.proxy.cut('server');
      await page.waitForFunction(() => document.documentElement.classList.contains('pw-disconnected'), undefined, {
        polling: 20,
      });
      await page.type('#q', 'fig');
    } finally {
      served.proxy.refuseSockets(false);
    }
    await shown(page, 'fig');
    assert.deepEqual(queries().slice(before), ['fig']);
    assert.deepEqual(await results(page), ['fig']);
    await page.close();
  });
});

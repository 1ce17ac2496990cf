// A worker thread killed from outside (as a crash would), in a real Chromium: the tab whose page
// lived in it says why and reloads onto a live worker; the tab in the other worker never notices.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { killOneWorker } from './helpers/kill-worker.js';
import { startServer } from './helpers/server.js';

/** The sample counter, and which worker's sandbox holds it (a partial's module runs once per sandbox). */
const COUNTER_IN_A_WORKER = {
  '_sandbox.ts': 'export const sandbox = crypto.randomUUID();',
  'counter.ts': `import { sandbox } from './_sandbox.ts';
let count = 0;
echo(html\`<p id="sandbox">\${sandbox}</p><output id="count">0</output><button id="increment">+1</button>
<script>
  document.serverSocket.addEventListener('count', (event) => {
    document.getElementById('count').textContent = event.data;
  });
  document.getElementById('increment').onclick = () => document.serverSocket.send('add', 1);
</script>\`);
function __serverSocketEvent(name: string) {
  if (name === 'add') server_socket_event('count', ++count);
}`,
};

describe('a worker killed from outside, in a real browser (Chromium)', { timeout: 180_000 }, () => {
  it('the tab whose page lived in it reloads and works; the tab in the other worker keeps its state', async () => {
    const samples = scriptsFolder(COUNTER_IN_A_WORKER);
    const server = await startServer({ dir: samples.dir, workers: 2 });
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      const tabs = [await context.newPage(), await context.newPage()] as const;
      const navigations = [0, 0];
      const errors: string[][] = [[], []];
      // Two pages, one in each worker. Pages go to the worker with the fewest, but not to one
      // that does not answer yet (still starting, on a loaded machine): render again until so.
      const sandbox = async (tab: Page) => {
        await tab.goto(`${server.url}/counter`);
        return tab.textContent('#sandbox');
      };
      const first = await sandbox(tabs[0]);
      for (let tries = 1; (await sandbox(tabs[1])) === first; tries++) assert.ok(tries < 20, 'a page in each worker');
      for (const [i, tab] of tabs.entries()) {
        tab.on('framenavigated', () => {
          navigations[i] = (navigations[i] ?? 0) + 1;
        });
        tab.on('console', (message) => {
          // Pagewire's own lines: Chromium also logs the 404 of /favicon.ico, at any time.
          if (message.type() === 'error' && message.text().startsWith('[pagewire]')) errors[i]?.push(message.text());
        });
      }
      const count = (tab: Page, value: string) =>
        tab.waitForFunction((v) => document.getElementById('count')?.textContent === v, value, { polling: 20 });
      for (const tab of tabs) {
        await tab.bringToFront();
        await tab.click('#increment');
        await tab.click('#increment');
        await count(tab, '2');
      }
      const threadId = await killOneWorker(7);
      await waitFor(() => navigations.some((n) => n > 0), 'a tab to reload');
      const reloaded = navigations.findIndex((n) => n > 0);
      const kept = tabs[1 - reloaded] as Page;
      const fresh = tabs[reloaded] as Page;
      // The reloaded tab has a new instance, in a live worker.
      await fresh.bringToFront();
      await count(fresh, '0');
      await fresh.click('#increment');
      await count(fresh, '1');
      // The other tab never noticed.
      await kept.bringToFront();
      await kept.click('#increment');
      await count(kept, '3');
      assert.equal(navigations[1 - reloaded], 0);
      // The page said why before it reloaded; the other one had nothing to say.
      assert.deepEqual(errors[reloaded], [
        "[pagewire] this page's server instance stopped: its worker thread was ended (the server log says why)",
      ]);
      assert.deepEqual(errors[1 - reloaded], []);
      assert.ok(
        server.log.lines.some((line) =>
          line.includes('worker stopped and replaced: it exited (code 7); its pages (counter.ts) reload.'),
        ),
        `thread ${threadId}: ${server.log.lines.join('\n')}`,
      );
      await context.close();
    } finally {
      await browser.close();
      await server.close();
      samples.remove();
    }
  });
});

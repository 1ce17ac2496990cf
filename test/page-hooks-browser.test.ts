/**
 * `pw-hook` in a real browser (Chromium), from a real server: a hook's `mounted` runs once when
 * its element is in the page, `updated` after each server update that changed it, `destroyed`
 * once when an update took it away, and `this.send` reaches the script.
 */
import assert from 'node:assert/strict';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { scriptsFolder } from './helpers/fixtures.js';

const folder = scriptsFolder({
  'chart.ts': `let n = 0;
let shown = true;
const chart = () => html\`<div id="chart" pw-hook="chart"><b>\${n}</b></div>\`;
const view = page.view(() => (shown ? chart() : html\`<p>none</p>\`));
echo(html\`<!doctype html><body>\${view}<output id="got"></output>
<button id="more" pw-click="more">more</button><button id="drop" pw-click="drop">drop</button>
<script>
  window.hookLog = [];
  document.serverSocket.hooks.chart = {
    mounted(el) {
      hookLog.push('mounted ' + el.textContent);
      this.send('hooked', this.el.id);
    },
    updated(el) { hookLog.push('updated ' + el.textContent); },
    destroyed() { hookLog.push('destroyed'); },
  };
</script></body>\`);
function __serverSocketEvent(name: string, data: unknown) {
  if (name === 'more') n++;
  if (name === 'drop') shown = false;
  if (name === 'hooked') page.update('#got', String(data));
}`,
});

describe('pw-hook, in Chromium', { timeout: 120_000 }, () => {
  const served = servedInBrowser(folder);

  const hookLog = (page: Page) => page.evaluate(() => (window as unknown as { hookLog: string[] }).hookLog);
  const logged = (page: Page, count: number) =>
    page.waitForFunction((n) => (window as unknown as { hookLog: string[] }).hookLog.length >= n, count, {
      polling: 20,
    });

  it('mounts once, updates after each server change, destroys once; this.send reaches the script', async () => {
    const page = await (await served.browser.newContext()).newPage();
    await page.goto(`${served.server.url}/chart`);
    await page.waitForFunction(() => document.getElementById('got')?.textContent === 'chart', null, { polling: 20 });
    assert.deepEqual(await hookLog(page), ['mounted 0']);
    // The page's own change is not a server update: no `updated` for it.
    await page.evaluate(() => document.getElementById('chart')?.append(' drawn'));
    await page.click('#more');
    await logged(page, 2);
    assert.deepEqual(await hookLog(page), ['mounted 0', 'updated 1']);
    await page.click('#drop');
    await logged(page, 3);
    assert.deepEqual(await hookLog(page), ['mounted 0', 'updated 1', 'destroyed']);
    await page.context().close();
  });
});

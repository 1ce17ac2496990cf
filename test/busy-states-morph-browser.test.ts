import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { scriptsFolder } from './helpers/fixtures.js';
import { servedInBrowser } from './helpers/proxied-browser.js';

/**
 * Two events, each held on the server until the test lets it go (a key in the shared store): the
 * first one's view is morphed in while the second, queued behind it, is still in flight.
 */
const HELD = `let handled = 0;
const view = page.view(() => html\`<p id="handled">\${handled}</p><button id="a" pw-click="a">A</button>
<form id="f" pw-submit="b"><button id="save" pw-disable-with="Saving…">Save</button></form>\`);
echo(html\`<!doctype html>\${view}\`);
async function __serverSocketEvent(name: string) {
  while (!(await shared.get('go-' + name))) await new Promise((resolve) => setTimeout(resolve, 20));
  handled++;
}`;

/** The form's busy state as the person sees it. */
const formState = (page: Page) =>
  page.evaluate(() => {
    const form = document.getElementById('f');
    const button = document.getElementById('save') as HTMLButtonElement;
    return {
      busy: form?.getAttribute('aria-busy') ?? null,
      loading: form?.classList.contains('pw-loading') ?? false,
      text: button.textContent,
      disabled: button.disabled,
    };
  });

describe('busy states and a view morphed while their events are in flight, in Chromium', { timeout: 180_000 }, () => {
  const folder = scriptsFolder({ 'held.ts': HELD });
  const served = servedInBrowser(folder);

  it('a queued submit stays busy (its button disabled) when the event before it morphs the view', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/held`);
    await page.waitForFunction(() => document.serverSocket?.closed === false, undefined, { polling: 20 });
    await page.click('#a');
    await page.click('#save');
    const busy = { busy: 'true', loading: true, text: 'Saving…', disabled: true };
    assert.deepEqual(await formState(page), busy);
    await served.server.wire.shared.set('go-a', true);
    // A's view (handled: 1) is morphed in, and A's done has come: B is still held.
    await page.waitForFunction(
      () => document.getElementById('handled')?.textContent === '1' && !document.getElementById('a')?.ariaBusy,
      undefined,
      { polling: 20 },
    );
    assert.deepEqual(await formState(page), busy, 'still busy: a second submit cannot be made');
    await served.server.wire.shared.set('go-b', true);
    await page.waitForFunction(() => document.getElementById('handled')?.textContent === '2', undefined, {
      polling: 20,
    });
    await page.waitForFunction(() => !document.getElementById('f')?.hasAttribute('aria-busy'), undefined, {
      polling: 20,
    });
    assert.deepEqual(await formState(page), { busy: null, loading: false, text: 'Save', disabled: false });
    await page.close();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { servedInBrowser } from './helpers/proxied-browser.js';

/**
 * `save` waits until the test sets `go:<t>` in the shared store (it polls: the script's own
 * waiting, not the test's), then pushes `saved`. The page notes whether the form was still busy
 * when `saved` arrived: `done` must come after the handler's pushes.
 */
const SAVE = `async function __serverSocketEvent(name: string, data: { t: string }) {
  console.log('started ' + data.t);
  while (!(await shared.get('go:' + data.t))) await new Promise((resolve) => setTimeout(resolve, 20));
  server_socket_event('saved', data.t);
  console.log('finished ' + data.t);
}
echo('<!doctype html><form id="f" pw-submit="save"><input name="t">' +
  '<button id="save" pw-disable-with="Saving...">Save</button></form>' +
  '<script>window.saved = []; document.serverSocket.addEventListener("saved", (e) => saved.push(' +
  'e.data + ":" + document.getElementById("f").getAttribute("aria-busy")));</script>');`;

describe('busy states and a socket held down, in Chromium', { timeout: 180_000 }, () => {
  const folder = scriptsFolder({ 'save.ts': SAVE });
  const served = servedInBrowser(folder, { proxied: true });

  const logged = (text: string) => served.server.log.lines.filter((line) => line.endsWith(`: ${text}`)).length;
  const busy = (page: Page) =>
    page.evaluate(() => {
      const form = document.getElementById('f') as HTMLFormElement;
      const button = document.getElementById('save') as HTMLButtonElement;
      const loading = form.classList.contains('pw-loading');
      return [form.getAttribute('aria-busy'), loading, button.disabled, button.textContent];
    });
  const notBusy = (page: Page) =>
    page.waitForFunction(() => !document.getElementById('f')?.hasAttribute('aria-busy'), undefined, { polling: 20 });
  const submit = async (page: Page, t: string) => {
    await page.fill('input[name=t]', t);
    await page.click('#save');
  };
  const open = (page: Page) =>
    page.waitForFunction(() => !document.documentElement.classList.contains('pw-disconnected'), undefined, {
      polling: 20,
    });

  it('marks the form busy and disables its button until the server handled the event', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/save`);
    await submit(page, 'one');
    await waitFor(() => logged('started one') === 1, 'the handler to start');
    assert.deepEqual(await busy(page), ['true', true, true, 'Saving...']);
    await served.server.wire.shared.set('go:one', true);
    await notBusy(page);
    assert.deepEqual(await busy(page), [null, false, false, 'Save']);
    // The push came first, while the form was still busy.
    assert.deepEqual(await page.evaluate(() => (window as unknown as { saved: string[] }).saved), ['one:true']);
    await page.close();
  });

  it('keeps a form submitted while the socket is down, delivers it once when it is back', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.proxy.url}/save`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    await open(page);
    served.proxy.refuseSockets(true);
    try {
      served.proxy.cut('server');
      await page.waitForFunction(() => document.documentElement.classList.contains('pw-disconnected'), undefined, {
        polling: 20,
      });
      await submit(page, 'two');
      assert.deepEqual(await busy(page), ['true', true, true, 'Saving...']);
    } finally {
      served.proxy.refuseSockets(false);
    }
    await open(page);
    await waitFor(() => logged('started two') === 1, 'the event, once back');
    assert.deepEqual(await busy(page), ['true', true, true, 'Saving...'], 'still busy: not handled yet');
    await served.server.wire.shared.set('go:two', true);
    await notBusy(page);
    assert.equal(logged('started two'), 1, 'delivered once');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { saved: string[] }).saved), ['two:true']);
    await page.close();
  });

  it("clears the busy state when an event handled while the socket was down is over (its 'done' kept)", async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.proxy.url}/save`);
    await submit(page, 'three');
    await waitFor(() => logged('started three') === 1, 'the handler to start');
    served.proxy.refuseSockets(true);
    try {
      served.proxy.cut('server');
      await page.waitForFunction(() => document.documentElement.classList.contains('pw-disconnected'), undefined, {
        polling: 20,
      });
      await served.server.wire.shared.set('go:three', true);
      await waitFor(() => logged('finished three') === 1, 'the handler to finish while the page is away');
      assert.deepEqual(await busy(page), ['true', true, true, 'Saving...']);
    } finally {
      served.proxy.refuseSockets(false);
    }
    await notBusy(page);
    assert.deepEqual(await busy(page), [null, false, false, 'Save']);
    await page.close();
  });
});

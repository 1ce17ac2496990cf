import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { socketLog } from './helpers/browser.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';

/**
 * Fields that share a holder, a name or a long name, in Chromium: latest wins must replace only an
 * older event of the same field, never another field's. `block` holds the page's mailbox until
 * the test sets its gate in the shared store, so that the events after it wait there, where a
 * coalescing key replaces an older one; every event is pushed back as `got`.
 */
const SCRIPT = `async function __serverSocketEvent(name: string, data: { gate?: string }) {
  if (name === 'block') while (!(await shared.get(String(data.gate)))) await new Promise((r) => setTimeout(r, 20));
  server_socket_event('got', { name, data });
}
echo('<!doctype html><script>window.got = []; window.errors = [];' +
  'document.serverSocket.addEventListener("got", (e) => got.push(e.data));' +
  'document.serverSocket.addEventListener("error", (e) => errors.push(e.data.code));</script>' + \`
<button id="block1" pw-click="block" pw-value-gate="gate1">1</button>
<button id="block2" pw-click="block" pw-value-gate="gate2">2</button>
<button id="block3" pw-click="block" pw-value-gate="gate3">3</button>
<div id="signup" pw-input="check"><input id="email" name="email"><input id="nick" name="nick"></div>
<input type="checkbox" name="tags" value="a" pw-change="toggle">
<input type="checkbox" name="tags" value="b" pw-change="toggle">
<input name="\${'n'.repeat(250)}" pw-input="long">
<input name="qty" pw-input="qty" pw-value-row="1"><input name="qty" pw-input="qty" pw-value-row="2">
<button id="block4" pw-click="block" pw-value-gate="gate4">4</button>
<form action="/elsewhere"><input type="submit" id="in-form" pw-click="in-form"></form>
<div pw-input="typed" pw-debounce="5000"><input id="first" name="first"><input id="second" name="second"></div>
<form pw-submit="save"><fieldset disabled><input name="locked" value="x"></fieldset><input name="open" value="y">
  <input type="submit" id="publish" name="action" value="publish"></form>\`);`;

describe('declarative events of fields that share a holder or a name, in Chromium', { timeout: 180_000 }, () => {
  const served = servedInBrowser(scriptsFolder({ 'fields.ts': SCRIPT }));

  type Got = { name: string; data: Record<string, unknown> };
  const got = (page: Page) => page.evaluate(() => (window as unknown as { got: Got[] }).got);
  const waitForGot = (page: Page, count: number) =>
    page.waitForFunction((n) => (window as unknown as { got: unknown[] }).got.length >= n, count, { polling: 20 });

  /** Opens the page, holds its mailbox with `block<n>`, does `act`, and lets the mailbox go once all arrived. */
  async function whileHeld(n: number, events: number, act: (page: Page) => Promise<void>): Promise<Page> {
    const page = await served.browser.newPage();
    const sockets = socketLog(page);
    await page.goto(`${served.server.url}/fields`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    await page.click(`#block${n}`);
    await act(page);
    await waitFor(
      () => sockets.frames.some((f) => typeof f.a === 'number' && f.t !== 'joined' && f.a >= events),
      `event ${events} to be acknowledged`,
    );
    await served.server.wire.shared.set(`gate${n}`, true);
    return page;
  }

  it("pw-input on a holder of fields: typing in one field does not replace the other field's event", async () => {
    const page = await whileHeld(1, 3, async (p) => {
      await p.type('#email', 'a');
      await p.type('#nick', 'b');
    });
    await waitForGot(page, 2);
    await page.waitForFunction(() => (window as unknown as { got: Got[] }).got.some((g) => g.data.name === 'nick'));
    assert.deepEqual((await got(page)).slice(1), [
      { name: 'check', data: { value: 'a', name: 'email' } },
      { name: 'check', data: { value: 'b', name: 'nick' } },
    ]);
    await page.close();
  });

  it('pw-change on a group of checkboxes: each box toggled reaches the server', async () => {
    const page = await whileHeld(2, 3, async (p) => {
      await p.click('input[value=a]');
      await p.click('input[value=b]');
    });
    await page.waitForFunction(() => (window as unknown as { got: Got[] }).got.some((g) => g.data.value === 'b'));
    assert.deepEqual((await got(page)).slice(1), [
      { name: 'toggle', data: { value: 'a', name: 'tags' } },
      { name: 'toggle', data: { value: 'b', name: 'tags' } },
    ]);
    await page.close();
  });

  it('a field whose name is too long for a coalescing key still sends each event, in order', async () => {
    const page = await whileHeld(3, 3, async (p) => {
      await p.type(`[name=${'n'.repeat(250)}]`, 'xy');
    });
    await page.waitForFunction(() => (window as unknown as { got: Got[] }).got.some((g) => g.data.value === 'xy'));
    assert.deepEqual(
      (await got(page)).slice(1).map((g) => [g.name, g.data.value]),
      [
        ['long', 'x'],
        ['long', 'xy'],
      ],
    );
    assert.deepEqual(await page.evaluate(() => (window as unknown as { errors: string[] }).errors), []);
    await page.close();
  });

  it("pw-input on fields of one name, a row each: each row's value reaches the server", async () => {
    const page = await whileHeld(4, 3, async (p) => {
      await p.type('[pw-value-row="1"]', 'a');
      await p.type('[pw-value-row="2"]', 'b');
    });
    await page.waitForFunction(() => (window as unknown as { got: Got[] }).got.some((g) => g.data.row === '2'));
    assert.deepEqual((await got(page)).slice(1), [
      { name: 'qty', data: { value: 'a', name: 'qty', row: '1' } },
      { name: 'qty', data: { value: 'b', name: 'qty', row: '2' } },
    ]);
    await page.close();
  });

  it('pw-click on an <input type=submit> of a plain form does not submit it', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/fields`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    const address = page.url();
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.click('#in-form');
    await page.click('#publish');
    await waitForGot(page, 2);
    assert.deepEqual(
      (await got(page)).map((g) => g.name),
      ['in-form', 'save'],
    );
    assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 1, 'no navigation');
    assert.equal(page.url(), address);
    await page.close();
  });

  it('pw-debounce on a holder of fields: each field keeps its own latest value', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/fields`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    await page.type('#first', 'x');
    await page.type('#second', 'y');
    await page.waitForFunction(() => (window as unknown as { got: Got[] }).got.some((g) => g.data.name === 'second'));
    assert.deepEqual(await got(page), [
      { name: 'typed', data: { value: 'x', name: 'first' } },
      { name: 'typed', data: { value: 'y', name: 'second' } },
    ]);
    await page.close();
  });

  it('pw-submit leaves out the fields of a disabled fieldset, and names its <input type=submit>', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/fields`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    await page.click('#publish');
    await waitForGot(page, 1);
    assert.deepEqual(await got(page), [{ name: 'save', data: { open: 'y', action: 'publish' } }]);
    await page.close();
  });
});

/**
 * Components rendered on the server (`include()`), in Chromium: the dashboard sample's three
 * widgets keep their own state and their events reach only themselves; removing one runs its
 * close hook on the server while the others keep going; components include components; all of
 * it across a forced socket drop, on one WebSocket.
 */
import assert from 'node:assert/strict';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { socketLog } from './helpers/browser.js';
import { scriptsFolder } from './helpers/fixtures.js';

const samples = path.join(import.meta.dirname, '..', 'sample-scripts');
const sample = (file: string) => readFileSync(path.join(samples, file), 'utf8');

const folder = scriptsFolder({
  '_layout.ts': sample('_layout.ts'),
  'dashboard.ts': sample('dashboard.ts'),
  'widgets/clock.ts': sample('widgets/clock.ts'),
  'widgets/counter.ts': sample('widgets/counter.ts'),
  'widgets/rooms.ts': sample('widgets/rooms.ts'),
  // A page that hears its components' close hooks, and whose own button is its own.
  'board.ts': `let hits = 0;
page.channel('closed').subscribe((id) => page.append('#closed', html\`<i>\${String(id)}</i>\`));
const a = await include('/tally', { id: 'a' });
const b = await include('/tally', { id: 'b' });
echo(html\`<!doctype html><body><button id="hit" pw-click="hit">host</button><output id="hits">0</output>
<div id="a">\${a}</div><div id="b">\${b}</div><p id="closed"></p></body>\`);
function __serverSocketEvent(name: string) {
  if (name === 'hit') page.update('#hits', String(++hits));
}`,
  'tally.ts': `const id = String((request.props as { id: string }).id);
let n = 0;
page.onClose(() => page.channel('closed').publish(id));
const inner = id === 'a' ? await include('/leaf') : '';
echo(page.view(() => html\`<span class="n">\${n}</span><button class="plus" pw-click="plus">+</button>\`), inner);
function __serverSocketEvent(name: string) {
  if (name === 'plus') n++;
}`,
  // A component inside the page's own view: the view's re-render keeps the component's live state.
  'viewed.ts': `let hits = 0;
const tally = await include('/tally', { id: 'v' });
echo(html\`<!doctype html><body>\${page.view(() => html\`<p id="hits">\${hits}</p><div id="v">\${tally}</div>\`)}
<button id="hit" pw-click="hit">host</button><button id="add" pw-click="more">more</button>
<div id="more"></div></body>\`);
async function __serverSocketEvent(name: string) {
  if (name === 'hit') hits++;
  if (name === 'more') page.append('#more', await include('/tally', { id: 'm' }));
}`,
  // A pw-hook inside a component: its this.send reaches the component, not the page.
  'hooked-host.ts': `const probe = await include('/hooked');
echo(html\`<!doctype html><body><p id="who">none</p>\${probe}
<script>document.serverSocket.hooks.probe = { mounted() { this.send('hooked'); } };</script></body>\`);
function __serverSocketEvent(name: string) {
  page.update('#who', 'the page');
}`,
  'hooked.ts': `echo(html\`<div pw-hook="probe">probe</div>\`);
function __serverSocketEvent(name: string) {
  if (name === 'hooked') page.update('#who', 'the component');
}`,
  'leaf.ts': `let n = 0;
echo(page.view(() => html\`<b class="leaf">\${n}</b><button class="leaf-plus" pw-click="plus">+</button>\`));
function __serverSocketEvent(name: string) {
  if (name === 'plus') n++;
}`,
});

describe('components (include), in Chromium', { timeout: 180_000 }, () => {
  const served = servedInBrowser(folder, { proxied: true });

  const until = (page: Page, selector: string, expected: string) =>
    page.waitForFunction(([s, e]) => document.querySelector(s as string)?.textContent === e, [selector, expected], {
      polling: 20,
    });
  const text = (page: Page, selector: string) => page.locator(selector).textContent();

  it('the dashboard: three widgets, each its own state; events reach only their own', async () => {
    const page = await (await served.browser.newContext()).newPage();
    const sockets = socketLog(page);
    await page.goto(`${served.server.url}/dashboard`);
    await until(page, '#counter .count', '10');
    await page.click('#counter .up');
    await page.click('#counter .up');
    await page.click('#counter .down');
    await until(page, '#counter .count', '11');
    await page.fill('#rooms input[name=room]', 'lobby');
    await page.click('#rooms button');
    await page.waitForSelector('#rooms li a[href="room/lobby"]');
    // The clock ticks on its own, through all of this.
    const ticks = Number(await text(page, '#clock .ticks'));
    await page.waitForFunction((t) => Number(document.querySelector('#clock .ticks')?.textContent) > t, ticks, {
      polling: 50,
    });
    assert.equal(await text(page, '#counter .count'), '11');
    assert.equal(sockets.opened(), 1, 'the page and its three components share one WebSocket');
    await page.context().close();
  });

  it('removing a component runs its close hook; the others and the page keep going', async () => {
    const page = await (await served.browser.newContext()).newPage();
    await page.goto(`${served.server.url}/board`);
    await page.click('#a .plus');
    await page.click('#b .plus');
    await page.click('#b .plus');
    await page.click('#a .leaf-plus');
    await until(page, '#a .n', '1');
    await until(page, '#b .n', '2');
    await until(page, '#a .leaf', '1');
    await page.click('#hit');
    await until(page, '#hits', '1');
    await page.evaluate(() => document.querySelector('#b pw-component')?.remove());
    await until(page, '#closed', 'b');
    await page.click('#a .plus');
    await until(page, '#a .n', '2');
    await page.click('#hit');
    await until(page, '#hits', '2');
    await page.context().close();
  });

  it("a component in the page's page.view keeps its state when the view renders again", async () => {
    const page = await (await served.browser.newContext()).newPage();
    await page.goto(`${served.server.url}/viewed`);
    await page.click('#v .plus');
    await page.click('#v .plus');
    await until(page, '#v .n', '2');
    await page.click('#hit');
    await until(page, '#hits', '1');
    assert.equal(await text(page, '#v .n'), '2');
    await page.click('#v .plus');
    await until(page, '#v .n', '3');
    // Included by a handler: the component arrives with the page's update, and is live.
    await page.click('#add');
    await page.click('#more .plus');
    await until(page, '#more .n', '1');
    assert.equal(await text(page, '#v .n'), '3');
    await page.context().close();
  });

  it("a pw-hook's this.send inside a component reaches the component", async () => {
    const page = await (await served.browser.newContext()).newPage();
    await page.goto(`${served.server.url}/hooked-host`);
    await until(page, '#who', 'the component');
    await page.context().close();
  });

  it('across a forced socket drop: each instance gets its events once, in order', async () => {
    const page = await (await served.browser.newContext()).newPage();
    await page.goto(`${served.proxy.url}/board`);
    await page.click('#a .plus');
    await until(page, '#a .n', '1');
    served.proxy.refuseSockets(true);
    try {
      served.proxy.cut('server');
      await page.waitForFunction(() => document.documentElement.classList.contains('pw-disconnected'), null, {
        polling: 20,
      });
      for (let i = 0; i < 3; i++) await page.click('#a .plus');
      for (let i = 0; i < 4; i++) await page.click('#b .plus');
      await page.click('#a .leaf-plus');
      await page.click('#hit');
    } finally {
      served.proxy.refuseSockets(false);
    }
    await until(page, '#a .n', '4');
    await until(page, '#b .n', '4');
    await until(page, '#a .leaf', '1');
    await until(page, '#hits', '1');
    await page.context().close();
  });
});

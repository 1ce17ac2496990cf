// In a real Chromium, through a real nginx running the config `pagewire proxy-config nginx`
// prints for three `pagewire serve --node nX` machines: a page whose node is killed with SIGKILL
// learns from nginx that its node is gone (410), and reloads onto another node; a page of another
// node never notices (no reload, its instance's state kept). Before that, a page's <pw-include>s:
// each fragment's request reaches the page's node (X-Pagewire-Node), and each fragment is live.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { CLUSTER_SCRIPTS } from './helpers/cluster-server.js';
import { scriptsFolder } from './helpers/fixtures.js';
import type { Nginx } from './helpers/nginx.js';
import { nginxInFront, type ProxiedNode, startNode, stopNode } from './helpers/proxied-nodes.js';

describe('a node killed behind nginx, in Chromium', { timeout: 240_000 }, () => {
  const folder = scriptsFolder({
    ...CLUSTER_SCRIPTS,
    // Six fragments of the widget: round-robin would spread their requests over the three nodes.
    'board.ts': `echo(html\`<p id="board">\${page.node}</p>\${[1, 2, 3, 4, 5, 6].map(
  (i) => html\`<pw-include id="w\${i}" src="/widget"></pw-include>\`,
)}\`);
function __serverSocketEvent() {}`,
    'widget.ts': `let n = 0;
echo(page.view(() => html\`<span class="node">\${page.node}</span><b class="n">\${n}</b>
<button pw-click="plus">+</button>\`));
function __serverSocketEvent(name: string) {
  if (name === 'plus') n++;
}`,
  });
  let nodes: ProxiedNode[];
  let nginx: Nginx;
  let browser: Browser;
  before(async () => {
    nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(folder.dir, id)));
    [nginx, browser] = await Promise.all([nginxInFront(nodes), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await nginx?.stop();
    await Promise.all((nodes ?? []).map(stopNode));
    folder.remove();
  });

  /** A tab of its own, its loads counted and the statuses nginx answered its node paths with. */
  async function open() {
    const context = await browser.newContext();
    const page = await context.newPage();
    let loads = 0;
    const statuses: number[] = [];
    page.on('load', () => loads++);
    page.on('response', (response) => {
      if (/\/__pagewire\/[^/]+\/pages/.test(response.url())) statuses.push(response.status());
    });
    await page.goto(`${nginx.url}/where`);
    return { page, node: (await page.textContent('#node')) ?? '', loads: () => loads, statuses };
  }

  const clicks = (page: Page, n: number) =>
    page.waitForFunction((count) => document.getElementById('clicks')?.textContent === String(count), n, {
      polling: 20,
    });

  it("loads each <pw-include> from the page's node through nginx, live", async () => {
    const page = await (await browser.newContext()).newPage();
    // A fragment's request refused (a node that does not hold the page: 403) fails the test at once.
    const refused = new Promise<never>((_, reject) => {
      page.on('response', (response) => {
        const status = response.status();
        if (new URL(response.url()).pathname === '/widget' && status !== 200) {
          reject(new Error(`a fragment's request was answered ${status}`));
        }
      });
    });
    refused.catch(() => {});
    await page.goto(`${nginx.url}/board`);
    const node = (await page.textContent('#board')) ?? '';
    const six = () => document.querySelectorAll('pw-include[data-pw-page] .node').length === 6;
    await Promise.race([page.waitForFunction(six, null, { polling: 20 }), refused]);
    const rendered = await page.$$eval('pw-include .node', (spans) => spans.map((span) => span.textContent));
    assert.deepEqual(rendered, Array(6).fill(node), "every fragment rendered by the page's node");
    // Live: each click reaches its own fragment's instance on that node, through the page's socket.
    for (const id of ['#w2', '#w5', '#w5']) await page.click(`${id} button`);
    await page.waitForFunction(() => document.querySelector('#w5 .n')?.textContent === '2', null, { polling: 20 });
    await page.waitForFunction(() => document.querySelector('#w2 .n')?.textContent === '1', null, { polling: 20 });
    assert.equal(await page.textContent('#w1 .n'), '0');
    await page.context().close();
  });

  it("reloads the dead node's pages onto a live node through nginx; the others keep their instance", async () => {
    // Round-robin over every request (the client script too): a tab of another node soon comes.
    const victim = await open();
    let survivor = await open();
    for (let tries = 1; survivor.node === victim.node; tries++) {
      assert.ok(tries < 10, 'a page on another node');
      await survivor.page.context().close();
      survivor = await open();
    }
    for (const tab of [victim, survivor]) {
      await tab.page.click('#click');
      await clicks(tab.page, 1);
    }
    const dead = nodes.find((node) => node.id === victim.node) as ProxiedNode;
    dead.server.child.kill('SIGKILL');
    // The page comes back on another node: a new render, a new node in its text.
    await victim.page.waitForFunction((gone) => document.getElementById('node')?.textContent !== gone, victim.node, {
      polling: 20,
      timeout: 60_000,
    });
    assert.equal(victim.loads(), 2, 'one reload');
    // What told it: its node's status path, answered 410 by nginx.
    assert.ok(victim.statuses.includes(410), `statuses: ${victim.statuses}`);
    await victim.page.click('#click');
    await clicks(victim.page, 1);
    // The other node's page never noticed: same load, same instance, its count goes on.
    await survivor.page.click('#click');
    await clicks(survivor.page, 2);
    assert.equal(survivor.loads(), 1);
  });
});

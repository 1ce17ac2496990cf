// In a real Chromium, through a real nginx running the config `pagewire proxy-config nginx`
// prints for three `pagewire serve --node nX` machines: a page whose node is killed with SIGKILL
// learns from nginx that its node is gone (410), and reloads onto another node; a page of another
// node never notices (no reload, its instance's state kept).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { CLUSTER_SCRIPTS } from './helpers/cluster-server.js';
import { scriptsFolder } from './helpers/fixtures.js';
import type { Nginx } from './helpers/nginx.js';
import { nginxInFront, type ProxiedNode, startNode, stopNode } from './helpers/proxied-nodes.js';

describe('a node killed behind nginx, in Chromium', { timeout: 240_000 }, () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
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

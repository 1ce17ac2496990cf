// A process of `pagewire serve --processes 3` killed with SIGKILL, in a real Chromium: the cluster
// starts another; the dead process's pages see their socket fail, learn at their node's status
// path that the page is gone (410), and reload onto a live process; a page of another process
// never notices (no reload, its instance's state kept).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { CLUSTER_SCRIPTS, type ClusterServer, startCluster } from './helpers/cluster-server.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';

describe('a killed process of the cluster, in Chromium', () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
  let cluster: ClusterServer;
  let browser: Browser;
  before(async () => {
    [cluster, browser] = await Promise.all([startCluster(folder.dir, 3), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await cluster?.stop();
    folder.remove();
  });

  /** A tab of its own (its own connections: the cluster spreads them), with its loads counted. */
  async function open(): Promise<{ page: Page; node: string; loads: () => number }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    let loads = 0;
    page.on('load', () => loads++);
    // A click made before the socket joined waits in the page and is delivered once it has.
    await page.goto(`${cluster.url}/where`);
    return { page, node: (await page.textContent('#node')) ?? '', loads: () => loads };
  }

  const clicks = (page: Page, n: number) =>
    page.waitForFunction((count) => document.getElementById('clicks')?.textContent === String(count), n, {
      polling: 20,
    });

  it("reloads the dead process's pages onto a live one; the others keep their instance", async () => {
    const victim = await open();
    let survivor = await open();
    while (survivor.node === victim.node) {
      await survivor.page.context().close();
      survivor = await open();
    }
    for (const tab of [victim, survivor]) {
      await tab.page.click('#click');
      await clicks(tab.page, 1);
    }
    const pid = Number(await victim.page.textContent('#pid'));
    process.kill(pid, 'SIGKILL');
    // The page comes back on another process: a new render, a new node in its text.
    await victim.page.waitForFunction((dead) => document.getElementById('node')?.textContent !== dead, victim.node, {
      polling: 20,
      timeout: 30_000,
    });
    assert.equal(victim.loads(), 2, 'one reload');
    assert.notEqual(Number(await victim.page.textContent('#pid')), pid);
    await victim.page.click('#click');
    await clicks(victim.page, 1);
    // The other process's page never noticed: same load, same instance, its count goes on.
    await survivor.page.click('#click');
    await clicks(survivor.page, 2);
    assert.equal(survivor.loads(), 1);
    // The cluster replaced the dead process.
    await waitFor(
      () => /killed by SIGKILL: its pages are gone; starting another/.test(cluster.output()),
      'the restart',
    );
    await waitFor(() => (cluster.output().match(/is serving\n/g) ?? []).length >= 4, 'the new process to serve');
  });
});

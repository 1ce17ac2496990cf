import assert from 'node:assert/strict';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import type { BrowserContext, Page } from 'playwright-core';
import { MAX_RELOADS } from '../client/reload-count.js';
import { pagewire } from '../lib/index.js';
import { socketLog } from './helpers/browser.js';
import { killOneWorker } from './helpers/kill-worker.js';
import { memoryLogger, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { PATIENT, renderLive, startServer } from './helpers/server.js';
import { STATUS } from './helpers/paths.js';

const folder = scriptsFolder({
  'live.ts': `echo('<title>live</title><p>live</p>');
function __serverSocketEvent() {}`,
});

/**
 * Counts the documents the tab loads (each reload is one) from now on, as each commits: before any
 * of its scripts runs, so a count read after something a document did includes that document.
 */
function countLoads(page: Page): () => number {
  let loads = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) loads++;
  });
  return () => loads;
}

/** Whether the socket joined the page now in the tab (its id is in the client's tag). */
async function joinedNow(page: Page, frames: Array<Record<string, unknown>>): Promise<void> {
  await waitFor(() => frames.some((f) => f.t === 'joined'), 'the page to join');
  const pageId = await page.locator('script[data-pagewire-page]').getAttribute('data-pagewire-page');
  await waitFor(() => frames.some((f) => f.t === 'joined' && f.p === pageId), `page ${pageId} to join`);
}

/** A new tab of `context` opens `url`: its page joins in the first document, with no reload. */
async function joinsInOneLoad(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  const log = socketLog(page);
  const loads = countLoads(page);
  await page.goto(url);
  await joinedNow(page, log.frames);
  assert.equal(loads(), 1, 'no reload');
  return page;
}

describe('in Chromium: planted session cookies, and reloads in a row', { timeout: 180_000 }, () => {
  const served = servedInBrowser(folder, { server: { workers: 0 } });

  it('a cookie planted for the socket path (longer than /) after the first visit: one load, joined', async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    const first = socketLog(page);
    await page.goto(`${served.server.url}/live`);
    await joinedNow(page, first.frames);
    // A page on another port of this host sets a cookie of the name for a longer path: the
    // browser sends it first on the socket and status requests (today: refused, expired, reloaded
    // for ever: 27 loads in 4 s).
    await context.addCookies([
      { name: 'pagewire_sid', value: 'AttackerKnowsThisId000', domain: '127.0.0.1', path: '/__pagewire' },
    ]);
    await joinsInOneLoad(context, `${served.server.url}/live`);
    await context.close();
  });

  it("an issued cookie (the attacker's) planted for the page's path: one load, in its own session", async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    const first = socketLog(page);
    await page.goto(`${served.server.url}/live`);
    await joinedNow(page, first.frames);
    // The attacker's browser was issued a session; a page on another port plants it for /live,
    // which the browser sends before its own (Path=/) on /live, and not to the socket's path.
    const attacker = await renderLive(served.server.origin, '/live');
    const value = attacker.cookie.slice('pagewire_sid='.length);
    await context.addCookies([{ name: 'pagewire_sid', value, domain: '127.0.0.1', path: '/live' }]);
    const again = await joinsInOneLoad(context, `${served.server.url}/live`);
    const pageId = (await again.locator('script[data-pagewire-page]').getAttribute('data-pagewire-page')) ?? '';
    const status = await fetch(`${served.server.url}${STATUS}?ids=${pageId}`, {
      headers: { cookie: attacker.cookie },
    });
    assert.deepEqual(((await status.json()) as { live: string[] }).live, [], "not in the attacker's session");
    await context.close();
  });

  it('a cookie planted before the first visit (on / and on the page path) is replaced; the page joins', async () => {
    const context = await served.browser.newContext();
    await context.addCookies([
      { name: 'pagewire_sid', value: 'AttackerKnowsThisId000', domain: '127.0.0.1', path: '/' },
      { name: 'pagewire_sid', value: 'AttackerKnowsThisId111', domain: '127.0.0.1', path: '/live' },
    ]);
    await joinsInOneLoad(context, `${served.server.url}/live`);
    const cookies = await context.cookies(served.server.url);
    const root = cookies.find((c) => c.name === 'pagewire_sid' && c.path === '/');
    assert.match(root?.value ?? '', /^[\w-]{22}\.[\w+/]{43}$/, 'the planted cookie on / was replaced by an issued one');
    await context.close();
  });

  it(`a page that can never join stops reloading after ${MAX_RELOADS} reloads in a row, and says so`, async () => {
    // The socket is always refused and the status endpoint says the page is gone (a proxy that
    // drops WebSockets, say): each load expires and reloads, as the planted cookie made it do.
    const wire = pagewire({ dir: folder.dir, workers: 0, logger: memoryLogger(), ...PATIENT });
    const app = express();
    app.get(STATUS, (_req, res) => {
      res.json({ live: [] });
    });
    app.use(wire);
    const refusing: Server = createServer(app);
    refusing.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    const context = await served.browser.newContext();
    try {
      const page = await context.newPage();
      const loads = countLoads(page);
      let stopped = '';
      page.on('console', (message) => {
        if (message.text().includes('reloading stopped')) stopped = message.text();
      });
      // Not waiting for `load`: the next document may replace this one before it.
      await page.goto(`${origin}/live`, { waitUntil: 'commit' });
      await waitFor(() => stopped !== '', 'the client to stop reloading', 120_000);
      assert.match(stopped, new RegExp(`reloaded ${MAX_RELOADS} times in a row`));
      // The first load and MAX_RELOADS reloads, no more.
      assert.equal(loads(), 1 + MAX_RELOADS);
    } finally {
      await context.close();
      await wire.close();
      refusing.closeAllConnections();
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
  it(`an instance that dies as it joins (worker ended): stops after ${MAX_RELOADS} reloads in a row`, async () => {
    // Each join is followed by the end of the page's worker, as a join that crashes it would: the
    // page closes `crashed`, reloads, joins, and its worker ends again (today: without end).
    const crashing = await startServer({ dir: folder.dir, workers: 1 });
    const context = await served.browser.newContext();
    let kills = Promise.resolve();
    try {
      const page = await context.newPage();
      const loads = countLoads(page);
      let stopped = '';
      page.on('console', (message) => {
        if (message.text().includes('reloading stopped')) stopped = message.text();
      });
      page.on('websocket', (socket) =>
        socket.on('framereceived', ({ payload }) => {
          if (typeof payload !== 'string' || (JSON.parse(payload) as { t?: string }).t !== 'joined') return;
          kills = kills.then(async () => void (await killOneWorker(1)));
        }),
      );
      await page.goto(`${crashing.url}/live`, { waitUntil: 'commit' });
      await waitFor(() => stopped !== '', 'the client to stop reloading', 150_000);
      assert.match(stopped, new RegExp(`reloaded ${MAX_RELOADS} times in a row`));
      assert.equal(loads(), 1 + MAX_RELOADS);
    } finally {
      await context.close();
      await kills;
      await crashing.close();
    }
  });
});

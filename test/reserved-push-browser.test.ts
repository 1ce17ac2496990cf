/**
 * A push whose name starts with `pw:` is Pagewire's own: the server never lets a script send one
 * (dom-updates.test.ts), and the client never hands one to the page's listeners either, whatever
 * a frame says (here forged between the browser and the server).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { scriptsFolder } from './helpers/fixtures.js';

const PAGE = `echo('<!doctype html><body><script>window.heard = [];' +
  '["pw:other", "pw:dom", "visible"].forEach((n) => document.serverSocket.addEventListener(n, () => heard.push(n)));' +
  '</script></body>');
function __serverSocketEvent() {}`;

describe('pushes named pw:, in Chromium', { timeout: 120_000 }, () => {
  const served = servedInBrowser(scriptsFolder({ 'page.ts': PAGE }));

  it('never reach the page listeners, even when a frame carries one', async () => {
    const page = await served.browser.newPage();
    let forge: (text: string) => void = () => {};
    await page.routeWebSocket(/socket/, (ws) => {
      const upstream = ws.connectToServer();
      forge = (text) => ws.send(text);
      ws.onMessage((message) => upstream.send(message));
      upstream.onMessage((message) => ws.send(message));
    });
    await page.goto(`${served.server.url}/page`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    const pageId = await page.evaluate(() => document.serverSocket?.pageId);
    forge(JSON.stringify({ t: 'push', p: pageId, s: 1, n: 'pw:other', d: 1 }));
    forge(JSON.stringify({ t: 'push', p: pageId, s: 2, n: 'visible', d: 2 }));
    await page.waitForFunction(() => (window as unknown as { heard: string[] }).heard.includes('visible'));
    assert.deepEqual(await page.evaluate(() => (window as unknown as { heard: string[] }).heard), ['visible']);
    await page.close();
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, ConsoleMessage } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { FAILURE_REPORT_MS, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

const folder = scriptsFolder({
  // A live page with a button that does something on the server: what clickjacking is after.
  'account.ts': `echo('<!doctype html><p id="account">your account</p>');
function __serverSocketEvent() {}`,
  // The page of another site that frames it (served by a second server: another origin).
  'frames.ts': `echo(\`<!doctype html><iframe id="target" src="\${request.query.src}"></iframe>\`);`,
  // With the nonce CSP: the page's own script runs by its nonce, sends an event and shows the
  // answer; a script injected without the nonce must not run.
  'nonce.ts': `echo(html\`<!doctype html><p id="out">waiting</p>
<script nonce="\${request.nonce ?? ''}">
  window.violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective));
  document.serverSocket.addEventListener('answer', (e) => { document.getElementById('out').textContent = e.data; });
  document.serverSocket.send('question', 'ping');
</script>\`, raw('<script>window.injected = true;</script>'));
function __serverSocketEvent(name: string, data: unknown) {
  if (name === 'question') server_socket_event('answer', 'pong for ' + data);
}`,
});

describe('in Chromium: frame protection and the nonce CSP', { timeout: 180_000 }, () => {
  let site: TestServer;
  let attacker: TestServer;
  let browser: Browser;
  before(async () => {
    site = await startServer({ dir: folder.dir });
    attacker = await startServer({ dir: folder.dir });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await attacker?.close();
  });
  after(() => folder.remove());

  it('a live page does not render in a frame of another origin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused = page.waitForEvent('console', {
      // Chromium's words for it have changed between versions; the directive it names has not.
      predicate: (message: ConsoleMessage) => /frame-ancestors 'self'/.test(message.text()),
      timeout: FAILURE_REPORT_MS,
    });
    await page.goto(`${attacker.url}/frames?src=${encodeURIComponent(`${site.url}/account`)}`);
    assert.match((await refused).text(), /Refused to frame|Framing .* violates/);
    const framed = page.frames().find((frame) => frame !== page.mainFrame());
    assert.ok(framed);
    assert.equal(await framed.locator('#account').count(), 0, 'the framed page shows nothing');
    await context.close();
  });

  it('the same page renders in a frame of its own site', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.url}/frames?src=${encodeURIComponent('/account')}`);
    const framed = page.frameLocator('#target');
    assert.equal(await framed.locator('#account').textContent(), 'your account');
    await context.close();
  });

  it("csp: 'nonce': the client connects and the page's own script runs; an injected one does not", async () => {
    const server = await startServer({ dir: folder.dir, csp: 'nonce' });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const blocked = page.waitForEvent('console', {
        predicate: (message: ConsoleMessage) =>
          /(Refused to execute|Executing) inline script/.test(message.text()) &&
          /'strict-dynamic'/.test(message.text()),
        timeout: FAILURE_REPORT_MS,
      });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${server.url}/nonce`);
      await page.waitForFunction(() => document.getElementById('out')?.textContent === 'pong for ping', null, {
        polling: 20,
        timeout: FAILURE_REPORT_MS,
      });
      await blocked;
      await waitFor(() => server.wire.stats().connected === 1, 'the page socket');
      assert.equal(await page.evaluate(() => (window as { injected?: boolean }).injected), undefined);
      assert.deepEqual(await page.evaluate(() => (window as unknown as { violations: string[] }).violations), [
        'script-src-elem',
      ]);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await server.close();
    }
  });
});

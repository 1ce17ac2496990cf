/**
 * `insert()` of an app's own `fetch` under `pagewire serve --processes 2`, in Chromium: sent with
 * `document.serverSocket.fragmentHeaders`, each request is rendered by the document's process
 * (handed over when it reached the other) and made live on the document's socket; a page the
 * other process rendered for a plain request could never join that socket, and `insert()` says
 * so and how to ask for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { type ClusterServer, renderOnNewConnection, startCluster } from './helpers/cluster-server.js';
import { scriptsFolder } from './helpers/fixtures.js';

const WIDGET = `echo(html\`<p class="widget">widget on \${page.node}</p>\`);
function __serverSocketEvent(name: string) {
  if (name === 'ping') server_socket_event('pong', { node: page.node });
}
`;
const HOST = `echo(html\`<main id="widgets"></main>\`);
function __serverSocketEvent() {}
`;

describe("insert() of the app's own fetch under pagewire serve --processes 2 (Chromium)", { timeout: 180_000 }, () => {
  const folder = scriptsFolder({ 'host.ts': HOST, 'widget.ts': WIDGET });
  let cluster: ClusterServer;
  let browser: Browser;
  before(async () => {
    cluster = await startCluster(folder.dir, 2);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await cluster?.stop();
    folder.remove();
  });

  const openHost = async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(`${cluster.url}/host`);
    await page.waitForFunction(() => document.serverSocket !== undefined);
    return page;
  };

  it("fetches sent with fragmentHeaders are rendered by the document's process and live", async () => {
    const page = await openHost();
    // Six at once: the browser opens several connections, which the cluster spreads over its processes.
    const outcome = await page.evaluate(async () => {
      const socket = document.serverSocket;
      if (!socket) throw new Error('no document.serverSocket');
      const node = socket.fragmentHeaders['X-Pagewire-Node'];
      const widgets = await Promise.all(
        [1, 2, 3, 4, 5, 6].map(async (i) => {
          const response = await fetch(`/widget?i=${i}`, { headers: socket.fragmentHeaders });
          const fragmentPage = response.headers.get('X-Pagewire-Page');
          const element = document.createElement('section');
          document.getElementById('widgets')?.append(element);
          const widget = await socket.insert(element, response);
          const pong = new Promise<{ node: string }>((resolve) =>
            widget.addEventListener('pong', (e) => resolve((e as Event & { data: { node: string } }).data), {
              once: true,
            }),
          );
          widget.send('ping');
          return { fragmentPage, text: element.textContent, pong: (await pong).node };
        }),
      );
      return { node, widgets };
    });
    assert.match(outcome.node ?? '', /^[\w-]+$/, 'the document names its node');
    for (const widget of outcome.widgets) {
      assert.match(widget.fragmentPage ?? '', /^[\w-]+$/, 'answered as a fragment of the document (X-Pagewire-Page)');
      assert.equal(widget.text, `widget on ${outcome.node}`);
      assert.equal(widget.pong, outcome.node, "its events reach its instance, on the document's process");
    }
    await page.close();
  });

  it('refuses a page the other process rendered, naming both processes and fragmentHeaders', async () => {
    const page = await openHost();
    const node = await page.evaluate(() => document.serverSocket?.fragmentHeaders['X-Pagewire-Node'] ?? '');
    // A plain request (no fragment headers) on new connections, until the other process answers one.
    let other: Awaited<ReturnType<typeof renderOnNewConnection>> | undefined;
    for (let tries = 0; other === undefined; tries++) {
      if (tries === 40) throw new Error(`the other process rendered none of ${tries} pages`);
      const rendered = await renderOnNewConnection(cluster.url, '/widget');
      if (rendered.node !== node) other = rendered;
    }
    const message = await page.evaluate(async (body) => {
      const element = document.createElement('section');
      document.getElementById('widgets')?.append(element);
      try {
        await document.serverSocket?.insert(element, new Response(body, { headers: { 'content-type': 'text/html' } }));
        return 'inserted';
      } catch (error) {
        return `${(error as Error).message} | inserted: ${element.childNodes.length}`;
      }
    }, other.body);
    assert.equal(
      message,
      `serverSocket.insert(el, response): another server process (${other.node}) rendered it, not this ` +
        `document's (${node}): fetch it with { headers: document.serverSocket.fragmentHeaders } | inserted: 0`,
    );
    await page.close();
  });
});

// The app's own cluster set-up (README, "Many processes"): an Express app whose primary calls
// clusterPrimary() and whose processes mount Pagewire under /app. Pages render on both
// processes, each page's socket (under the mount path) reaches its own instance, a publication
// from one process reaches the other's pages, and the session a process issued is every
// process's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLUSTER_SCRIPTS, type Rendered, renderOnNewConnection } from './helpers/cluster-server.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { joinPage, SocketClient } from './helpers/server.js';

describe("clusterPrimary() in an Express app's own cluster", () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'helpers', 'cluster-app.ts'), folder.dir],
    { cwd: path.join(import.meta.dirname, '..') },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let url = '';
  before(async () => {
    await waitFor(() => /listening on \d+/.test(output) || child.exitCode !== null, 'the app to listen');
    url = `http://127.0.0.1:${/listening on (\d+)/.exec(output)?.[1]}`;
  });
  after(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    folder.remove();
  });

  it('pages of both processes, under /app, talk to their own instance and hear each other', async () => {
    const pages = new Map<string, Rendered>();
    // One browser session for both: the cookie one process issued is taken by the other.
    let cookie: string | undefined;
    for (let tries = 0; pages.size < 2; tries++) {
      assert.ok(tries < 40, `pages rendered on ${pages.size} process(es) only: ${output}`);
      const page = await renderOnNewConnection(url, '/app/where', cookie);
      assert.ok(page.socket.startsWith('/app/__pagewire/'), page.socket);
      if (cookie !== undefined) assert.equal(page.issued, undefined, `node ${page.node} issued a new session`);
      cookie = page.cookie;
      if (!pages.has(page.node)) pages.set(page.node, page);
    }
    const clients: SocketClient[] = [];
    for (const page of pages.values()) {
      const client = await joinPage(url, page.pageId, page.cookie, 0, page.node, '/app');
      client.event(page.pageId, 'click');
      const clicked = await client.next((f) => f.n === 'clicked');
      assert.equal((clicked.d as { node: string }).node, page.node);
      clients.push(client);
    }
    const [first, second] = [...pages.values()] as [Rendered, Rendered];
    (clients[0] as SocketClient).event(first.pageId, 'say', 'from the first process');
    const heard = await (clients[1] as SocketClient).next((f) => f.n === 'room' && f.p === second.pageId);
    assert.equal(heard.d, 'from the first process');
    for (const client of clients) await client.close();
  });

  it('a process that disconnects (draining) is routed nothing more, and the primary stays up', async () => {
    const draining = await renderOnNewConnection(url, '/app/where');
    // Its joined socket keeps it alive while it drains.
    const client = await joinPage(url, draining.pageId, draining.cookie, 0, draining.node, '/app');
    const pid = Number(/<p id="pid">(\d+)<\/p>/.exec(draining.body)?.[1]);
    process.kill(pid, 'SIGUSR2');
    await waitFor(() => output.includes(`process ${draining.node} disconnected`), 'the process to disconnect');
    // A new socket of its node reaches the other process, or the primary: gone, never a crash.
    for (let i = 0; i < 4; i++) {
      await assert.rejects(
        SocketClient.connect(url, draining.cookie, { connection: 'Upgrade' }, '/app', draining.node),
        /upgrade refused: 410/,
      );
    }
    const other = await renderOnNewConnection(url, '/app/where');
    assert.notEqual(other.node, draining.node);
    assert.equal(child.exitCode, null, `the primary is up: ${output}`);
    await client.close();
  });
});

/**
 * Fragments under `pagewire serve --processes 2`: a fragment's request that reaches a process other
 * than its document's is handed to that one (as a page socket is), which renders it owned by the
 * document; it then joins on the document's socket. Without the hand-over about half of them would
 * be refused (403: the other process does not know the document).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ClusterServer, renderOnNewConnection, startCluster } from './helpers/cluster-server.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { joinPage } from './helpers/server.js';

const live = (body: string) => `echo(html\`${body}\`);\nfunction __serverSocketEvent() {}\n`;

describe('fragments with pagewire serve --processes 2', { timeout: 120_000 }, () => {
  const folder = scriptsFolder({
    'host.ts': live('<p>${page.node}</p>'),
    'widget.ts': live('<p>widget on ${page.node}</p>'),
  });
  let cluster: ClusterServer;
  before(async () => {
    cluster = await startCluster(folder.dir, 2);
  });
  after(async () => {
    await cluster?.stop();
    folder.remove();
  });

  it("each fragment is rendered by its document's process, whichever process its request reached", async () => {
    const host = await renderOnNewConnection(cluster.url, '/host');
    const socket = await joinPage(cluster.url, host.pageId, host.cookie, 0, host.node);
    for (let i = 0; i < 8; i++) {
      // A new connection each time: the cluster hands them to its processes in turn.
      const response = await fetch(`${cluster.url}/widget`, {
        headers: {
          connection: 'close',
          cookie: host.cookie,
          'x-pagewire-fragment': host.pageId,
          'x-pagewire-node': host.node,
        },
      });
      const body = await response.text();
      assert.equal(response.status, 200, body);
      assert.equal(body, `<p>widget on ${host.node}</p>`);
      const id = response.headers.get('x-pagewire-page') ?? '';
      socket.send({ t: 'join', p: id, a: 0 });
      await socket.next((f) => f.t === 'joined' && f.p === id);
    }
    await socket.close();
  });
});

// A page socket handed to its owner process: the browser's first frame (its join), sent as soon
// as the owner answered the upgrade, is never lost on the way. The process the connection reached
// and the primary each held the socket; Node keeps reading a handle until its send completes, and
// one of them could read (and drop) the join: the page never joined (about 1 socket in 100 under
// load, so the test opens many at once, as a bench of 1,000 pages did).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ClusterServer, CLUSTER_SCRIPTS, renderOnNewConnection, startCluster } from './helpers/cluster-server.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { joinPage, type SocketClient } from './helpers/server.js';

const PAGES = 1000;
const AT_ONCE = 50;

describe('pagewire serve --processes 2: sockets handed over', () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
  let cluster: ClusterServer;
  const clients: SocketClient[] = [];
  before(async () => {
    cluster = await startCluster(folder.dir, 2);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await cluster?.stop();
    folder.remove();
  });

  it(`joins each of ${PAGES} pages opened ${AT_ONCE} at a time, each join sent on the upgrade's answer`, async () => {
    const open = async () => {
      const page = await renderOnNewConnection(cluster.url, '/where');
      clients.push(await joinPage(cluster.url, page.pageId, page.cookie, 0, page.node));
    };
    for (let i = 0; i < PAGES; i += AT_ONCE) await Promise.all(Array.from({ length: AT_ONCE }, open));
    assert.equal(clients.length, PAGES);
  });
});

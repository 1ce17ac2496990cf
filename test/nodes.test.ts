// Node ids, in one process: a live page's socket and status paths name the process that holds it
// (`/__pagewire/<node>/socket`); a path that names another node, which no process of this site
// has, is answered 410 Gone and never joined, and the client takes its pages as expired. The
// cluster's own tests (cluster.test.ts) hand such sockets to the process that has the node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServerSocketEvent } from '../client/server-socket.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { nodeServerSocket } from './helpers/node-client.js';
import { socketPathIn } from './helpers/paths.js';
import { renderLive, SocketClient, startServer, type TestServer } from './helpers/server.js';

const folder = scriptsFolder({
  'where.ts': `echo(html\`<p id="node">\${page.node}</p><p id="pid">\${process.pid}</p>\`);
function __serverSocketEvent(name: string) { server_socket_event('here', page.node); }`,
});

describe('node ids: which process holds a page', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: folder.dir, node: 'web-1' });
  });
  after(async () => {
    await server.close();
    folder.remove();
  });

  it("a page's paths carry its node; the script reads it as page.node, and its process's pid", async () => {
    const { body, pageId, cookie } = await renderLive(server.url, '/where');
    assert.equal(socketPathIn(body), '/__pagewire/web-1/socket');
    assert.match(body, /data-pagewire-status="\/__pagewire\/web-1\/pages"/);
    assert.match(body, /<p id="node">web-1<\/p>/);
    assert.match(body, new RegExp(`<p id="pid">${process.pid}</p>`));
    const status = await fetch(`${server.url}/__pagewire/web-1/pages?ids=${pageId}`, { headers: { cookie } });
    assert.deepEqual(await status.json(), { live: [pageId] });
  });

  it("another node's socket is refused 410 and never joined, even with the session of a live page", async () => {
    const { pageId, cookie } = await renderLive(server.url, '/where');
    for (const node of ['web-2', 'web-1x', 'a']) {
      await assert.rejects(
        SocketClient.connect(server.origin, cookie, {}, '', node),
        /upgrade refused: 410/,
        `node ${node}`,
      );
    }
    // A node id no process could have is no endpoint of Pagewire's at all.
    await assert.rejects(SocketClient.connect(server.origin, cookie, {}, '', 'we.b-1'), /upgrade refused: 404/);
    assert.equal(server.wire.stats().pending, 1 + 1, 'both pages still wait for their own socket');
    const status = await fetch(`${server.url}/__pagewire/web-1/pages?ids=${pageId}`, { headers: { cookie } });
    assert.deepEqual(await status.json(), { live: [pageId] });
  });

  it("another node's status path answers 410 Gone, for a query and for a beacon, and closes nothing", async () => {
    const { pageId, cookie } = await renderLive(server.url, '/where');
    const query = await fetch(`${server.url}/__pagewire/web-2/pages?ids=${pageId}`, { headers: { cookie } });
    assert.equal(query.status, 410);
    assert.match(await query.text(), /node web-2 is no process of this site/);
    const beacon = await fetch(`${server.url}/__pagewire/web-2/pages?leave=${pageId}`, {
      method: 'POST',
      headers: { cookie, origin: server.origin },
    });
    assert.equal(beacon.status, 410);
    const own = await fetch(`${server.url}/__pagewire/web-1/pages?ids=${pageId}`, { headers: { cookie } });
    assert.deepEqual(await own.json(), { live: [pageId] });
    // Whether the server answers names no node: any process of the site says yes.
    assert.equal((await fetch(`${server.url}/__pagewire/pages`)).status, 200);
  });

  it('the client of a page whose node is gone takes it as expired and reloads; its own node joins', async () => {
    const { pageId, cookie } = await renderLive(server.url, '/where');
    let reloads = 0;
    const gone = nodeServerSocket(server.url, pageId, cookie, { node: 'web-0', reload: () => reloads++ });
    const reasons: string[] = [];
    gone.addEventListener('closed', (event: ServerSocketEvent) =>
      reasons.push((event.data as { reason: string }).reason),
    );
    await waitFor(() => reloads === 1, 'the page of a gone node to reload');
    assert.deepEqual(reasons, ['expired']);
    gone.close();

    const again = await renderLive(server.url, '/where');
    const own = nodeServerSocket(server.url, again.pageId, again.cookie, { node: 'web-1' });
    const heard: unknown[] = [];
    own.addEventListener('here', (event: ServerSocketEvent) => heard.push(event.data));
    own.send('where');
    await waitFor(() => heard.length === 1, 'the page of its own node to answer');
    assert.deepEqual(heard, ['web-1']);
    own.close();
  });
});

// Three `pagewire serve --node nX` machines behind a real nginx running the config `pagewire
// proxy-config nginx` prints: renders spread over them, each page's socket reaches its own node,
// so does each live fragment's request (by its X-Pagewire-Node header; a value naming no node is
// round-robin), a node id the config does not name is answered 410 by nginx and never joined, a node killed
// with SIGKILL has its pages expire (410 through nginx) while the others keep theirs, and a node
// added to the config takes renders at once. Then one machine of `--processes 2 --node m1`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServerSocketEvent } from '../client/server-socket.js';
import { CLUSTER_SCRIPTS, type Rendered, renderOnNewConnection } from './helpers/cluster-server.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import type { Nginx } from './helpers/nginx.js';
import { nodeServerSocket } from './helpers/node-client.js';
import { nginxInFront, type ProxiedNode, reloadFor, startNode, stopNode } from './helpers/proxied-nodes.js';
import { joinPage, SocketClient } from './helpers/server.js';

/** `count` renders of /where through nginx, each on a new connection. */
async function renders(url: string, count: number, cookie?: string): Promise<Rendered[]> {
  const pages: Rendered[] = [];
  for (let i = 0; i < count; i++) pages.push(await renderOnNewConnection(url, '/where', cookie));
  return pages;
}

/**
 * A live fragment of `page` (/where), asked for through nginx as the client asks for one (its
 * document's page id and node in headers), on a new connection: the node that rendered it and
 * its page id, or the status and body it was refused with.
 */
async function fragment(url: string, page: Rendered, node = page.node) {
  const response = await fetch(`${url}/where`, {
    headers: { connection: 'close', cookie: page.cookie, 'x-pagewire-fragment': page.pageId, 'x-pagewire-node': node },
  });
  const body = await response.text();
  const rendered = /<p id="node">([^<]*)<\/p>/.exec(body)?.[1];
  return { status: response.status, body, node: rendered, pageId: response.headers.get('x-pagewire-page') };
}

/** Sends a click and waits for the instance's answer: its count, and the node and pid it runs in. */
async function click(client: SocketClient, page: Rendered, clicks: number) {
  client.event(page.pageId, 'click');
  const pushed = await client.next(
    (f) => f.n === 'clicked' && f.p === page.pageId && (f.d as { clicks: number }).clicks === clicks,
  );
  return pushed.d as { clicks: number; node: string; pid: number };
}

describe('three nodes behind the nginx config pagewire proxy-config prints', { timeout: 240_000 }, () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
  let nodes: ProxiedNode[];
  let nginx: Nginx;
  let added: ProxiedNode | undefined;
  /** A page of each node, joined through nginx. */
  const pages = new Map<string, Rendered>();
  const clients = new Map<string, SocketClient>();
  before(async () => {
    nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(folder.dir, id)));
    nginx = await nginxInFront(nodes);
  });
  after(async () => {
    for (const client of clients.values()) await client.close();
    await nginx?.stop();
    await Promise.all([...(nodes ?? []), added].map(stopNode));
    folder.remove();
  });

  it("spreads renders over the nodes; each page's socket reaches its own node and instance", async () => {
    const rendered = await renders(nginx.url, 6);
    // Round-robin: every node renders, none twice in a row.
    assert.deepEqual(new Set(rendered.map((page) => page.node)), new Set(['n1', 'n2', 'n3']));
    for (const page of rendered) if (!pages.has(page.node)) pages.set(page.node, page);
    for (const node of nodes) {
      const page = pages.get(node.id) as Rendered;
      assert.match(page.socket, new RegExp(`^/__pagewire/${node.id}/socket$`));
      const client = await joinPage(nginx.url, page.pageId, page.cookie, 0, node.id);
      clients.set(node.id, client);
      for (const clicks of [1, 2]) {
        assert.deepEqual(await click(client, page, clicks), { clicks, node: node.id, pid: node.server.child.pid });
      }
    }
  });

  it("brings each fragment's request (X-Pagewire-Node) to its document's node, every time", async () => {
    // Round-robin would spread six requests in a row over the three nodes, two of them refusing.
    for (const node of nodes) {
      const page = pages.get(node.id) as Rendered;
      const client = clients.get(node.id) as SocketClient;
      for (let i = 0; i < 6; i++) {
        const answer = await fragment(nginx.url, page);
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.node, node.id);
        // Owned by the document: it joins on the document's socket.
        const id = answer.pageId ?? '';
        client.send({ t: 'join', p: id, a: 0 });
        await client.next((f) => f.t === 'joined' && f.p === id);
      }
    }
  });

  it('spreads a request whose X-Pagewire-Node names no node round-robin, never routed by it', async () => {
    const page = pages.get('n1') as Rendered;
    for (const forged of ['n9', 'n1x', 'xn1', 'n1-x', 'N1', 'n1/', 'pagewire_all', '127.0.0.1:80', '']) {
      const answers = await Promise.all([1, 2, 3].map(() => fragment(nginx.url, page, forged)));
      // Round-robin: one of each three in a row reaches n1, which knows the page; the others refuse.
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [200, 403, 403], `${forged}: ${answers.map((answer) => answer.body)}`);
    }
  });

  it('answers a node id it does not name 410 itself; such a socket is never joined', async () => {
    const page = pages.get('n1') as Rendered;
    for (const forged of ['n9', 'n1x', 'n1-x', 'N1']) {
      await assert.rejects(SocketClient.connect(nginx.url, page.cookie, {}, '', forged), /upgrade refused: 410/);
      const status = await fetch(`${nginx.url}/__pagewire/${forged}/pages?ids=${page.pageId}`, {
        headers: { cookie: page.cookie },
      });
      assert.equal(status.status, 410, forged);
      assert.equal(await status.text(), 'no node of this site has that id: its pages are gone\n');
    }
    // n1-2 is a process of machine n1 (--processes): nginx brings it there, where no process has it.
    await assert.rejects(SocketClient.connect(nginx.url, page.cookie, {}, '', 'n1-2'), /upgrade refused: 410/);
    const process2 = await fetch(`${nginx.url}/__pagewire/n1-2/pages?ids=${page.pageId}`);
    assert.match(await process2.text(), /node n1-2 is no process of this site/);
    // Its own node's status path, through nginx: the page lives.
    const own = await fetch(`${nginx.url}/__pagewire/n1/pages?ids=${page.pageId}`, {
      headers: { cookie: page.cookie },
    });
    assert.deepEqual(await own.json(), { live: [page.pageId] });
  });

  it("sets X-Forwarded-* itself: a browser's own are replaced; the Origin must have the public scheme", async () => {
    // The nodes trust the proxy: what a browser sends as X-Forwarded-* must never reach them.
    const forged = await fetch(`${nginx.url}/where`, {
      headers: { 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https', connection: 'close' },
    });
    assert.equal(forged.status, 200, 'the host checked is the one nginx was asked for');
    assert.match(forged.headers.get('set-cookie') ?? '', /^pagewire_sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    // The public scheme is http (nginx's $scheme): an https page of the same host is another origin.
    const page = pages.get('n2') as Rendered;
    const https = nginx.url.replace('http:', 'https:');
    await assert.rejects(
      SocketClient.connect(nginx.url, page.cookie, { origin: https }, '', 'n2'),
      /upgrade refused: 403/,
    );
    // Nor close its pages with the beacon; the page's own origin may.
    const beacon = (origin: string) =>
      fetch(`${nginx.url}/__pagewire/n2/pages?leave=${page.pageId}`, {
        method: 'POST',
        headers: { origin, cookie: page.cookie },
      });
    assert.equal((await beacon(https)).status, 403);
    const live = await fetch(`${nginx.url}/__pagewire/n2/pages?ids=${page.pageId}`, {
      headers: { cookie: page.cookie },
    });
    assert.deepEqual(await live.json(), { live: [page.pageId] }, 'the page still lives');
  });

  it('a SIGKILLed node: its pages expire through nginx (410) and reload; the others keep theirs', async () => {
    const [victim, ...survivors] = nodes as [ProxiedNode, ...ProxiedNode[]];
    // The dead node's page, with the real client: it must learn from nginx that its page is gone.
    const [page] = await renders(nginx.url, 3).then((all) => all.filter((p) => p.node === victim.id));
    assert.ok(page, 'a page of the victim');
    let reloads = 0;
    const socket = nodeServerSocket(nginx.url, page.pageId, page.cookie, { node: victim.id, reload: () => reloads++ });
    const events: string[] = [];
    for (const name of ['open', 'close', 'expired']) {
      socket.addEventListener(name, (event: ServerSocketEvent) => events.push(event.type));
    }
    await waitFor(() => events.includes('open'), 'the page to join through nginx');
    victim.server.child.kill('SIGKILL');
    await victim.server.exited;
    await waitFor(() => reloads === 1, 'the page to expire and reload');
    assert.deepEqual(events, ['open', 'close', 'expired']);
    socket.close();
    // Its socket and status paths: nginx's 410, the node refusing the connection.
    await assert.rejects(SocketClient.connect(nginx.url, page.cookie, {}, '', victim.id), /upgrade refused: 410/);
    const status = await fetch(`${nginx.url}/__pagewire/${victim.id}/pages?ids=${page.pageId}`);
    assert.equal(status.status, 410);
    assert.equal(await status.text(), 'that node does not answer: its pages are gone\n');
    // New renders: every one answered, by the others.
    const after = await renders(nginx.url, 6);
    assert.deepEqual(new Set(after.map((p) => p.node)), new Set(survivors.map((node) => node.id)));
    // The others' pages never noticed: the same socket, the same instance, its count goes on.
    for (const node of survivors) {
      const client = clients.get(node.id) as SocketClient;
      assert.equal((await click(client, pages.get(node.id) as Rendered, 3)).node, node.id);
    }
  });

  it('a node added (the config regenerated, nginx -s reload) takes renders at once; open sockets stay', async () => {
    added = await startNode(folder.dir, 'n4');
    // The dead node left out, the new one in: as an operator would regenerate it.
    await reloadFor(nginx, [...nodes.slice(1), added]);
    const next = await renders(nginx.url, 3);
    assert.deepEqual(new Set(next.map((p) => p.node)), new Set(['n2', 'n3', 'n4']));
    const page = next.find((p) => p.node === 'n4') as Rendered;
    const client = await joinPage(nginx.url, page.pageId, page.cookie, 0, 'n4');
    clients.set('n4', client);
    assert.deepEqual(await click(client, page, 1), { clicks: 1, node: 'n4', pid: added.server.child.pid });
    // The pages joined before the reload kept their sockets (nginx's old worker keeps them).
    for (const node of nodes.slice(1)) {
      const kept = clients.get(node.id) as SocketClient;
      assert.equal((await click(kept, pages.get(node.id) as Rendered, 4)).node, node.id);
    }
    // n1 is no node of this config any more: nginx's own 410.
    const gone = await fetch(`${nginx.url}/__pagewire/n1/pages`);
    assert.equal(await gone.text(), 'no node of this site has that id: its pages are gone\n');
  });
});

describe('pagewire serve --processes 2 --node m1 behind the generated config', { timeout: 240_000 }, () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
  let nodes: ProxiedNode[];
  let nginx: Nginx;
  before(async () => {
    nodes = await Promise.all([startNode(folder.dir, 'm1', 2), startNode(folder.dir, 'n2')]);
    nginx = await nginxInFront(nodes);
  });
  after(async () => {
    await nginx?.stop();
    await Promise.all((nodes ?? []).map(stopNode));
    folder.remove();
  });

  it('routes m1-1 and m1-2 to machine m1, whose primary brings each socket to its process', async () => {
    const byNode = new Map<string, Rendered>();
    // nginx keeps its connections to a machine (keepalive), and the machine's cluster spreads
    // connections, not requests, over its processes: renders at once open more of them.
    for (let tries = 0; byNode.size < 3; tries++) {
      assert.ok(tries < 60, `pages on ${[...byNode.keys()]} only`);
      const batch = await Promise.all([1, 2, 3, 4].map(() => renderOnNewConnection(nginx.url, '/where')));
      for (const page of batch) if (!byNode.has(page.node)) byNode.set(page.node, page);
    }
    assert.deepEqual(new Set(byNode.keys()), new Set(['m1-1', 'm1-2', 'n2']));
    for (const node of ['m1-1', 'm1-2']) {
      const page = byNode.get(node) as Rendered;
      const pids = new Set<number>();
      // Each join is a new connection from nginx to m1, which its cluster spreads over both
      // processes: whichever it reached, the page's own instance answers, its count going on.
      for (const clicks of [1, 2, 3, 4]) {
        const client = await joinPage(nginx.url, page.pageId, page.cookie, clicks - 1, node);
        // The page's event numbers go on across its sockets, as a browser's do.
        client.send({ t: 'ev', p: page.pageId, s: clicks, n: 'click' });
        const pushed = await client.next((f) => f.n === 'clicked' && f.p === page.pageId);
        const { pid, ...rest } = pushed.d as { clicks: number; node: string; pid: number };
        assert.deepEqual(rest, { clicks, node });
        pids.add(pid);
        await client.close();
      }
      assert.equal(pids.size, 1, 'one process, one instance');
      // A fragment's request naming the process: nginx brings it to m1, whose process hands it over.
      for (let i = 0; i < 4; i++) {
        const answer = await fragment(nginx.url, page);
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.node, node);
      }
    }
    // A process m1 does not have: nginx brings it to m1, whose primary answers 410.
    const page = byNode.get('m1-1') as Rendered;
    await assert.rejects(SocketClient.connect(nginx.url, page.cookie, {}, '', 'm1-9'), /upgrade refused: 410/);
  });
});

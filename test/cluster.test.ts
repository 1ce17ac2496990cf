// `pagewire serve --processes 3`, real processes on one port: renders spread over them, each
// page's socket reaches the process that holds its instance (handed over by the primary when the
// connection reached another), broadcasts and channels reach pages of every process, a forged or
// foreign node is never joined, and SIGTERM to the primary closes every process's pages.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CLUSTER_SCRIPTS,
  type ClusterServer,
  onEveryNode,
  type Rendered,
  renderOnNewConnection,
  startCluster,
} from './helpers/cluster-server.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { joinPage, requestJoin, SocketClient } from './helpers/server.js';

describe('pagewire serve --processes 3', () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
  let cluster: ClusterServer;
  let pages: Rendered[];
  let clients: SocketClient[];
  before(async () => {
    cluster = await startCluster(folder.dir, 3);
    pages = await onEveryNode(cluster.url, '/where', 3);
    clients = await Promise.all(pages.map((p) => joinPage(cluster.url, p.pageId, p.cookie, 0, p.node)));
  });
  after(async () => {
    for (const client of clients ?? []) await client.close();
    await cluster?.stop();
    folder.remove();
  });

  it('renders on every process, each with its own pid; every page talks to its own instance', async () => {
    const pids = pages.map((p) => Number(/<p id="pid">(\d+)<\/p>/.exec(p.body)?.[1]));
    assert.equal(new Set(pids).size, 3, 'three processes');
    assert.ok(!pids.includes(cluster.child.pid ?? 0), 'none of them the primary');
    // In `ps`, each says what it is (Linux: the title replaces the command line).
    for (const [i, page] of pages.entries()) {
      const title = readFileSync(`/proc/${pids[i]}/cmdline`, 'utf8').replace(/\0+$/, '');
      assert.equal(title, `pagewire ${page.node}`);
    }
    assert.equal(readFileSync(`/proc/${cluster.child.pid}/cmdline`, 'utf8').replace(/\0+$/, ''), 'pagewire primary');
    for (const [i, page] of pages.entries()) {
      const client = clients[i] as SocketClient;
      for (const expected of [1, 2]) {
        client.event(page.pageId, 'click');
        const pushed = await client.next((f) => f.n === 'clicked' && (f.d as { clicks: number }).clicks === expected);
        assert.deepEqual(pushed.d, { clicks: expected, node: page.node, pid: pids[i] });
      }
    }
  });

  it('page.broadcast reaches the live pages of the script in every process', async () => {
    const [first] = pages as [Rendered];
    (clients[0] as SocketClient).event(first.pageId, 'shout', 'hello all');
    for (const [i, page] of pages.entries()) {
      const heard = await (clients[i] as SocketClient).next((f) => f.n === 'shout' && f.p === page.pageId);
      assert.equal(heard.d, 'hello all');
    }
  });

  it('a channel gives each publication once to subscribers in every process, in the order published', async () => {
    const publisher = clients[1] as SocketClient;
    const from = (pages[1] as Rendered).pageId;
    for (let n = 1; n <= 5; n++) publisher.event(from, 'say', n);
    for (const [i, page] of pages.entries()) {
      const client = clients[i] as SocketClient;
      await client.next((f) => f.n === 'room' && f.p === page.pageId && f.d === 5);
      const heard = client.frames.filter((f) => f.n === 'room' && f.p === page.pageId).map((f) => f.d);
      assert.deepEqual(heard, [1, 2, 3, 4, 5], `node ${page.node}`);
    }
  });

  it('a forged node, or a page of another process, is never joined', async () => {
    const [a, b] = pages as [Rendered, Rendered];
    // A node no process has: refused 410 Gone, as its status path answers.
    await assert.rejects(SocketClient.connect(cluster.url, a.cookie, {}, '', 'forged-1'), /upgrade refused: 410/);
    const status = await fetch(`${cluster.url}/__pagewire/forged-1/pages?ids=${a.pageId}`, {
      headers: { cookie: a.cookie },
    });
    assert.equal(status.status, 410);
    // Page a's id and session on b's node: that process has no page of a's session, refused.
    await assert.rejects(SocketClient.connect(cluster.url, a.cookie, {}, '', b.node), /upgrade refused: 404/);
    // With a session that has pages on both (b's cookie, a page rendered on a's node for it), a
    // socket of a's node asking for a page of b's: unknown there, never another instance.
    let other: Rendered;
    do other = await renderOnNewConnection(cluster.url, '/where', b.cookie);
    while (other.node !== a.node);
    const wrong = await requestJoin(cluster.url, b.pageId, b.cookie, { node: a.node });
    const refused = await wrong.next((f) => f.t === 'error' || f.t === 'joined');
    assert.equal(refused.code, 'UNKNOWN_PAGE');
    await wrong.close();
    // Each process's status answers for its own pages only, whichever process the request reached.
    for (const page of [a, b, other]) {
      const answer = await fetch(
        `${cluster.url}/__pagewire/${page.node}/pages?ids=${a.pageId},${b.pageId},${other.pageId}`,
        {
          headers: { cookie: page.cookie, connection: 'close' },
        },
      );
      const { live } = (await answer.json()) as { live: string[] };
      assert.deepEqual(live, [page.pageId], `node ${page.node}`);
    }
  });
});

describe('a handed-over socket', () => {
  it('loses none of the bytes the client sent after its upgrade request', async () => {
    const folder = scriptsFolder(CLUSTER_SCRIPTS);
    const cluster = await startCluster(folder.dir, 3);
    try {
      const page = await renderOnNewConnection(cluster.url, '/where');
      const { port } = new URL(cluster.url);
      const ping = maskedTextFrame(JSON.stringify({ t: 'ping' }));
      // Raw connections, spread over the processes: most reach another process and are handed
      // over while the ping is on its way.
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => pongAfterUpgrade(Number(port), page.socket, page.cookie, cluster.url, ping)),
      );
      assert.deepEqual(answers, Array(12).fill(true));
    } finally {
      await cluster.stop();
      folder.remove();
    }
  });
});

/** A client's WebSocket text frame, masked (as every client frame must be). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = payload.map((byte, i) => byte ^ (mask[i % 4] as number));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Sends an upgrade request, then (a turn later, not in the same packet) a ping: resolves whether a pong came. */
function pongAfterUpgrade(port: number, path: string, cookie: string, origin: string, ping: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('"t":"pong"')) {
        socket.destroy();
        resolve(true);
      }
    });
    socket.on('close', () => resolve(false));
    socket.on('error', () => resolve(false));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin}\r\n` +
        `Cookie: ${cookie}\r\n\r\n`,
      () => setImmediate(() => socket.write(ping)),
    );
  });
}

describe('SIGTERM to the primary', () => {
  it("closes every process's pages (their close hooks run), then exits 0", async () => {
    const folder = scriptsFolder(CLUSTER_SCRIPTS);
    const cluster = await startCluster(folder.dir, 2);
    try {
      const pages = await onEveryNode(cluster.url, '/where', 2);
      const clients = await Promise.all(pages.map((p) => joinPage(cluster.url, p.pageId, p.cookie, 0, p.node)));
      assert.equal(await cluster.stop(), 0);
      for (const page of pages)
        assert.match(cluster.output(), new RegExp(`closed page ${page.pageId} on ${page.node}`));
      for (const [i, client] of clients.entries()) {
        await client.next((f) => f.t === 'closed' && f.p === (pages[i] as Rendered).pageId);
        await client.close();
      }
      assert.match(cluster.output(), /SIGTERM: closing every process's pages and sockets/);
    } finally {
      cluster.child.kill('SIGKILL');
      folder.remove();
    }
  });

  it('refuses --processes that is not a whole number from 1 to 8 per core, or auto', async () => {
    const tooMany = String(8 * availableParallelism() + 1);
    for (const bad of ['0', '1.5', 'many', tooMany]) {
      await assert.rejects(
        startCluster('.', bad as 'auto'),
        new RegExp(
          `^[^]*: pagewire serve: --processes must be a whole number from 1 to ${8 * availableParallelism()}, or auto`,
        ),
      );
    }
  });

  it('says which port is in use, and how to choose another', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    const child = spawn(
      process.execPath,
      ['bin/pagewire.js', 'serve', '.', '--port', String(port), '--host', '127.0.0.1'],
      {
        cwd: path.join(import.meta.dirname, '..'),
      },
    );
    let output = '';
    child.stderr.on('data', (chunk) => (output += chunk));
    const [code] = (await once(child, 'exit')) as [number];
    taken.close();
    assert.equal(code, 1);
    assert.equal(
      output.trim(),
      `pagewire serve: port ${port} of 127.0.0.1 is in use: stop what listens there, or choose another with --port`,
    );
  });
});

describe('shared across processes', () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
  let cluster: ClusterServer;
  before(async () => {
    cluster = await startCluster(folder.dir, 3);
  });
  after(async () => {
    await cluster?.stop();
    folder.remove();
  });

  it('a chat kept with shared.push shows every post exactly once, to pages of every process', async () => {
    const pages = await onEveryNode(cluster.url, '/chat', 3);
    const clients = await Promise.all(pages.map((p) => joinPage(cluster.url, p.pageId, p.cookie, 0, p.node)));
    // Two posts from each process's page, all at once.
    const posts = pages.flatMap((page, i) => [`${page.node} a`, `${page.node} b`].map((text) => ({ i, text })));
    for (const { i, text } of posts) (clients[i] as SocketClient).event((pages[i] as Rendered).pageId, 'post', text);
    for (const [i, client] of clients.entries()) {
      const pageId = (pages[i] as Rendered).pageId;
      const heard = () => client.frames.filter((f) => f.n === 'post' && f.p === pageId).map((f) => f.d as string);
      await waitFor(() => heard().length >= posts.length, `page ${i} to hear every post`);
      assert.deepEqual(heard().sort(), posts.map((p) => p.text).sort(), 'each post once');
      await client.close();
    }
    // A page rendered afterwards, wherever, reads the history: every post once.
    const later = await renderOnNewConnection(cluster.url, '/chat');
    const listed = [...later.body.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), posts.map((p) => p.text).sort());
  });

  it('a killed process loses none of the shared data; its node answers 410 and a new process replaces it', async () => {
    const [victim] = await onEveryNode(cluster.url, '/where', 1);
    const { node } = victim as Rendered;
    const pid = Number(/<p id="pid">(\d+)<\/p>/.exec((victim as Rendered).body)?.[1]);
    const before = (await renderOnNewConnection(cluster.url, '/chat')).body.match(/<li>/g)?.length ?? 0;
    process.kill(pid, 'SIGKILL');
    await waitFor(
      () => cluster.output().includes(`process ${node} (pid ${pid}) killed by SIGKILL`),
      'the primary to see it',
    );
    const status = await fetch(`${cluster.url}/__pagewire/${node}/pages?ids=${(victim as Rendered).pageId}`, {
      headers: { cookie: (victim as Rendered).cookie, connection: 'close' },
    });
    assert.equal(status.status, 410);
    // Its replacement serves: a fourth process has said so.
    await waitFor(() => (cluster.output().match(/ is serving\n/g) ?? []).length === 4, 'the new process to serve');
    const after = await onEveryNode(cluster.url, '/chat', 3);
    for (const page of after) {
      assert.notEqual(page.node, node);
      assert.equal(page.body.match(/<li>/g)?.length ?? 0, before, `node ${page.node} reads the whole history`);
    }
  });
});

describe('the primary killed', () => {
  it('each process closes its pages (their close hooks run) and exits', async () => {
    const folder = scriptsFolder(CLUSTER_SCRIPTS);
    const cluster = await startCluster(folder.dir, 2);
    try {
      const pages = await onEveryNode(cluster.url, '/where', 2);
      const clients = await Promise.all(pages.map((p) => joinPage(cluster.url, p.pageId, p.cookie, 0, p.node)));
      cluster.child.kill('SIGKILL');
      // The processes still write to the pipe the test reads: their last words arrive.
      for (const page of pages) {
        await waitFor(() => cluster.output().includes(`closed page ${page.pageId} on ${page.node}`), 'its close hook');
      }
      for (const [i, client] of clients.entries()) {
        await client.next((f) => f.t === 'closed' && f.p === (pages[i] as Rendered).pageId);
        await client.close();
      }
      assert.match(cluster.output(), /the primary process is gone: closing pages and sockets/);
    } finally {
      folder.remove();
    }
  });
});

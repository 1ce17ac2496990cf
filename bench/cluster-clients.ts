// Chat pages for the cluster's broadcast figure, in their own process: renders `count` live
// pages of /chat (the cluster spreads the connections over its processes), joins each on the
// socket path its HTML names (/__pagewire/<node>/socket), and reports `ready` with how many pages
// each node holds. On `{ post: id }` the leader's first page posts; every process reports when
// its last page received post `id`.
import http from 'node:http';
import { WebSocket } from 'ws';
import { type LivePage, renderLivePage } from './live-page.js';

const [base, countText, leaderText] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);
const leader = leaderText === 'leader';
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const pages: Array<{ ws: WebSocket; pageId: string; node: string }> = [];
/** Pages that received each post, by its id. */
const received = new Map<number, number>();
let events = 0;
/** ms a page's join may take, even on a loaded machine. */
const JOIN_TIMEOUT = 15_000;

async function render(): Promise<LivePage & { node: string }> {
  const page = await renderLivePage(`${base}/chat`, agent);
  const node = /<p id="node">([^<]*)<\/p>/.exec(page.body)?.[1];
  if (node === undefined) throw new Error(`no chat page: ${page.body.slice(0, 200)}`);
  return { ...page, node };
}

async function open(): Promise<void> {
  const page = await render();
  const ws = new WebSocket(base.replace('http', 'ws') + page.socket, {
    headers: { cookie: page.cookie, origin: base },
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    // A join never answered would hold the bench for ever: it fails, and says which page.
    const late = setTimeout(() => reject(new Error(`page ${page.pageId} of node ${page.node}: no join`)), JOIN_TIMEOUT);
    ws.once('message', () => clearTimeout(late));
    ws.once('open', () => {
      ws.send(JSON.stringify({ t: 'join', p: page.pageId, a: 0 }));
      ws.once('message', () => resolve());
    });
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { t: string; n?: string; d?: { id?: number } };
    if (message.t !== 'push' || message.n !== 'post' || typeof message.d?.id !== 'number') return;
    const id = message.d.id;
    const pagesWithIt = (received.get(id) ?? 0) + 1;
    received.set(id, pagesWithIt);
    if (pagesWithIt === pages.length) process.send?.({ arrived: performance.timeOrigin + performance.now(), id });
  });
  pages.push({ ws, pageId: page.pageId, node: page.node });
}

// A few at a time: the server sees a steady stream, not one burst.
for (let i = 0; i < count; i += 25) await Promise.all(Array.from({ length: Math.min(25, count - i) }, open));
const nodes: Record<string, number> = {};
for (const { node } of pages) nodes[node] = (nodes[node] ?? 0) + 1;
process.send?.({ ready: pages.length, nodes });

process.on('message', (message: { post?: number; exit?: true }) => {
  if (message.post !== undefined && leader) {
    const first = pages[0] as (typeof pages)[number];
    const sentAt = performance.timeOrigin + performance.now();
    const post = { id: message.post, text: `post ${message.post}`, at: sentAt };
    first.ws.send(JSON.stringify({ t: 'ev', p: first.pageId, s: ++events, n: 'post', d: post }));
    process.send?.({ sentAt, id: message.post });
  } else if (message.exit) {
    for (const { ws } of pages) ws.terminate();
    process.exit(0);
  }
});

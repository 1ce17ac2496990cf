// Load clients for the scale figures, in their own process (a process may hold at most 20,000
// open files here). Opens `count` live pages (pagewire: render, socket, join) or raw sockets
// (ws), reports `ready`; on `broadcast` one of them asks its page (or the raw server) to
// broadcast, and every process reports when its last socket received it.
import http from 'node:http';
import { WebSocket } from 'ws';
import { renderLivePage } from './live-page.js';

const [kind, base, countText, leaderText] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const leader = leaderText === 'leader';
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const sockets: Array<{ ws: WebSocket; pageId: string }> = [];
let received = 0;
let lastArrival = 0;

const render = () => renderLivePage(`${base}/idle`, agent);

async function open(): Promise<void> {
  const page = kind === 'pagewire' ? await render() : { pageId: '', cookie: '', socket: '', body: '' };
  const url = base.replace('http', 'ws') + page.socket;
  const ws = new WebSocket(url, { headers: { cookie: page.cookie, origin: base }, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      if (kind !== 'pagewire') return resolve();
      ws.send(JSON.stringify({ t: 'join', p: page.pageId, a: 0 }));
      ws.once('message', () => resolve());
    });
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    if (!String(data).includes('"n":"news"')) return;
    lastArrival = performance.timeOrigin + performance.now();
    if (++received === sockets.length) process.send?.({ arrived: lastArrival });
  });
  sockets.push({ ws, pageId: page.pageId });
}

// A few at a time: the server sees a steady stream, not one burst.
for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, open));
process.send?.({ ready: sockets.length });

process.on('message', (message: string) => {
  if (message === 'broadcast' && leader) {
    const first = sockets[0] as { ws: WebSocket; pageId: string };
    const sentAt = performance.timeOrigin + performance.now();
    first.ws.send(JSON.stringify({ t: 'ev', p: first.pageId, s: 1, n: 'broadcast', d: sentAt }));
    process.send?.({ sentAt });
  } else if (message === 'exit') {
    for (const { ws } of sockets) ws.terminate();
    process.exit(0);
  }
});

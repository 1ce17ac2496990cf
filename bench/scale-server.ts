// A server for the scale figures, in its own process (`node --expose-gc --import tsx`):
// `pagewire` serves bench/scripts through `pagewire serve`'s handler, its scripts in worker
// threads as by default; `pagewire-in-thread` with `workers: 0`; `ws` is a raw ws server, the
// baseline. It answers `memory` over IPC with its memory after a full GC in every thread.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { pagewire } from '../lib/index.js';
import { collectGarbageEverywhere } from './collect-garbage.js';

const kind = process.argv[2];
const server = createServer();
let close = async () => {};
if (kind === 'pagewire' || kind === 'pagewire-in-thread') {
  const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
  const workers = kind === 'pagewire-in-thread' ? { workers: 0 } : {};
  const wire = pagewire({
    dir: path.join(import.meta.dirname, 'scripts'),
    logger: quiet,
    maxPendingPages: 20_000,
    ...workers,
  });
  server.on('request', wire.handler);
  wire.attach(server);
  close = () => wire.close();
} else {
  // The broadcast's baseline: any message makes the server send every socket what a page's
  // push frame holds (its own id and number), the same loop as Pagewire's without the pages.
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const ids = new WeakMap<object, string>();
  let seq = 0;
  wss.on('connection', (ws) => {
    ids.set(ws, randomBytes(16).toString('base64url'));
    ws.on('message', (data) => {
      const tail = `,"n":"news","d":${JSON.parse(String(data)).d}}`;
      seq++;
      for (const client of wss.clients) client.send(`{"t":"push","p":"${ids.get(client)}","s":${seq}${tail}`);
    });
  });
}
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

process.on('message', async (message: string) => {
  if (message === 'memory') {
    await collectGarbageEverywhere();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await collectGarbageEverywhere();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ memory: { rss, heapUsed } });
  } else if (message === 'exit') {
    await close();
    process.exit(0);
  }
});
process.send?.({ port: (server.address() as AddressInfo).port });

// A server for the scale figures, in its own process (`node --expose-gc --import tsx`):
// `pagewire` serves bench/scripts through `pagewire serve`'s handler, its scripts in worker
// threads as by default; `pagewire-in-thread` with `workers: 0`; `ws` is a raw ws server, the
// baseline. It answers `memory` over IPC with its memory after a full GC in every thread.
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
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', () => {});
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

// A server for the scale figures, in its own process (`node --expose-gc --import tsx`):
// `pagewire` serves bench/scripts through `pagewire serve`'s handler; `ws` is a raw ws server,
// the baseline. It answers `memory` over IPC with its memory after a full GC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { pagewire } from '../lib/index.js';

const kind = process.argv[2];
const server = createServer();
let close = async () => {};
if (kind === 'pagewire') {
  const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
  const wire = pagewire({ dir: path.join(import.meta.dirname, 'scripts'), logger: quiet, maxPendingPages: 20_000 });
  server.on('request', wire.handler);
  wire.attach(server);
  close = () => wire.close();
} else {
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', () => {});
}
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

const gc = (globalThis as { gc?: () => void }).gc as () => void;
process.on('message', async (message: string) => {
  if (message === 'memory') {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
    gc();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ memory: { rss, heapUsed } });
  } else if (message === 'exit') {
    await close();
    process.exit(0);
  }
});
process.send?.({ port: (server.address() as AddressInfo).port });

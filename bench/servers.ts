// Started as its own process by bench/run.ts: every server of the render comparison, on
// 127.0.0.1, so the load generator (another process) measures them one after another.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { pagewire } from '../lib/index.js';

const dir = path.join(import.meta.dirname, 'scripts');
const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
// Load generators never open the page socket: pages close after a short connect timeout so
// the process does not hold every page rendered during the run.
const options = { dir, logger: quiet, connectTimeout: 1000 };

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

// The same bytes as the live page, for the baselines: render it once.
const probe = pagewire(options);
const probeServer = createServer(probe.handler);
const probePort = await listen(probeServer);
const bytes = Buffer.from(await (await fetch(`http://127.0.0.1:${probePort}/live`)).text());
probeServer.close();
await probe.close();

const plain = express();
plain.get('/live', (_req, res) => {
  res.type('html').send(bytes);
});

const mounted = express();
const inExpress = pagewire(options);
mounted.use(inExpress);

// The default: a worker thread per core.
const standalone = pagewire(options);
const inThread = pagewire({ ...options, workers: 0 });
const oneWorker = pagewire({ ...options, workers: 1 });
const twoWorkers = pagewire({ ...options, workers: 2 });

const ports = {
  'node:http': await listen(
    createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': bytes.length });
      res.end(bytes);
    }),
  ),
  express: await listen(createServer(plain)),
  'pagewire in express': await listen(createServer(mounted)),
  'pagewire serve': await listen(createServer(standalone.handler)),
  'pagewire serve, scripts in its thread': await listen(createServer(inThread.handler)),
  'pagewire serve, 1 worker': await listen(createServer(oneWorker.handler)),
  'pagewire serve, 2 workers': await listen(createServer(twoWorkers.handler)),
};
console.log(JSON.stringify({ ports, page: bytes.toString() }));
// The bench asks how much CPU this process used, to say how the cores were shared.
process.on('message', () => {
  const { user, system } = process.cpuUsage();
  process.send?.((user + system) / 1000);
});
// Exit normally on a signal, so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));

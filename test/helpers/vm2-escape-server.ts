// Run in a child process by vm2-escapes.test.ts: an Express app serving a scripts folder with
// Pagewire (argv: the folder, the number of workers). Some tricks leave a rejection nobody
// handles, or a throw in a host callback, behind them; with `workers: 0` they reach this app's
// process, where the test runner would count them as its own failures. The app's policy here is
// to keep them (the README says a library leaves that policy to the app).
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pagewire } from '../../lib/index.js';
import { memoryLogger } from './fixtures.js';
import { PATIENT } from './server.js';
import { HOST_GLOBAL } from './vm2-escape-pocs.js';

const [dir, workers] = process.argv.slice(2);
if (dir === undefined || workers === undefined) throw new Error('usage: vm2-escape-server.ts <folder> <workers>');
const stray: string[] = [];
process.on('unhandledRejection', (reason) => void stray.push(`unhandled rejection: ${String(reason)}`));
process.on('uncaughtException', (error) => void stray.push(`uncaught exception: ${String(error)}`));

const log = memoryLogger();
// Some tricks overflow the stack with a stack trace at every frame: slow (seconds in a worker,
// whose stack is four times the main thread's), not stuck.
const slow = { watchdogTimeout: 120_000, renderTimeout: 120_000 };
const wire = pagewire({ dir, workers: Number(workers), logger: log, ...PATIENT, ...slow });
const app = express();
// What the test checks besides the pages: this thread's global (read once, then cleared, so that
// a test sees only what its own script did), and what was logged.
app.get('/__host-global', (_request, response) => {
  const host = globalThis as Record<string, unknown>;
  response.json({ value: host[HOST_GLOBAL] ?? null });
  delete host[HOST_GLOBAL];
});
app.get('/__log', (_request, response) => {
  response.type('text').send([...log.lines, ...stray].join('\n'));
});
app.use(wire);
const server = app.listen(0, '127.0.0.1', () => {
  wire.attach(server);
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});

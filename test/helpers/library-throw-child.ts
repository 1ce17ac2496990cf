// Run in a child process by callback-throws.test.ts: Pagewire as a library with `workers: 0`, in
// an app that listens for nothing process-wide (the test runner itself would catch what escapes).
// Prints `caught <event>` for each throw Pagewire caught; the last event is one it cannot catch.
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { pagewire } from '../../lib/index.js';
import { memoryLogger, waitFor } from './fixtures.js';
import { joinPage, renderLive } from './server.js';

const [dir, ...events] = process.argv.slice(2);
const reported: string[] = [];
const wire = pagewire({
  dir: dir as string,
  workers: 0,
  logger: memoryLogger(),
  onError: (_error, context) => void reported.push(`${context.code} ${context.line ?? ''}`),
});
const server = createServer(wire.handler);
wire.attach(server);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const bad = await renderLive(origin, '/bad');
const client = await joinPage(origin, bad.pageId, bad.cookie);
for (const event of events) {
  const before = reported.length;
  client.event(bad.pageId, event);
  await waitFor(() => reported.length > before, `the report of ${event}`);
  console.log(`caught ${event}: ${reported.at(-1)}`);
}
await client.close();
await wire.close();
server.close();

/**
 * The end of a page, in a real sandbox against a real local HTTP server that answers when the
 * test says: async close hooks settle before owned resources close, close hooks may fetch, and a
 * resource a script opens across an `await` during which its page closed is not leaked.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunnerToHost } from '../runner/messages.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { type HoldingServer, startHoldingServer, watchClose } from './helpers/holding-server.js';
import { RunnerHarness, getRequest } from './helpers/runner.js';

/** Appends a line to `<request.query.dir>/log`; `get(url)`: Node's own HTTP client, not the page's fetch. */
const HELPERS = `import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
const log = (line: string) => fs.appendFileSync(path.join(request.query.dir as string, 'log'), line + '\\n');
const get = (url: string) =>
  new Promise<number>((resolve, reject) => {
    http.get(url, (r) => r.resume().on('end', () => resolve(r.statusCode ?? 0))).on('error', reject);
  });
const { url, slow } = request.query as Record<string, string>;
`;

const folder = scriptsFolder({
  // An async close hook still uses the client the page owns: the client ends after it.
  'hook-uses-owned.ts': `${HELPERS}
page.own({ end: () => log('client ended') });
page.onClose(async () => {
  log('hook started');
  await get(url);
  log('hook ended');
});
page.onClose(() => log('second hook'));
function __serverSocketEvent() {}`,
  // Tells an API the user left, and starts a fetch nobody waits for.
  'fetch-on-close.ts': `${HELPERS}
page.onClose(() => {
  fetch(slow).then(
    () => log('slow answered'),
    (error: Error) => log(\`slow \${error.name}: \${error.message}\`),
  );
});
page.onClose(async () => {
  const response = await fetch(url, { method: 'POST', body: 'left' });
  log(\`told \${response.status} \${await response.text()}\`);
});
function __serverSocketEvent() {}`,
  // A close hook that never ends, and a resource waiting behind it.
  'stuck-hook.ts': `${HELPERS}
page.own({ close: () => log('resource closed') });
page.onClose(async () => {
  await fetch(slow).catch((error: Error) => log(\`fetch \${error.name}\`));
  await new Promise(() => {});
});
function __serverSocketEvent() {}`,
  // Opens a resource across an await during which the page closes.
  'own-late.ts': `${HELPERS}
const resource = { close: () => log('resource closed') };
// The page closes during this await; the request, the page's, is aborted then: the render goes on.
await get(url).catch(() => {});
for (const [what, call] of [
  ['own', () => page.own(resource)],
  ['onClose', () => page.onClose(() => log('late hook ran'))],
] as const) {
  try {
    call();
    log(\`\${what} accepted\`);
  } catch (error) {
    log(\`\${what}: \${(error as Error).message}\`);
  }
}
echo('done');`,
});
const harness = new RunnerHarness(folder.dir);

/** A server that answers /echo with the body it got, and holds every other request for the test. */
let peer: HoldingServer;
let base = '';
before(async () => {
  peer = await startHoldingServer();
  base = peer.base;
});
after(async () => {
  await harness.runner.close();
  await peer.close();
  folder.remove();
});

const isClosed = (pageId: string) => (m: RunnerToHost) => m.type === 'page-closed' && m.pageId === pageId;
const errorsOf = (pageId: string) =>
  harness.messages.filter((m) => m.type === 'script-error' && m.pageId === pageId).map((m) => JSON.stringify(m));

async function withLog(test: (query: Record<string, string>, log: () => string[]) => Promise<void>) {
  // In the scripts' dataDir: the one place where the file-system jail lets scripts write.
  mkdirSync(path.join(folder.dir, '_data'), { recursive: true });
  const dir = mkdtempSync(path.join(folder.dir, '_data', 'log-'));
  const file = path.join(dir, 'log');
  const log = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
  try {
    await test({ dir }, log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function live(script: string, query: Record<string, string>) {
  const { pageId, result } = await harness.render(script, { query });
  assert.equal(result.type, 'rendered', JSON.stringify(result));
  return pageId;
}

const close = (pageId: string, reason: 'closed-by-client' | 'render-failed' = 'closed-by-client') =>
  harness.runner.post({ type: 'close-pages', pageIds: [pageId], reason });

describe('the close of a page', () => {
  it('closes owned resources only once every close hook settled', async () => {
    await withLog(async (query, log) => {
      const pageId = await live('hook-uses-owned.ts', { ...query, url: `${base}/hook` });
      close(pageId);
      const hook = await peer.held('/hook');
      // The hook's query is on its way: the client it uses is still open.
      assert.deepEqual(log(), ['hook started', 'second hook']);
      assert.equal(harness.messages.some(isClosed(pageId)), false);
      hook.response.end();
      await harness.next(isClosed(pageId));
      assert.deepEqual(log(), ['hook started', 'second hook', 'hook ended', 'client ended']);
      assert.deepEqual(errorsOf(pageId), []);
    });
  });

  it('lets close hooks fetch, and aborts what they started when they settled', async () => {
    await withLog(async (query, log) => {
      const pageId = await live('fetch-on-close.ts', { ...query, url: `${base}/echo`, slow: `${base}/on-close` });
      close(pageId);
      await harness.next(isClosed(pageId));
      assert.deepEqual(errorsOf(pageId), []);
      await waitFor(() => log().length === 2, 'both fetches to end');
      assert.deepEqual(log().sort(), [
        'slow AbortError: the close hooks of the page that started this fetch ended',
        'told 200 left',
      ]);
    });
  });

  it('closes what is left when a close hook does not settle in time, and aborts its fetch', async () => {
    await withLog(async (query, log) => {
      const pageId = await live('stuck-hook.ts', { ...query, slow: `${base}/stuck` });
      close(pageId);
      const aborted = watchClose((await peer.held('/stuck')).request);
      // The close timeout is 10 s; the page is reported closed then, not before.
      await harness.next(isClosed(pageId), 60_000);
      await waitFor(() => aborted(), "the hook's fetch to be aborted");
      await waitFor(() => log().length === 2, 'the resource to close and the fetch to fail');
      assert.deepEqual(log().sort(), ['fetch AbortError', 'resource closed']);
      assert.match(errorsOf(pageId).join('\n'), /did not finish within 10000 ms/);
    });
  });

  it('closes a resource owned after the page closed during an await, and says why it refused it', async () => {
    await withLog(async (query, log) => {
      const pageId = 'own-late'.padEnd(22, 'x');
      const request = getRequest({ query: { ...query, url: `${base}/own-late` } });
      harness.runner.post({ type: 'render', script: 'own-late.ts', pageId, request });
      const { response } = await peer.held('/own-late');
      // As the host does when the render outlives renderTimeout.
      close(pageId, 'render-failed');
      await harness.next(isClosed(pageId));
      response.end();
      await harness.next((m) => m.type === 'rendered' && m.pageId === pageId);
      const [closed, own, onClose, ...rest] = log();
      assert.equal(closed, 'resource closed');
      assert.match(own ?? '', /^own: page\.own\(\): this page is already closed .* the resource was closed now/);
      assert.match(own ?? '', /page\.own\(client\) before await client\.connect\(\)/);
      assert.match(onClose ?? '', /^onClose: page\.onClose\(\): this page is already closed .*it was not run/);
      assert.deepEqual(rest, []);
    });
  });
});

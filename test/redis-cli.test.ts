/**
 * `pagewire serve --redis URL` as a user runs it (the CLI from dist/): a cluster whose processes
 * keep `shared` in Redis under `--redis-prefix`, and a Redis that cannot be reached at start-up:
 * a clear message and exit code 1, never a hang.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CLUSTER_SCRIPTS, type ClusterServer, onEveryNode, startCluster } from './helpers/cluster-server.js';
import { FAILURE_REPORT_MS, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { freePort } from './helpers/free-port.js';
import { type RedisServer, startRedis } from './helpers/redis.js';
import { joinPage, type SocketClient } from './helpers/server.js';

const root = path.join(import.meta.dirname, '..');
const folder = scriptsFolder(CLUSTER_SCRIPTS);
let redis: RedisServer;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.remove();
  folder.remove();
});

/** Runs the CLI to its end; resolves with its exit code and everything it printed. */
function runToExit(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bin/pagewire.js', ...args], { cwd: root, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const report = setTimeout(() => child.kill('SIGKILL'), FAILURE_REPORT_MS);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(report);
      resolve({ code, output });
    }),
  );
}

describe('pagewire serve --redis', () => {
  let cluster: ClusterServer;
  after(async () => {
    await cluster?.stop();
  });

  it('keeps the shared data of every process in Redis, under --redis-prefix', async () => {
    cluster = await startCluster(folder.dir, 2, ['--redis', redis.url, '--redis-prefix', 'site-1:']);
    const pages = await onEveryNode(cluster.url, '/chat', 2);
    const clients = await Promise.all(pages.map((p) => joinPage(cluster.url, p.pageId, p.cookie, 0, p.node)));
    for (const [i, page] of pages.entries())
      (clients[i] as SocketClient).event(page.pageId, 'post', `from ${page.node}`);
    for (const [i, client] of clients.entries()) {
      const pageId = pages[i]?.pageId;
      const heard = () => client.frames.filter((f) => f.n === 'post' && f.p === pageId).map((f) => f.d);
      await waitFor(() => heard().length >= 2, 'both posts');
      assert.deepEqual(heard().sort(), pages.map((page) => `from ${page.node}`).sort(), 'each post once');
      await client.close();
    }
    const probe = new Redis(redis.url);
    const kept = await probe.lrange('site-1:shared:chat', 0, -1);
    probe.disconnect();
    assert.deepEqual(kept.map((text) => JSON.parse(text)).sort(), pages.map((page) => `from ${page.node}`).sort());
    assert.match(cluster.output(), /with 2 processes; shared in Redis at redis:\/\/127\.0\.0\.1:\d+\n/);
    // Said once, by the command, not by each of its processes.
    assert.equal(cluster.output().split('--redis without PAGEWIRE_SESSION_SECRET').length - 1, 1);
  });

  it('exits 1 at once, saying where and how to fix it, when Redis cannot be reached', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const { code, output } = await runToExit([
      'serve',
      folder.dir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--redis',
      url,
    ]);
    assert.equal(code, 1);
    assert.match(
      output,
      new RegExp(`cannot use Redis at redis://127\\.0\\.0\\.1:${port}/? \\(.*ECONNREFUSED.*--redis URL`),
    );
    assert.doesNotMatch(output, /is serving/);
  });

  it('takes the URL from PAGEWIRE_REDIS_URL, and never shows its password', async () => {
    const port = await freePort();
    const env = { PAGEWIRE_REDIS_URL: `redis://:the-password@127.0.0.1:${port}/?password=in-the-query` };
    const { code, output } = await runToExit(['serve', folder.dir, '--port', '0', '--host', '127.0.0.1'], env);
    assert.equal(code, 1);
    assert.match(output, new RegExp(`cannot use Redis at redis://127\\.0\\.0\\.1:${port} \\(`));
    assert.doesNotMatch(output, /the-password|in-the-query/);
  });

  it("refuses --redis-prefix without --redis, and a URL that is not Redis's", async () => {
    const alone = await runToExit(['serve', folder.dir, '--port', '0', '--redis-prefix', 'x:']);
    assert.equal(alone.code, 1);
    assert.match(alone.output, /--redis-prefix goes with --redis URL/);
    const http = await runToExit(['serve', folder.dir, '--port', '0', '--redis', 'http://127.0.0.1:6379']);
    assert.equal(http.code, 1);
    assert.match(http.output, /'redis' must be a Redis URL/);
  });
});

/**
 * Machines of one site, as the README's "Running on several machines" has them: each an Express
 * app with Pagewire mounted, its own node id, the site's Redis and session secret
 * (test/helpers/machine-app.ts, a real process on a free port of 127.0.0.1), and nginx in front
 * running the config `pagewire proxy-config nginx` prints for them (proxied-nodes.ts).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ClusterServer } from './cluster-server.js';
import { FAILURE_REPORT_MS, waitFor } from './fixtures.js';
import { type ProxiedNode, SITE_SECRET } from './proxied-nodes.js';

/** `machine-app.ts <dir> <id> <redis>` on a free port; resolves once it listens. */
export async function startMachine(dir: string, id: string, redis: string): Promise<ProxiedNode> {
  const app = path.join(import.meta.dirname, 'machine-app.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', app, dir, id, redis, '0'], {
    env: { ...process.env, PAGEWIRE_SESSION_SECRET: SITE_SECRET },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let port = '';
  await waitFor(() => {
    port = new RegExp(`node ${id} listening on (\\d+)`).exec(output)?.[1] ?? '';
    return port !== '' || child.exitCode !== null;
  }, `machine ${id} to listen`);
  if (port === '') throw new Error(`machine ${id} exited: ${output}`);
  const server: ClusterServer = {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      const report = setTimeout(() => child.kill('SIGKILL'), FAILURE_REPORT_MS);
      const code = await exited;
      clearTimeout(report);
      return code;
    },
  };
  return { id, address: `127.0.0.1:${port}`, server };
}

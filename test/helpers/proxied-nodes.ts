/**
 * Several `pagewire serve --node <id>` machines (real CLI processes on free ports of 127.0.0.1,
 * one session secret) behind a real nginx running the very config `pagewire proxy-config nginx`
 * prints for them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type ClusterServer, startCluster } from './cluster-server.js';
import { type Nginx, type NginxStart, startNginxWith } from './nginx.js';

const root = path.join(import.meta.dirname, '..', '..');

/** One secret for every node, as the README asks: a cookie one node issued, every other verifies. */
export const SITE_SECRET = process.env.PAGEWIRE_SESSION_SECRET ?? randomBytes(32).toString('base64');
// The CLI nodes it starts read it from the environment.
process.env.PAGEWIRE_SESSION_SECRET = SITE_SECRET;

export interface ProxiedNode {
  id: string;
  /** `127.0.0.1:<port>`, where it listens. */
  address: string;
  server: ClusterServer;
}

/** `pagewire serve <dir> --node <id> --trust-proxy [--processes N] [args...]`, on a free port. */
export async function startNode(dir: string, id: string, processes = 1, args: string[] = []): Promise<ProxiedNode> {
  const server = await startCluster(dir, processes, ['--node', id, '--trust-proxy', ...args]);
  return { id, address: new URL(server.url).host, server };
}

/** What `pagewire proxy-config nginx` prints for `nodes`, nginx listening on 127.0.0.1:`port`. */
export function generatedConfig(nodes: readonly ProxiedNode[], port: number): string {
  const args = nodes.flatMap((node) => ['--node', `${node.id}=${node.address}`]);
  const result = spawnSync(
    process.execPath,
    ['bin/pagewire.js', 'proxy-config', 'nginx', ...args, '--listen', `127.0.0.1:${port}`],
    { cwd: root, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`pagewire proxy-config failed: ${result.stderr}`);
  return result.stdout;
}

/** nginx in front of `nodes`, on a free port; `reload` it with another set of nodes. */
export function nginxInFront(
  nodes: readonly ProxiedNode[],
  start: Omit<NginxStart, 'reloadable'> = {},
): Promise<Nginx> {
  return startNginxWith((port) => generatedConfig(nodes, port), { ...start, reloadable: true });
}

/** The config regenerated for `nodes`, and `nginx -s reload`: an operator adding a machine. */
export function reloadFor(nginx: Nginx, nodes: readonly ProxiedNode[]): Promise<void> {
  return nginx.reload((port) => generatedConfig(nodes, port));
}

/** Stops a node that may have been killed already. */
export async function stopNode(node: ProxiedNode | undefined): Promise<void> {
  if (!node) return;
  if (node.server.child.exitCode !== null || node.server.child.signalCode !== null) return;
  await node.server.stop();
}

/**
 * The socket and status paths of pages rendered by a Pagewire instance in this process: they
 * carry its node id (`/__pagewire/<node>/socket`), one per process unless the `node` option
 * says otherwise. A server in another process has its own: read it from the page's tag.
 */
import { processNodeId } from '../../lib/cluster/node-id.js';
import { socketPath, statusPath } from '../../lib/http/mount.js';

export const OWN_NODE = processNodeId();
export const SOCKET = socketPath(OWN_NODE);
export const STATUS = statusPath(OWN_NODE);

/** The socket path a rendered page's tag names (`data-pagewire-socket`), under its mount path. */
export function socketPathIn(html: string): string {
  const path = /data-pagewire-socket="([^"]+)"/.exec(html)?.[1];
  if (path === undefined) throw new Error(`no live page's tag in: ${html.slice(0, 300)}`);
  return path;
}

/**
 * Node ids: which process serves a page. A live page's socket and status paths carry its node
 * (`/__pagewire/<node>/socket`), so that whatever routes requests (the cluster's primary, a
 * reverse proxy matching a path prefix) can bring the socket to the process that holds the page,
 * without knowing the application's cookies.
 */
import { randomBytes } from 'node:crypto';
import { CLUSTER_ENV } from './cluster-env.js';

/** What a node id may be: it is written into URLs and matched by proxies' path rules. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

let own: string | undefined;

/**
 * This process's node id: the one the cluster's primary gave it, or one made once per process
 * (random, so that a restarted server never takes the sockets of the pages the last one had:
 * they name a node that is gone, and expire).
 */
export function processNodeId(): string {
  if (own !== undefined) return own;
  const given = process.env[CLUSTER_ENV.node];
  own = given !== undefined && NODE_ID_PATTERN.test(given) ? given : randomBytes(6).toString('base64url');
  return own;
}

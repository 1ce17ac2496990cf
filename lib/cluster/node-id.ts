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

/**
 * The longest node id a machine may have when it runs several processes (`--node n1 --processes
 * N`): each process is `<node>-<n>`, n counting up for every replacement, and must still match
 * NODE_ID_PATTERN. Nine digits of n: a billion processes started.
 */
export const MAX_MACHINE_NODE_LENGTH = 64 - '-'.length - 9;

/** The node id of a machine's n-th process. */
export function processOfMachine(machine: string, n: number): string {
  return `${machine}-${n}`;
}

/** What is wrong with `node` as a machine's node id (`--node`), or `undefined` when nothing is. */
export function machineNodeProblem(node: string, processes: number): string | undefined {
  if (!NODE_ID_PATTERN.test(node)) return `1 to 64 letters, digits, _ or - (it is written into URLs), got '${node}'`;
  if (processes > 1 && node.length > MAX_MACHINE_NODE_LENGTH) {
    return (
      `at most ${MAX_MACHINE_NODE_LENGTH} characters with --processes, so that its processes' ids ` +
      `('${node.slice(0, 8)}…-1', '-2', ...) stay within 64; got ${node.length}`
    );
  }
  return undefined;
}

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

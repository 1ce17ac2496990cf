/**
 * What one process of a cluster asks of the others: whether a node is one of them, which of its
 * pages still live, and to take a page socket that reached the wrong process. A process that
 * serves alone has no peers (`NO_PEERS`); the cluster's (`cluster-link.ts`) go through its
 * primary.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The pages a status request names, for the sessions the browser's cookies carry. */
export interface PageQuery {
  sessions: string[];
  pageIds: string[];
}

export interface Peers {
  /** Whether `node` names a live process of this cluster other than this one. */
  has(node: string): boolean;
  /**
   * Which of the pages live on `node` (its status endpoint's answer). Rejects when the node is
   * gone or does not answer within a bound: the browser asks again.
   */
  livePages(node: string, query: PageQuery): Promise<string[]>;
  /** The browser left these pages of `node` (a beacon): they close there. */
  leave(node: string, query: PageQuery): void;
  /**
   * Gives an upgrade of `node`'s socket path to its process, which answers it as if it had
   * reached it first; false when it cannot be handed over (the node is gone, or the socket is
   * not a plain TCP one).
   */
  handOver(node: string, req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export const NO_PEERS: Peers = Object.freeze({
  has: () => false,
  livePages: () => Promise.reject(new Error('this process serves alone: no other node')),
  leave: () => {},
  handOver: () => false,
});

/**
 * What Pagewire's cluster primary and its processes say to each other over Node's cluster IPC
 * (plain JSON; a socket handed over travels as the message's handle). Every message carries
 * `pw`, so that the app's own messages on the same channel are left alone.
 */
import type { SharedAnswer, SharedOp } from '../shared/shared-op.js';
import type { PageQuery } from './peers.js';

/** A message for every instance serving a scripts folder, in every other process. */
export type BusMessage =
  /** `page.channel(name).publish(data)` or `wire.publish`: to every subscriber. */
  | { kind: 'publish'; channel: string; data: string }
  /** `page.broadcast(name, data)`: to every live page of `script`. */
  | { kind: 'broadcast'; script: string; name: string; data: string };

/** A question to the process holding `node`'s pages; answered with the live ones. */
export type PageAsk = { kind: 'live' | 'leave'; query: PageQuery };

export type ToPrimary =
  /** A page socket of another node: the socket is the message's handle. */
  | { pw: 'hand-over'; node: string; head: string }
  | { pw: 'ask'; id: number; node: string; ask: PageAsk }
  /** The answer to a relayed `ask` (the primary's id). */
  | { pw: 'answer'; id: number; live: string[] }
  /** For every other process; `dir`: the scripts folder of the instances it is for. */
  | { pw: 'bus'; dir: string; message: BusMessage }
  /** A `shared` operation on the store of `dir`'s instances, bounded to `maxBytes` (`maxSharedBytes`). */
  | { pw: 'shared'; id: number; dir: string; maxBytes: number; op: SharedOp };

export type ToProcess =
  /** The live nodes of the cluster, this one included: sent whenever one comes or goes. */
  | { pw: 'nodes'; nodes: string[] }
  /** A page socket of this node, handed over: `head`, the request as read, base64. */
  | { pw: 'hand-over'; head: string }
  | { pw: 'ask'; id: number; ask: PageAsk }
  /** `error`: the node did not answer (it is gone). */
  | { pw: 'answer'; id: number; live: string[] }
  | { pw: 'answer'; id: number; error: string }
  | { pw: 'bus'; dir: string; message: BusMessage }
  | { pw: 'shared-answer'; id: number; answer: SharedAnswer };

/** Whether `message` (anything the IPC channel carried) is one of Pagewire's, by its `pw` tag. */
export function isClusterMessage<T extends { pw: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { pw?: unknown }).pw === 'string';
}

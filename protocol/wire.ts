/**
 * The messages exchanged between the browser client and the server over the page socket.
 * Shared by `lib/` (server) and `client/` (browser): change both sides together.
 *
 * Every frame is one JSON object. `p` is a page id; `d` is any JSON value.
 *
 * Delivery is exactly once, in order, across reconnections. Each side numbers the messages it
 * sends for a page (`s`, from 1) and keeps them until the other side acknowledges them (`a`:
 * the highest number received, in order). On reconnection the client re-joins with what it
 * received, the server answers with what it received, and each side sends again what the
 * other has not seen; a receiver drops any number it has seen already.
 */

/** Sent by the browser. */
export type ClientMessage =
  /** Bind this socket to a page the browser rendered; `a`: the last push received. */
  | { t: 'join'; p: string; a: number }
  /** A client event: raises `__serverSocketEvent(n, d)` in the page's script instance. */
  | { t: 'ev'; p: string; s: number; n: string; d?: unknown }
  /** Acknowledges pushes up to `a`. */
  | { t: 'ack'; p: string; a: number }
  /** The document is going away for good (`pagehide`, not persisted): close the page now. */
  | { t: 'bye'; p: string }
  /** Heartbeat: the server answers `pong`. A client that hears nothing reconnects. */
  | { t: 'ping' };

/** Sent by the server. */
export type ServerMessage =
  /** The page is bound to this socket; `a`: the last client event received. Replays follow. */
  /** `final`: the page closed while the browser was away; its last pushes and `closed` follow. */
  | { t: 'joined'; p: string; a: number; final?: true }
  /** A server event, from `server_socket_event(n, d)` or `page.broadcast(n, d)`; `a` acks events. */
  | { t: 'push'; p: string; s: number; n: string; d: unknown; a?: number }
  /** Acknowledges client events up to `a`. */
  | { t: 'ack'; p: string; a: number }
  /** The page's instance is gone; `reason` says why. */
  | { t: 'closed'; p: string; reason: string }
  | { t: 'pong' }
  /** Something went wrong: a refused message, or (in dev) an error in the page's script. */
  | { t: 'error'; p?: string; code: string; message: string; detail?: string };

/** Event names a server push cannot use, because the client raises them itself. */
export const RESERVED_EVENT_NAMES: readonly string[] = ['open', 'close', 'reconnecting', 'error', 'closed', 'expired'];

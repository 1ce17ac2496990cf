/**
 * The messages exchanged between the browser client and the server over the page socket.
 * Shared by `lib/` (server) and `client/` (browser): change both sides together.
 *
 * Every frame is one JSON object. `p` is a page id; `d` is any JSON value.
 */

/** Sent by the browser. */
export type ClientMessage =
  /** Bind this socket to a page the browser rendered. */
  | { t: 'join'; p: string }
  /** A client event: raises `__serverSocketEvent(n, d)` in the page's script instance. */
  | { t: 'ev'; p: string; n: string; d?: unknown }
  /** The document is going away for good (`pagehide`, not persisted): close the page now. */
  | { t: 'bye'; p: string };

/** Sent by the server. */
export type ServerMessage =
  /** The page is bound to this socket; pushes buffered meanwhile follow. */
  | { t: 'joined'; p: string }
  /** A server event, from `server_socket_event(n, d)` or `page.broadcast(n, d)`. */
  | { t: 'push'; p: string; n: string; d: unknown }
  /** The page's instance is gone; `reason` says why. */
  | { t: 'closed'; p: string; reason: string }
  /** Something went wrong: a refused message, or (in dev) an error in the page's script. */
  | { t: 'error'; p?: string; code: string; message: string; detail?: string };

/** Event names a server push cannot use, because the client raises them itself. */
export const RESERVED_EVENT_NAMES: readonly string[] = ['open', 'close', 'reconnecting', 'error', 'closed'];

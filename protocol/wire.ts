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
 * other has not seen; a receiver drops any number it has seen already (`sequence.ts`).
 */
import type { UploadErrorCode, UploadFileInfo } from './uploads.js';

/** Why a page's script instance ended. */
export type CloseReason =
  | 'closed-by-script'
  | 'closed-by-client'
  | 'never-connected'
  | 'disconnected'
  | 'render-failed'
  | 'shutdown'
  | 'reloaded'
  | 'deleted'
  | 'idle'
  | 'overflow'
  | 'evicted'
  | 'crashed'
  /**
   * The page's context (`pagewire({ context })`) is no longer the browser's: another user, or
   * signed out, seen when its socket joined; or the app closed it (`wire.closePages`). It reloads,
   * and the app's own login redirect takes over.
   */
  | 'unauthorized'
  /** Said by the client itself: the server no longer knows the page (it expired, or restarted). */
  | 'expired';

/**
 * Reasons after which the page stays as it is: the script or the person meant it to end. After
 * any other reason the page cannot go on as it was, and reloads (unless a listener of `expired`
 * prevents it).
 */
export const FINAL_CLOSE_REASONS: ReadonlySet<CloseReason> = new Set<CloseReason>([
  'closed-by-script',
  'closed-by-client',
  'idle',
]);

/** Why the server refused a socket message. */
export type RefusalCode =
  | 'UNKNOWN_PAGE'
  | 'NOT_JOINED'
  | 'BAD_SEQUENCE'
  | 'BAD_MESSAGE'
  | 'RATE_LIMITED'
  | 'QUEUE_FULL'
  /** The app's `context` function failed for this socket's request: no page can join on it. */
  | 'CONTEXT_FAILED'
  /**
   * The page's first join found another context than its render had: it closes (`unauthorized`)
   * and, never joined, does not reload (a configuration slip would reload it for ever).
   */
  | 'CONTEXT_CHANGED';

/** A script error's code: where in a script's life it happened. */
export type ScriptErrorCode =
  | 'COMPILE_ERROR'
  | 'LOAD_ERROR'
  | 'SCRIPT_NOT_FOUND'
  | 'RENDER_ERROR'
  | 'RENDER_TIMEOUT'
  | 'EVENT_ERROR'
  | 'TIMER_ERROR'
  | 'CLOSE_ERROR'
  | 'CHANNEL_ERROR'
  | 'SCRIPT_STUCK'
  /** The script took its worker's memory past `maxWorkerMemoryBytes`. */
  | 'SCRIPT_OUT_OF_MEMORY'
  /** The script made a worker stuck or run out of memory lately: refused for a while (503, an error frame). */
  | 'SCRIPT_QUARANTINED'
  | 'UNHANDLED_REJECTION'
  | 'UNCAUGHT_EXCEPTION'
  | 'NO_WORKER'
  | 'WORKER_STOPPED'
  | 'WORKER_START_FAILED';

/**
 * Raised by the client itself: the page's worker thread was ended; the page reloaded too many
 * times in a row without joining, and stopped reloading.
 */
export type ClientErrorCode =
  | 'INSTANCE_CRASHED'
  | 'RELOAD_LOOP'
  /** A declarative event (`pw-submit`...) whose data is larger than the server accepts: not sent. */
  | 'EVENT_TOO_LARGE';

/** Every code an `error` event of `document.serverSocket` may carry. */
export type ErrorCode = RefusalCode | ScriptErrorCode | ClientErrorCode | UploadErrorCode;

/** Sent by the browser. */
export type ClientMessage =
  /** Bind this socket to a page the browser rendered; `a`: the last push received. */
  | { t: 'join'; p: string; a: number }
  /**
   * A client event: raises `__serverSocketEvent(n, d)` in the page's script instance. `k`: its
   * coalescing key ("latest wins": one field's `pw-input`/`pw-change`): an event with the same
   * `k` that has not started yet is replaced by this one (it is still acknowledged).
   */
  | { t: 'ev'; p: string; s: number; n: string; d?: unknown; k?: string }
  /** Acknowledges pushes up to `a`. */
  | { t: 'ack'; p: string; a: number }
  /** The document is going away for good (`pagehide`, not persisted): close the page now. */
  | { t: 'bye'; p: string }
  /** Heartbeat: the server answers `pong`. A client that hears nothing reconnects. */
  | { t: 'ping' }
  /** Declares (or, after a reconnection, resumes) upload `u` of name `n`: protocol/uploads.ts. */
  | { t: 'up'; p: string; u: string; n: string; f: UploadFileInfo[] }
  /** Cancels upload `u` (an `AbortSignal` of `serverSocket.upload`): its unfinished files go. */
  | { t: 'upc'; p: string; u: string };

/** The longest coalescing key (`ev`'s `k`) the server accepts; the client sends none longer. */
export const MAX_COALESCING_KEY = 200;

/** A client event, as sent and as kept until the server acknowledges it. */
export type EventMessage = Extract<ClientMessage, { t: 'ev' }>;

/** Sent by the server. */
export type ServerMessage =
  /**
   * The page is bound to this socket; `a`: the last client event received. Replays follow.
   * `final`: the page closed while the browser was away; its last pushes and `closed` follow.
   */
  | { t: 'joined'; p: string; a: number; final?: true }
  /** A server event, from `server_socket_event(n, d)` or `page.broadcast(n, d)`; `a` acks events. */
  | { t: 'push'; p: string; s: number; n: string; d: unknown; a?: number }
  /** Acknowledges client events up to `a`. */
  | { t: 'ack'; p: string; a: number }
  /**
   * The script has handled client event `s` (its `__serverSocketEvent` returned, or its promise
   * settled; or the event was replaced by a newer one with its `k`). Sent after the handler's pushes.
   */
  | { t: 'done'; p: string; s: number }
  /** The page's instance is gone; `reason` says why. */
  | { t: 'closed'; p: string; reason: CloseReason }
  | { t: 'pong' }
  /** Upload `u` accepted or resumed: `o`, the bytes the server has of each file (protocol/uploads.ts). */
  | { t: 'up'; p: string; u: string; o: number[] }
  /** The server has `o` bytes of upload `u`'s file `f` (the file is complete and checked when `o` is its size). */
  | { t: 'upa'; p: string; u: string; f: number; o: number }
  /** Upload `u` refused before its bytes, or failed on the way: nothing more of it is taken. */
  | { t: 'upx'; p: string; u: string; code: UploadErrorCode; message: string }
  /** Something went wrong: a refused message, or (in dev) an error in the page's script. */
  | { t: 'error'; p?: string; code: ErrorCode; message: string; detail?: string };

/** Event names a server push cannot use, because the client raises them itself. */
export const RESERVED_EVENT_NAMES: readonly string[] = ['open', 'close', 'reconnecting', 'error', 'closed', 'expired'];

/**
 * Names starting with this are Pagewire's own pushes (`pw:dom`): `server_socket_event` and
 * `page.broadcast` refuse them, and the client never dispatches them to listeners.
 */
export const RESERVED_EVENT_PREFIX = 'pw:';

/** Whether a script may not push an event of this name: the client's own, or Pagewire's (`pw:`). */
export function isReservedEventName(name: string): boolean {
  return name.startsWith(RESERVED_EVENT_PREFIX) || RESERVED_EVENT_NAMES.includes(name);
}

/** The push that carries server-driven DOM updates: its data is a `DomOp[]`, applied in order, at once. */
export const DOM_UPDATES_EVENT = 'pw:dom';

/**
 * One DOM update (`page.update(selector, html)` and the rest): `html` is markup the prelude already
 * escaped as a render would; `url` (navigate) is relative or same-origin, checked on both sides.
 */
export type DomOp =
  | { op: 'update' | 'replace' | 'append' | 'prepend'; selector: string; html: string }
  | { op: 'remove'; selector: string }
  | { op: 'navigate'; url: string }
  /**
   * A view's new inner HTML (`page.view`, the `<pw-view id>` wrapper stays): whole (`html`, which
   * becomes the base the browser keeps for the view), or as `edits` of the base (protocol/view-edits.ts),
   * whose result must hash to `hash`; the prelude sends whichever is smaller.
   */
  | { op: 'view'; id: string; html: string }
  | { op: 'view'; id: string; edits: ViewEdit[]; hash: number };

/** One step of a view's edits: copy this many characters of the base (> 0), skip them (< 0), or insert a string. */
export type ViewEdit = number | string;

/**
 * The client event a browser sends when a view's edits did not apply (no base, or a result with
 * another hash): the prelude sends the view whole next. Its data: `{ id }`. Like every `pw:` name,
 * it never reaches the script's `__serverSocketEvent`.
 */
export const VIEW_RESEND_EVENT = 'pw:view';

import { Inbox, Outbox } from '../../protocol/sequence.js';
import type { CloseReason } from '../../protocol/wire.js';
import type { Frame, PushTail } from '../socket/frames.js';

/** The one thing the pages need of a socket: a way to send it a frame. */
export interface PageSocket {
  send(frame: Frame): void;
}

/**
 * rendering -> pending -> connected <-> disconnected -> closing -> gone. `closing`: out of every
 * index (limits and broadcasts no longer count it), its instance ending in the runner.
 */
export type PageState = 'rendering' | 'pending' | 'connected' | 'disconnected' | 'closing';

/**
 * Where a page was rendered: the mount path (`req.baseUrl`, `''` on `node:http`), which its socket
 * comes back under (`<base>/__pagewire/socket`), and the app that served it (Express's, whose
 * request prototypes the socket's upgrade request gets; `undefined` on `node:http`). Kept by the
 * page: an instance's mounts are those of its live pages, never what browsers send.
 */
export interface PageMount {
  readonly base: string;
  readonly app: object | undefined;
}

/** Mounted at the root of a plain `node:http` server. */
export const ROOT_MOUNT: PageMount = { base: '', app: undefined };

/** The host's record of one page. */
export interface PageEntry {
  /** A script instance, or (dev) an error page waiting for a file to change: no instance. */
  readonly kind: 'page' | 'watcher';
  readonly id: string;
  readonly session: string;
  readonly script: string;
  readonly mount: PageMount;
  /** The page that owns it (a component's, a fragment's document: components.ts): it ends with it. */
  owner: string | undefined;
  /**
   * What the app's `context` option made of the request that rendered it (a clone): its socket's
   * context must be the same, and `wire.closePages` is shown it. Set once, when it renders.
   */
  context: object;
  state: PageState;
  /** Why it is closing, once it is: a page closed `unauthorized` sends nothing more to its socket. */
  closeReason: CloseReason | undefined;
  socket: PageSocket | undefined;
  /** The grace period's timer, while disconnected. */
  graceTimer: NodeJS.Timeout | undefined;
  /** Pushes numbered and kept until the browser acknowledges them. */
  readonly pushes: Outbox<PushTail>;
  /** Client events taken, each number once. */
  readonly events: Inbox;
  /** The last client event acknowledged to the browser. */
  ackedEvents: number;
  /** The numbers of the last client events handled (event-done.ts): sent again after a reconnection. */
  recentDones: number[];
  /** When it started waiting for its first connection (`performance.now()`), while pending. */
  pendingSince: number;
  /** ms to wait for the browser after the socket drops. */
  grace: number;
  /** Pushes and bytes kept when the socket dropped: the bound applies to what came after. */
  pushesAtDrop: number;
  bytesAtDrop: number;
  /** `Date.now()` of its last client event (or join), for `idleTimeout`. */
  lastActivity: number;
}

export function newPageEntry(
  kind: PageEntry['kind'],
  id: string,
  session: string,
  script: string,
  grace: number,
  onPushBytes: (delta: number) => void,
  mount: PageMount = ROOT_MOUNT,
): PageEntry {
  return {
    kind,
    id,
    session,
    script,
    mount,
    owner: undefined,
    context: {},
    state: 'rendering',
    closeReason: undefined,
    socket: undefined,
    graceTimer: undefined,
    pushes: new Outbox<PushTail>(onPushBytes),
    events: new Inbox(),
    ackedEvents: 0,
    recentDones: [],
    pendingSince: 0,
    grace,
    pushesAtDrop: 0,
    bytesAtDrop: 0,
    lastActivity: Date.now(),
  };
}

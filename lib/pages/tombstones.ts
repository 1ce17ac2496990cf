import type { Outbox } from '../../protocol/sequence.js';
import type { CloseReason } from '../../protocol/wire.js';
import type { PushTail } from '../socket/frames.js';
import type { PageEntry, PageMount } from './page-entry.js';

/**
 * What is left of a page its script ended (`page.close()`, or `idleTimeout`) while its browser
 * was away, with pushes it was not sent: the browser re-joins and gets them, then `closed`,
 * instead of an unknown page and a reload.
 */
export interface Tombstone {
  readonly id: string;
  readonly session: string;
  /** Where the page was rendered: its browser comes back for the pushes under this mount. */
  readonly mount: PageMount;
  /** The page's context: a browser whose context changed since is not brought its pushes. */
  readonly context: object;
  /** The last client event the page took. */
  readonly lastEvent: number;
  /** The page's own outbox, handed over: its bytes stay counted in the push budget. */
  readonly pushes: Outbox<PushTail>;
  readonly reason: CloseReason;
  readonly timer: NodeJS.Timeout;
}

/** Reasons a page hears and stays as it is (no reload): worth bringing it its last pushes. */
const FAREWELL_REASONS: ReadonlySet<CloseReason> = new Set<CloseReason>(['closed-by-script', 'idle']);

/**
 * Tombstones, oldest first, at most `max` (as many as disconnected pages may be), each for its
 * page's grace period. Dropping one releases its pushes.
 */
export class Tombstones {
  readonly #max: number;
  readonly #byId = new Map<string, Tombstone>();
  readonly #perSession = new Map<string, Set<Tombstone>>();

  constructor(max: number) {
    this.#max = max;
  }

  /** True when a page whose browser is away, and missed pushes, leaves a tombstone if it ended for `reason`. */
  static wanted(reason: CloseReason): boolean {
    return FAREWELL_REASONS.has(reason);
  }

  /** Keeps the page's unacknowledged pushes (its outbox, taken over) for its grace period. */
  bury(entry: PageEntry, reason: CloseReason): void {
    const timer = setTimeout(() => this.drop(entry.id), entry.grace).unref();
    const { id, session, mount, context, pushes } = entry;
    const tombstone: Tombstone = {
      id,
      session,
      mount,
      context,
      lastEvent: entry.events.lastSeq,
      pushes,
      reason,
      timer,
    };
    this.#byId.set(id, tombstone);
    const ofSession = this.#perSession.get(session);
    if (ofSession) ofSession.add(tombstone);
    else this.#perSession.set(session, new Set([tombstone]));
    for (const oldest of this.#byId.keys()) {
      if (this.#byId.size <= this.#max) break;
      this.drop(oldest);
    }
  }

  /** Takes the tombstone of `pageId` if it is `session`'s; its pushes are the caller's to send, then clear. */
  take(pageId: string, session: string): Tombstone | undefined {
    const tombstone = this.#byId.get(pageId);
    if (!tombstone || tombstone.session !== session) return undefined;
    this.#remove(tombstone);
    return tombstone;
  }

  /** Whether `session` has the tombstone of `pageId`: its browser should come for its last pushes. */
  holds(pageId: string, session: string): boolean {
    return this.#byId.get(pageId)?.session === session;
  }

  /** Drops a tombstone, releasing its pushes. */
  drop(pageId: string): void {
    const tombstone = this.#byId.get(pageId);
    if (!tombstone) return;
    this.#remove(tombstone);
    tombstone.pushes.clear();
  }

  /** Drops the oldest tombstones while `exceeded()` says the push budget is over. */
  shed(exceeded: () => boolean): void {
    for (const id of this.#byId.keys()) {
      if (!exceeded()) return;
      this.drop(id);
    }
  }

  /**
   * A session with only tombstones left still gets its socket, to come for them: the mount of one
   * of its tombstones under `base`, if any.
   */
  mountOf(session: string, base: string): PageMount | undefined {
    for (const tombstone of this.#perSession.get(session) ?? [])
      if (tombstone.mount.base === base) return tombstone.mount;
    return undefined;
  }

  get size(): number {
    return this.#byId.size;
  }

  clear(): void {
    for (const id of [...this.#byId.keys()]) this.drop(id);
  }

  #remove(tombstone: Tombstone): void {
    clearTimeout(tombstone.timer);
    this.#byId.delete(tombstone.id);
    const ofSession = this.#perSession.get(tombstone.session);
    ofSession?.delete(tombstone);
    if (ofSession?.size === 0) this.#perSession.delete(tombstone.session);
  }
}

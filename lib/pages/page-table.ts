import { OldestFirst } from './oldest-first.js';
import type { PageEntry, PageMount, PageSocket } from './page-entry.js';

/** How many pages are in each state, for monitoring and tests. */
export interface PageStats {
  pages: number;
  pending: number;
  connected: number;
  disconnected: number;
}

/**
 * Every page the host knows, by id, and the indexes of the pages not closing: by script, by
 * browser session, by socket, and those waiting for a first connection or for their browser to
 * come back, oldest first. Each state change goes through one method here, which keeps the
 * indexes in step with `entry.state`.
 */
export class PageTable {
  readonly #pages = new Map<string, PageEntry>();
  // Sets keep insertion order: the first is the oldest.
  readonly #byScript = new Map<string, Set<PageEntry>>();
  readonly #bySession = new Map<string, Set<PageEntry>>();
  readonly #bySocket = new Map<PageSocket, Set<PageEntry>>();
  readonly pending = new OldestFirst<PageEntry>();
  readonly disconnected = new OldestFirst<PageEntry>();
  /** Dev error pages, which reload when a file changes. */
  readonly #watchers = new Set<PageEntry>();
  /** Pages in the indexes (not closing): what the limits count. */
  #live = 0;

  get live(): number {
    return this.#live;
  }

  stats(): PageStats {
    let connected = 0;
    for (const pages of this.#bySocket.values()) connected += pages.size;
    return { pages: this.#live, pending: this.pending.size, connected, disconnected: this.disconnected.size };
  }

  get(id: string): PageEntry | undefined {
    return this.#pages.get(id);
  }

  /** The session of a page joined on `socket` (connected there, not a watcher), or undefined. */
  joinedSession(socket: PageSocket, id: string): string | undefined {
    const entry = this.#pages.get(id);
    return entry?.socket === socket && entry.state === 'connected' && entry.kind === 'page' ? entry.session : undefined;
  }

  /** Every page the host knows, closing ones included. */
  all(): IterableIterator<PageEntry> {
    return this.#pages.values();
  }

  get size(): number {
    return this.#pages.size;
  }

  /** A page starts rendering. Its id must be new: two pages never share one. */
  add(entry: PageEntry): void {
    if (this.#pages.has(entry.id)) throw new Error(`page id ${entry.id} is in use already`);
    this.#pages.set(entry.id, entry);
    addTo(this.#byScript, entry.script, entry);
    addTo(this.#bySession, entry.session, entry);
    if (entry.kind === 'watcher') this.#watchers.add(entry);
    this.#live++;
  }

  /** Rendered, for a browser that may never connect (a crawler, curl, a load test). */
  setPending(entry: PageEntry): void {
    entry.state = 'pending';
    entry.pendingSince = performance.now();
    this.pending.add(entry);
  }

  /** Bound to `socket`, from pending, disconnected, or another socket. */
  setConnected(entry: PageEntry, socket: PageSocket): void {
    if (entry.socket && entry.socket !== socket) removeFrom(this.#bySocket, entry.socket, entry);
    this.pending.delete(entry);
    this.disconnected.delete(entry);
    entry.socket = socket;
    entry.state = 'connected';
    addTo(this.#bySocket, socket, entry);
  }

  /** The socket dropped: the page waits for its browser. */
  setDisconnected(entry: PageEntry): void {
    if (entry.socket) removeFrom(this.#bySocket, entry.socket, entry);
    entry.socket = undefined;
    entry.state = 'disconnected';
    this.disconnected.add(entry);
  }

  /** The pages bound to `socket`, which is gone: none is bound to it any more. */
  takeSocket(socket: PageSocket): PageEntry[] {
    const pages = this.#bySocket.get(socket);
    this.#bySocket.delete(socket);
    return pages ? [...pages] : [];
  }

  /** Out of every index: limits, broadcasts and socket claims stop counting it at once. */
  setClosing(entry: PageEntry): void {
    if (entry.state === 'closing') return;
    entry.state = 'closing';
    removeFrom(this.#byScript, entry.script, entry);
    if (removeFrom(this.#bySession, entry.session, entry)) this.#live--;
    this.pending.delete(entry);
    this.disconnected.delete(entry);
    this.#watchers.delete(entry);
  }

  /** Gone for good: in no index and no map. Returns false when it was not there. */
  remove(entry: PageEntry): boolean {
    this.setClosing(entry);
    if (entry.socket) removeFrom(this.#bySocket, entry.socket, entry);
    entry.socket = undefined;
    return this.#pages.delete(entry.id);
  }

  /** Live pages of `script`, oldest first. */
  ofScript(script: string): readonly PageEntry[] {
    return [...(this.#byScript.get(script) ?? [])];
  }

  /** Live pages of a browser session, oldest first. */
  ofSession(session: string): ReadonlySet<PageEntry> | undefined {
    return this.#bySession.get(session);
  }

  /** Which of `pageIds` are pages of `session`, not closing. */
  livePages(session: string, pageIds: readonly string[]): string[] {
    return pageIds.filter((id) => {
      const entry = this.#pages.get(id);
      return entry !== undefined && entry.session === session && entry.state !== 'closing';
    });
  }

  /**
   * The mount of a page of `session` rendered under `base` that can still join (pending,
   * connected, disconnected): its socket's upgrade is this instance's. Bounded by the session's
   * pages, whatever the browser sends.
   */
  mountOf(session: string, base: string): PageMount | undefined {
    for (const entry of this.#bySession.get(session) ?? []) {
      if (entry.state !== 'rendering' && entry.mount.base === base) return entry.mount;
    }
    return undefined;
  }

  watchers(): PageEntry[] {
    return [...this.#watchers];
  }
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set) set.add(value);
  else index.set(key, new Set([value]));
}

/** Removes `value` from the set at `key`; true when it was there. */
function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = index.get(key);
  if (!set?.delete(value)) return false;
  if (set.size === 0) index.delete(key);
  return true;
}

import type { CloseReason } from '../../protocol/wire.js';
import { pageGone, type RequestData, type RunnerToHost, type ScriptRunner } from '../../runner/messages.js';
import { createErrorReporter, type ErrorReporter } from '../errors.js';
import { frame, type Frame } from '../socket/frames.js';
import { AckBatch } from './ack-batch.js';
import { closeOwned, joinsWithOwner, ownerRefusal } from './components.js';
import { CloseBatch } from './close-batch.js';
import { DeadlineSweep, sweepSlack } from './deadline-sweep.js';
import { IdleSweep } from './idle-sweep.js';
import { contextChanged, pagesMatching, refuseFarewell, refuseFirstJoin } from './page-context.js';
import { newPageEntry, type PageEntry, type PageMount, type PageSocket, ROOT_MOUNT } from './page-entry.js';
import type { OldestFirst } from './oldest-first.js';
import { makeRoom } from './page-limits.js';
import { PageTable, type PageStats } from './page-table.js';
import { PushBudget } from './push-budget.js';
import { PushDelivery } from './push-delivery.js';
import type { Refusal, RegistrySettings } from './registry-settings.js';
import { failedRender, RenderTracker, type Render, type RenderResult, SHUTTING_DOWN } from './render-tracker.js';
import { timedOutRender } from './render-tracker.js';
import { Tombstones } from './tombstones.js';

export type { PageMount, PageSocket, PageStats, RenderResult, Refusal, RegistrySettings };

/** Reasons worth a line in the log: a page ended by a limit, not by its script or its browser. */
const LOGGED_REASONS: ReadonlySet<CloseReason> = new Set<CloseReason>(['overflow', 'evicted', 'idle']);

/**
 * The host's view of every page, and each page's lifecycle: rendering -> pending -> connected
 * <-> disconnected -> closing -> gone. It turns the runner's messages about pages into socket
 * frames and socket messages into runner messages, numbers pushes and keeps them until the
 * browser acknowledges them, and enforces the page limits. The table, the renders in flight,
 * tombstones, the push budget and the batches are its parts, each in its own module.
 */
export class PageRegistry {
  readonly #runner: ScriptRunner;
  readonly #settings: RegistrySettings;
  readonly #table = new PageTable();
  readonly #renders: RenderTracker;
  readonly #tombstones: Tombstones;
  readonly #budget: PushBudget;
  readonly #acks = new AckBatch();
  readonly #closes: CloseBatch;
  readonly #report: ErrorReporter;
  readonly #delivery: PushDelivery;
  /** Pages rendered and never connected close after `connectTimeout`. */
  readonly #pendingSweep: DeadlineSweep<PageEntry>;
  readonly #idleSweep: IdleSweep;
  #closing: Promise<void> | undefined;

  constructor(runner: ScriptRunner, settings: RegistrySettings) {
    this.#runner = runner;
    this.#settings = settings;
    this.#renders = new RenderTracker(settings.renderTimeout, (render) => this.#renderTimedOut(render));
    this.#tombstones = new Tombstones(settings.maxDisconnectedPages);
    this.#budget = new PushBudget(settings.maxTotalBufferedBytes, settings.logger);
    this.#report = createErrorReporter(settings);
    this.#closes = new CloseBatch((pageIds, reason) => this.#postClose(pageIds, reason));
    this.#delivery = new PushDelivery(settings, this.#budget, this.#tombstones, this.#acks);
    const neverConnected = (entry: PageEntry) => this.#close(entry, 'never-connected');
    const [timeout, since] = [settings.connectTimeout, (entry: PageEntry) => entry.pendingSince];
    this.#pendingSweep = new DeadlineSweep(timeout, this.#table.pending, since, neverConnected, sweepSlack(timeout));
    this.#idleSweep = new IdleSweep(settings.idleTimeout, this.#table, (entry) => this.#close(entry, 'idle'));
  }

  /** A page the host knows (components.ts: what an include is rendered with). */
  readonly page = (pageId: string): Readonly<PageEntry> | undefined => this.#table.get(pageId);

  /** Number of live pages (rendered, not closed). */
  get size(): number {
    return this.#table.live;
  }

  stats(): PageStats {
    return this.#table.stats();
  }

  /** True once `close()` was called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Runs `script` for a new page of `session` under `mount`, within the page limits; `owner`: components.ts. */
  render(script: string, pageId: string, session: string, request: RequestData, mount = ROOT_MOUNT, owner?: string) {
    if (this.#closing !== undefined) return Promise.resolve<RenderResult>({ ok: false, refused: SHUTTING_DOWN });
    const unowned = owner === undefined ? undefined : ownerRefusal(this.#table.get(owner), session);
    const refused = unowned ?? makeRoom(this.#table, this.#settings, session, (entry) => this.#close(entry, 'evicted'));
    if (refused) return Promise.resolve<RenderResult>({ ok: false, refused });
    const entry = this.#newEntry('page', pageId, session, script, mount);
    entry.context = request.context;
    entry.owner = owner;
    return new Promise<RenderResult>((resolve) => {
      this.#renders.start(entry, resolve);
      try {
        this.#runner.post({ type: 'render', script, pageId, request });
      } catch (error) {
        const message = `the render could not be started: ${error instanceof Error ? error.message : String(error)}`;
        this.#rendered({
          type: 'render-failed',
          pageId,
          error: { code: 'RENDER_ERROR', name: 'Error', message, file: script },
        });
      }
    });
  }

  /**
   * Dev: a page with no script instance, for an error page, that reloads when any file of the
   * folder changes (the fix may be in a partial). It joins like a page: Origin and session apply.
   */
  watch(pageId: string, session: string, script: string, mount: PageMount = ROOT_MOUNT): void {
    this.#pend(this.#newEntry('watcher', pageId, session, script, mount));
  }

  /** Files changed: error pages reload, for the fix may be in any file. */
  reloadErrorPages(): void {
    for (const entry of this.#table.watchers()) this.#close(entry, 'reloaded');
  }

  /** A page socket of `session` under `base` is ours only for a page (or tombstone) it can join there. */
  socketMount(session: string, base: string): PageMount | undefined {
    return this.#table.mountOf(session, base) ?? this.#tombstones.mountOf(session, base);
  }

  /** Which of `pageIds` `session` should still connect to (the client asks before it expires them): tombstones too. */
  livePages(session: string, pageIds: readonly string[]): string[] {
    const live = new Set(this.#table.livePages(session, pageIds));
    return pageIds.filter((id) => live.has(id) || this.#tombstones.holds(id, session));
  }

  /**
   * Binds a page to a socket. `acked`: the last push the browser received. Answers `joined`
   * with the last event received, then sends every push the browser has not seen, in order.
   * `context`: the socket's (when `socketMiddleware` is set); a page rendered with another closes
   * (`unauthorized`), and its browser, told so on this socket, reloads.
   */
  join(socket: PageSocket, session: string, pageId: string, acked: number, context?: object): Refusal | undefined {
    const entry = this.#table.get(pageId);
    if (!entry) {
      const tombstone = this.#tombstones.take(pageId, session);
      if (!tombstone) return 'UNKNOWN_PAGE';
      if (contextChanged(tombstone.context, context)) refuseFarewell(socket, tombstone);
      else this.#delivery.farewell(socket, tombstone, acked);
      return undefined;
    }
    // One answer for "no such page" and "not yours": a guessed id learns nothing.
    if (entry.session !== session || entry.state === 'closing' || entry.state === 'rendering') return 'UNKNOWN_PAGE';
    if (!joinsWithOwner(this.#table, entry, socket)) return 'UNKNOWN_PAGE';
    if (entry.kind === 'page' && context && contextChanged(entry.context, context)) {
      // Its pushes are not replayed: they were made for the context it rendered with.
      if (entry.state === 'pending') refuseFirstJoin(socket, entry, context, this.#settings.logger);
      this.#table.setConnected(entry, socket);
      this.#close(entry, 'unauthorized');
      return undefined;
    }
    // Joined on this socket already: everything was sent on it, nothing to send again.
    const replay = entry.socket !== socket;
    clearTimeout(entry.graceTimer);
    entry.graceTimer = undefined;
    this.#table.setConnected(entry, socket);
    entry.lastActivity = Date.now();
    entry.pushes.acknowledge(acked);
    entry.pushesAtDrop = 0;
    entry.bytesAtDrop = 0;
    entry.ackedEvents = entry.events.lastSeq;
    socket.send(frame({ t: 'joined', p: entry.id, a: entry.events.lastSeq }));
    if (replay) this.#delivery.rejoin(socket, entry, acked);
    return undefined;
  }

  /** The session of a page joined on this socket (whose uploads it may send), or undefined. */
  readonly joinedSession = (socket: PageSocket, pageId: string) => this.#table.joinedSession(socket, pageId);

  /** The browser received every push up to `acked`. */
  ack(socket: PageSocket, pageId: string, acked: number): void {
    // An ack for a page that just closed, or moved to another socket, needs no answer.
    const entry = this.#table.get(pageId);
    if (entry?.socket === socket) entry.pushes.acknowledge(acked);
  }

  /** Client event number `seq` (coalescing key `k`) for a page bound to this socket; one seen already is dropped. */
  event(socket: PageSocket, pageId: string, seq: number, name: string, data: string, k?: string): Refusal | undefined {
    const entry = this.#table.get(pageId);
    if (!entry || entry.socket !== socket || entry.state !== 'connected' || entry.kind === 'watcher')
      return 'NOT_JOINED';
    const arrival = entry.events.accept(seq);
    if (arrival === 'gap') return 'BAD_SEQUENCE';
    if (arrival === 'new') {
      entry.lastActivity = Date.now();
      this.#runner.post({ type: 'event', pageId, name, data, seq, ...(k === undefined ? {} : { key: k }) });
    }
    // A push made by the handler carries the ack; otherwise one is sent soon, batched.
    if (entry.events.lastSeq > entry.ackedEvents) this.#acks.schedule(entry);
    return undefined;
  }

  /** `wire.closePages`: closes every live page whose context `match` accepts (`unauthorized`); how many. */
  closeWhere(match: (context: object) => boolean): number {
    if (this.#closing !== undefined) return 0;
    const pages = pagesMatching(this.#table.all(), match);
    for (const entry of pages) this.#close(entry, 'unauthorized');
    return pages.length;
  }

  /** The browser left the page for good (`pagehide`): close it now. */
  leave(socket: PageSocket, pageId: string): Refusal | undefined {
    const entry = this.#table.get(pageId);
    if (!entry || entry.socket !== socket) return 'NOT_JOINED';
    this.#close(entry, 'closed-by-client');
    return undefined;
  }

  /**
   * The browser left these pages while its socket was down (it says so with a beacon): those of
   * `session` close now rather than at the end of their grace. Returns how many closed.
   */
  leaveWithoutSocket(session: string, pageIds: readonly string[]): number {
    const live = this.livePages(session, pageIds);
    for (const id of live) this.#close(this.#table.get(id) as PageEntry, 'closed-by-client');
    // Nobody will come back for their last pushes.
    for (const id of pageIds) this.#tombstones.take(id, session)?.pushes.clear();
    return live.length;
  }

  /** The socket is gone: its pages wait their grace period for the browser to come back. */
  detach(socket: PageSocket): void {
    const pages = this.#table.takeSocket(socket);
    if (this.#closing !== undefined) return;
    for (const entry of pages) {
      if (entry.socket !== socket || entry.state !== 'connected') continue;
      this.#table.setDisconnected(entry);
      entry.pushesAtDrop = entry.pushes.size;
      entry.bytesAtDrop = entry.pushes.bytes;
      entry.graceTimer = setTimeout(() => this.#close(entry, 'disconnected'), entry.grace).unref();
      this.#enforce(this.#table.disconnected, this.#settings.maxDisconnectedPages, 'evicted');
    }
  }

  /** Sends a frame to the page's socket (dev script errors); never to one its context was refused on. */
  sendToPage(pageId: string, message: Frame): void {
    const entry = this.#table.get(pageId);
    if (entry?.closeReason !== 'unauthorized') entry?.socket?.send(message);
  }

  /** Handles one runner message about pages; false when the message is not about pages. */
  receive(message: RunnerToHost): boolean {
    switch (message.type) {
      case 'rendered':
      case 'render-failed':
        this.#rendered(message);
        return true;
      case 'push': {
        const entry = this.#table.get(message.pageId);
        if (entry && entry.state !== 'closing') this.#deliver(entry, message.name, message.data);
        return true;
      }
      case 'broadcast':
        // Pages still rendering get it too: they may have read the state it updates.
        this.#delivery.broadcast(this.#table.ofScript(message.script), message.name, message.data, this.#overflowed);
        return true;
      case 'page-closed':
        this.#pageClosed(message.pageId, message.reason);
        return true;
      case 'event-refused':
      case 'event-done':
        this.#delivery.eventOver(this.#table.get(message.pageId), message);
        return true;
      case 'page-options': {
        const entry = this.#table.get(message.pageId);
        if (entry) entry.grace = message.disconnectGrace;
        return true;
      }
      default:
        return false;
    }
  }

  /** Closes every page (close hooks run, resources released), waiting at most `timeoutMs`. */
  close(timeoutMs = 5000): Promise<void> {
    this.#closing ??= this.#closeAll(timeoutMs);
    return this.#closing;
  }

  async #closeAll(timeoutMs: number): Promise<void> {
    this.#idleSweep.stop();
    this.#pendingSweep.stop();
    this.#tombstones.clear();
    this.#acks.clear();
    for (const entry of this.#table.all()) clearTimeout(entry.graceTimer);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([this.#runner.close(), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.#settings.logger.warn(`close hooks of ${this.#table.size} page(s) did not finish within ${timeoutMs} ms`);
    }
    for (const entry of [...this.#table.all()]) this.#forget(entry);
    // Renders still running (an await) will not finish now: answer them.
    for (const render of this.#renders.takeAll()) render.resolve({ ok: false, refused: SHUTTING_DOWN });
  }

  #newEntry(kind: PageEntry['kind'], id: string, session: string, script: string, mount: PageMount): PageEntry {
    const entry = newPageEntry(kind, id, session, script, this.#settings.disconnectTimeout, this.#budget.change, mount);
    this.#table.add(entry);
    return entry;
  }

  /** Rendered, for a browser that may never connect (a crawler, curl, a load test). */
  #pend(entry: PageEntry): void {
    this.#table.setPending(entry);
    this.#enforce(this.#table.pending, this.#settings.maxPendingPages, 'never-connected');
    this.#pendingSweep.arm();
  }

  /** A render that never ends (an `await` that never settles): answer now, end the page too. */
  #renderTimedOut({ entry, resolve }: Render): void {
    this.#close(entry, 'render-failed');
    resolve(timedOutRender(entry.script, this.#settings.renderTimeout));
  }

  #rendered(message: Extract<RunnerToHost, { type: 'rendered' | 'render-failed' }>): void {
    const render = this.#renders.take(message.pageId);
    const entry = this.#table.get(message.pageId);
    if (entry && pageGone(message) !== undefined) this.#forget(entry);
    // Closed while it rendered (a limit, its deadline): the runner was told, and will say so.
    else if (entry?.state === 'rendering') this.#pend(entry);
    // Answered already when its deadline passed.
    if (!render) return;
    if (message.type === 'render-failed') return render.resolve(failedRender(message));
    const { status, headers, body } = message;
    render.resolve({ ok: true, status, headers, body, live: entry?.state === 'pending' });
  }

  #pageClosed(pageId: string, reason: CloseReason): void {
    const entry = this.#table.get(pageId);
    if (!entry) return;
    entry.socket?.send(frame({ t: 'closed', p: entry.id, reason }));
    if (LOGGED_REASONS.has(reason)) {
      const fields = { script: entry.script, pageId: entry.id };
      this.#settings.logger.warn(`${entry.script}: page ${entry.id.slice(0, 6)} closed (${reason})`, fields);
    }
    // A page that ends while it renders was never live: no browser will come for its pushes.
    this.#forget(entry, entry.state === 'rendering' ? undefined : reason);
  }

  /** Closes the oldest pages of `set` while it holds more than `max`. */
  #enforce(set: OldestFirst<PageEntry>, max: number, reason: CloseReason): void {
    while (set.size > max) this.#close(set.oldest() as PageEntry, reason);
  }

  #close(entry: PageEntry, reason: CloseReason): void {
    if (entry.state === 'closing') return;
    clearTimeout(entry.graceTimer);
    entry.graceTimer = undefined;
    entry.closeReason = reason;
    this.#table.setClosing(entry);
    if (entry.kind === 'watcher') {
      // No instance to end: the page hears of it now.
      entry.socket?.send(frame({ t: 'closed', p: entry.id, reason }));
      this.#forget(entry);
      return;
    }
    // While rendering too: its instance ends, and its render then says it is not live.
    this.#closes.add(entry.id, reason);
  }

  #postClose(pageIds: string[], reason: CloseReason): void {
    try {
      this.#runner.post({ type: 'close-pages', pageIds, reason });
    } catch (error) {
      this.#report.failure(error, { code: 'CLOSE_FAILED', doing: `closing ${pageIds.length} page(s)` });
    }
  }

  #deliver(entry: PageEntry, name: string, dataJson: string): void {
    if (!this.#delivery.deliver(entry, name, dataJson)) this.#overflowed(entry);
  }

  /** The gap can no longer be filled: the page expires, and its browser reloads. */
  readonly #overflowed = (entry: PageEntry) => this.#close(entry, 'overflow');

  /**
   * The page is gone for good: no index, timer, socket or batch keeps anything of it. Its pushes
   * go to a tombstone when its browser is away and missed some (`Tombstones.wanted`), and are
   * released otherwise: one place decides, so they are never both kept and released.
   */
  #forget(entry: PageEntry, reason?: CloseReason): void {
    clearTimeout(entry.graceTimer);
    entry.graceTimer = undefined;
    this.#acks.cancel(entry);
    // A connected page was just sent its pushes and `closed`: nothing to keep for it.
    const away = entry.socket === undefined;
    if (!this.#table.remove(entry)) return;
    if (!this.#closing) closeOwned(this.#table, entry, (owned) => this.#close(owned, reason ?? 'closed-by-script'));
    if (reason && away && entry.pushes.size > 0 && !this.#closing && Tombstones.wanted(reason)) {
      this.#tombstones.bury(entry, reason);
    } else {
      entry.pushes.clear();
    }
  }
}

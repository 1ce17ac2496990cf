import type { CloseReason, FileChange, RequestData, RunnerToHost, ScriptErrorInfo, ScriptRunner } from '../../runner/messages.js';
import { formatScriptError } from '../../runner/script-error.js';
import { createErrorReporter } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { OldestFirst } from './oldest-first.js';

/** The one thing the registry needs of a socket: a way to send it a frame. */
export interface PageSocket {
  send(frame: string): void;
}

export type RenderResult =
  | { ok: true; status: number; headers: Record<string, string | string[]>; body: string; live: boolean }
  /** `status` is set when a limit refused the page (429, 503): not a script error. */
  | { ok: false; error: ScriptErrorInfo; status?: number };

export type RegistrySettings = Pick<
  ResolvedOptions,
  | 'dev'
  | 'connectTimeout'
  | 'disconnectTimeout'
  | 'logger'
  | 'onError'
  | 'maxBufferedPushes'
  | 'maxBufferedBytes'
  | 'maxTotalBufferedBytes'
  | 'maxPagesPerSession'
  | 'maxPages'
  | 'maxPendingPages'
  | 'maxDisconnectedPages'
  | 'idleTimeout'
  | 'renderTimeout'
>;

/** Why a socket message about a page was refused. */
export type Refusal = 'UNKNOWN_PAGE' | 'NOT_JOINED' | 'BAD_SEQUENCE';

/** How many pages are in each state, for monitoring and tests. */
export interface PageStats {
  pages: number;
  pending: number;
  connected: number;
  disconnected: number;
}

interface PageEntry {
  /** A script instance, or (dev) an error page waiting for a file to change: no instance. */
  kind: 'page' | 'watcher';
  id: string;
  session: string;
  script: string;
  state: 'rendering' | 'pending' | 'connected' | 'disconnected' | 'closing';
  socket: PageSocket | undefined;
  /** The connect timeout (pending) or the grace period (disconnected). */
  timer: NodeJS.Timeout | undefined;
  /** Pushes not yet acknowledged by the browser, in order: sent again after a reconnection. */
  unacked: Array<{ seq: number; tail: string }>;
  unackedBytes: number;
  /** The last push number given out. */
  outSeq: number;
  /** The last client event number received, and the last one acknowledged to the browser. */
  inSeq: number;
  ackedIn: number;
  /** When it started waiting for its first connection (ms), while pending. */
  pendingSince: number;
  /** ms to wait for the browser after the socket drops. */
  grace: number;
  /** Unacknowledged pushes and bytes when the socket dropped: the bound applies to what came after. */
  inFlightAtDrop: number;
  bytesAtDrop: number;
  lastActivity: number;
}

interface Render {
  entry: PageEntry;
  resolve: (result: RenderResult) => void;
  timer: NodeJS.Timeout | undefined;
  timedOut?: boolean;
}

/** While connected, this many times `maxBufferedBytes` may be in flight, unacknowledged. */
const IN_FLIGHT_FACTOR = 4;

/**
 * What is left of a page its script ended (`page.close()`, or `idleTimeout`) while its browser
 * was away, with pushes it was not sent: the browser re-joins and gets them, then `closed`,
 * instead of an unknown page and a reload.
 */
interface Tombstone {
  session: string;
  inSeq: number;
  unacked: Array<{ seq: number; tail: string }>;
  unackedBytes: number;
  reason: CloseReason;
  timer: NodeJS.Timeout;
}

/** Reasons a page hears and stays as it is (no reload): worth bringing it its last pushes. */
const FAREWELL_REASONS: ReadonlySet<CloseReason> = new Set(['closed-by-script', 'idle']);

/**
 * The host's view of every page: id <-> browser session <-> socket, and each page's lifecycle
 * (rendering -> pending -> connected <-> disconnected -> closing -> gone). It turns runner
 * messages into socket frames and socket messages into runner messages, numbers pushes and
 * keeps them until the browser acknowledges them, and enforces the page limits.
 */
export class PageRegistry {
  readonly #runner: ScriptRunner;
  readonly #settings: RegistrySettings;
  readonly #report: ReturnType<typeof createErrorReporter>;
  /** Every page until its runner instance reported it closed. */
  readonly #pages = new Map<string, PageEntry>();
  // Indexes of the pages not closing. Sets keep insertion order: the first is the oldest.
  readonly #byScript = new Map<string, Set<PageEntry>>();
  readonly #bySession = new Map<string, Set<PageEntry>>();
  readonly #bySocket = new Map<PageSocket, Set<PageEntry>>();
  readonly #pending = new OldestFirst<PageEntry>();
  readonly #disconnected = new OldestFirst<PageEntry>();
  readonly #renders = new Map<number, Render>();
  readonly #acksDue = new Set<PageEntry>();
  readonly #idleSweep: NodeJS.Timeout | undefined;
  readonly #onFilesChanged: (changes: FileChange[]) => void;
  readonly #watchers = new Set<PageEntry>();
  readonly #tombstones = new Map<string, Tombstone>();
  /** Bytes of pushes kept, every page and tombstone together (`maxTotalBufferedBytes`). */
  #bufferedBytes = 0;
  #budgetWarnedAt = -Infinity;
  /** Tombstones per session: a browser with only those still gets its socket. */
  readonly #tombstonesBySession = new Map<string, number>();
  #ackFlush: NodeJS.Immediate | undefined;
  #pendingSweep: NodeJS.Timeout | undefined;
  readonly #endBatch = new Map<CloseReason, string[]>();
  #nextRenderId = 1;
  /** Pages in the indexes (not closing): what the limits count. */
  #live = 0;
  #closing: Promise<void> | undefined;

  constructor(runner: ScriptRunner, settings: RegistrySettings, onFilesChanged: (changes: FileChange[]) => void = () => {}) {
    this.#runner = runner;
    this.#settings = settings;
    this.#report = createErrorReporter(settings);
    this.#onFilesChanged = onFilesChanged;
    runner.onMessage((message) => this.#onRunnerMessage(message));
    if (Number.isFinite(settings.idleTimeout)) {
      this.#idleSweep = setInterval(() => this.#closeIdle(), Math.max(50, Math.min(60_000, settings.idleTimeout / 4))).unref();
    }
  }

  /** Number of live pages (rendered, not closed). */
  get size(): number {
    return this.#live;
  }

  stats(): PageStats {
    let connected = 0;
    for (const pages of this.#bySocket.values()) connected += pages.size;
    return { pages: this.size, pending: this.#pending.size, connected, disconnected: this.#disconnected.size };
  }

  /** Runs `script` for a new page owned by `session`, within the page limits. */
  render(script: string, pageId: string, session: string, request: RequestData): Promise<RenderResult> {
    if (this.#closing) return Promise.resolve(refused(503, 'SHUTTING_DOWN', 'the server is shutting down'));
    const limited = this.#makeRoom(session);
    if (limited) return Promise.resolve(limited);
    const renderId = this.#nextRenderId++;
    const entry = this.#newEntry('page', pageId, session, script);
    return new Promise((resolve) => {
      const render: Render = { entry, resolve, timer: undefined };
      this.#renders.set(renderId, render);
      try {
        this.#runner.post({ type: 'render', renderId, script, pageId, request });
      } catch (error) {
        this.#rendered({ type: 'render-failed', renderId, error: { code: 'RENDER_ERROR', name: 'Error', message: String(error), file: script } });
      }
      // Most renders are answered within post(): only those still running need a deadline.
      if (this.#renders.has(renderId)) render.timer = setTimeout(() => this.#renderTimedOut(render), this.#settings.renderTimeout).unref();
    });
  }

  /**
   * Dev: a page with no script instance, for an error page, that reloads when any file of the
   * folder changes (the fix may be in a partial). It joins like a page: Origin and session apply.
   */
  watch(pageId: string, session: string, script: string): void {
    const entry = this.#newEntry('watcher', pageId, session, script);
    this.#watchers.add(entry);
    this.#pend(entry);
  }

  #newEntry(kind: PageEntry['kind'], pageId: string, session: string, script: string): PageEntry {
    const entry: PageEntry = {
      kind,
      id: pageId,
      session,
      script,
      state: 'rendering',
      socket: undefined,
      timer: undefined,
      unacked: [],
      unackedBytes: 0,
      outSeq: 0,
      inSeq: 0,
      ackedIn: 0,
      pendingSince: 0,
      grace: this.#settings.disconnectTimeout,
      inFlightAtDrop: 0,
      bytesAtDrop: 0,
      lastActivity: Date.now(),
    };
    this.#pages.set(pageId, entry);
    addTo(this.#byScript, script, entry);
    addTo(this.#bySession, session, entry);
    this.#live++;
    return entry;
  }

  /** Rendered for a browser that may never connect (a crawler, curl, a load test). */
  #pend(entry: PageEntry): void {
    entry.state = 'pending';
    entry.pendingSince = performance.now();
    this.#pending.add(entry);
    this.#enforce(this.#pending, this.#settings.maxPendingPages, 'never-connected');
    this.#pendingSweep ??= setTimeout(() => this.#closeNeverConnected(), this.#settings.connectTimeout).unref();
  }

  /**
   * One timer for every pending page rather than one each (a load test renders thousands a
   * second): pages wait in the order they were rendered, so the expired ones are at the front.
   */
  #closeNeverConnected(): void {
    this.#pendingSweep = undefined;
    // A monotonic clock: a wall clock stepped back would put the next sweep off.
    const deadline = performance.now() - this.#settings.connectTimeout;
    for (const entry of this.#pending) {
      if (entry.pendingSince > deadline) {
        this.#pendingSweep = setTimeout(() => this.#closeNeverConnected(), entry.pendingSince - deadline).unref();
        return;
      }
      this.#close(entry, 'never-connected');
    }
  }

  /** A render that never ends (an `await` that never settles): answer now, end the page when it does. */
  #renderTimedOut(render: Render): void {
    render.timedOut = true;
    const { entry } = render;
    this.#close(entry, 'render-failed');
    render.resolve({
      ok: false,
      error: { code: 'RENDER_TIMEOUT', name: 'Error', message: `${entry.script} did not finish rendering within ${this.#settings.renderTimeout} ms (renderTimeout): an await that never settles?`, file: entry.script },
    });
  }

  /** True while the session owns at least one live page: only then may it open a socket. */
  hasSession(session: string): boolean {
    return this.#bySession.has(session) || this.#tombstonesBySession.has(session);
  }

  /** True once `close()` was called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Which of `pageIds` are still live for `session` (the client's reload failsafe asks). */
  livePages(session: string, pageIds: readonly string[]): string[] {
    return pageIds.filter((id) => {
      const entry = this.#pages.get(id);
      return entry !== undefined && entry.session === session && entry.state !== 'closing';
    });
  }

  /**
   * Binds a page to a socket. `acked`: the last push the browser received. Answers `joined`
   * with the last event received, then sends every push the browser has not seen, in order.
   */
  join(socket: PageSocket, session: string, pageId: string, acked: number): Refusal | undefined {
    const entry = this.#pages.get(pageId);
    const tombstone = entry ? undefined : this.#tombstones.get(pageId);
    if (tombstone && tombstone.session === session) return this.#farewell(socket, pageId, tombstone, acked);
    // One answer for "no such page" and "not yours": a guessed id learns nothing.
    if (!entry || entry.session !== session || entry.state === 'closing' || entry.state === 'rendering') return 'UNKNOWN_PAGE';
    if (entry.socket && entry.socket !== socket) this.#bySocket.get(entry.socket)?.delete(entry);
    // Joined on this socket already: everything was sent on it, nothing to send again.
    const replay = entry.socket !== socket;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.#pending.delete(entry);
    this.#disconnected.delete(entry);
    entry.socket = socket;
    entry.state = 'connected';
    entry.lastActivity = Date.now();
    addTo(this.#bySocket, socket, entry);
    this.#dropAcknowledged(entry, acked);
    entry.inFlightAtDrop = 0;
    entry.bytesAtDrop = 0;
    entry.ackedIn = entry.inSeq;
    socket.send(`{"t":"joined","p":"${entry.id}","a":${entry.inSeq}}`);
    if (replay) for (const push of entry.unacked) socket.send(pushFrame(entry.id, push.seq, undefined, push.tail));
    return undefined;
  }

  /** The browser received every push up to `acked`. */
  ack(socket: PageSocket, pageId: string, acked: number): void {
    // An ack for a page that just closed, or moved to another socket, needs no answer.
    const entry = this.#pages.get(pageId);
    if (entry?.socket === socket) this.#dropAcknowledged(entry, acked);
  }

  /** Client event number `seq` for a page bound to this socket; one seen already is dropped. */
  event(socket: PageSocket, pageId: string, seq: number, name: string, data: string): Refusal | undefined {
    const entry = this.#pages.get(pageId);
    if (!entry || entry.socket !== socket || entry.state !== 'connected' || entry.kind === 'watcher') return 'NOT_JOINED';
    if (seq > entry.inSeq + 1) return 'BAD_SEQUENCE';
    if (seq > entry.inSeq) {
      entry.inSeq = seq;
      entry.lastActivity = Date.now();
      this.#runner.post({ type: 'event', pageId, name, data });
    }
    // A push made by the handler carried the ack already; otherwise send one soon, batched.
    if (entry.inSeq > entry.ackedIn) this.#scheduleAck(entry);
    return undefined;
  }

  /** The browser left the page for good (`pagehide`): close it now. */
  leave(socket: PageSocket, pageId: string): Refusal | undefined {
    const entry = this.#pages.get(pageId);
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
    for (const id of live) this.#close(this.#pages.get(id) as PageEntry, 'closed-by-client');
    // Nobody will come back for their last pushes.
    for (const id of pageIds) if (this.#tombstones.get(id)?.session === session) this.#unbury(id);
    return live.length;
  }

  /** The socket is gone: its pages wait their grace period for the browser to come back. */
  detach(socket: PageSocket): void {
    const pages = this.#bySocket.get(socket);
    this.#bySocket.delete(socket);
    if (this.#closing) return;
    for (const entry of pages ?? []) {
      if (entry.socket !== socket || entry.state !== 'connected') continue;
      entry.socket = undefined;
      entry.state = 'disconnected';
      entry.inFlightAtDrop = entry.unacked.length;
      entry.bytesAtDrop = entry.unackedBytes;
      this.#disconnected.add(entry);
      entry.timer = setTimeout(() => this.#close(entry, 'disconnected'), entry.grace).unref();
      this.#enforce(this.#disconnected, this.#settings.maxDisconnectedPages, 'evicted');
    }
  }

  /** Closes every page (close hooks run, resources released), waiting at most `timeoutMs`. */
  close(timeoutMs = 5000): Promise<void> {
    this.#closing ??= this.#closeAll(timeoutMs);
    return this.#closing;
  }

  async #closeAll(timeoutMs: number): Promise<void> {
    clearInterval(this.#idleSweep);
    for (const id of [...this.#tombstones.keys()]) this.#unbury(id);
    clearTimeout(this.#pendingSweep);
    if (this.#ackFlush) clearImmediate(this.#ackFlush);
    for (const entry of this.#pages.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([this.#runner.close(), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.#settings.logger.warn(`close hooks of ${this.#pages.size} page(s) did not finish within ${timeoutMs} ms`);
    for (const entry of [...this.#pages.values()]) this.#forget(entry);
    // Renders still running (an await) will not finish now: answer them.
    for (const render of this.#renders.values()) {
      clearTimeout(render.timer);
      render.resolve(refused(503, 'SHUTTING_DOWN', 'the server is shutting down'));
    }
    this.#renders.clear();
  }

  /**
   * Frees room for one more page of `session`, closing the oldest pages nobody connected to
   * (and, for the global cap, the oldest disconnected one). Returns a refusal when it cannot.
   */
  #makeRoom(session: string): RenderResult | undefined {
    const own = this.#bySession.get(session);
    if (own && own.size >= this.#settings.maxPagesPerSession) {
      const oldestPending = [...own].find((entry) => entry.state === 'pending');
      if (!oldestPending) {
        return refused(429, 'TOO_MANY_PAGES_IN_SESSION', `this browser session has ${own.size} open pages, the most allowed (maxPagesPerSession); close some tabs`);
      }
      this.#close(oldestPending, 'evicted');
    }
    if (this.size >= this.#settings.maxPages) {
      const victim = this.#pending.oldest() ?? this.#disconnected.oldest();
      if (!victim) return refused(503, 'TOO_MANY_PAGES', `the server holds ${this.size} live pages, the most allowed (maxPages)`);
      this.#close(victim, 'evicted');
    }
    return undefined;
  }

  /** Closes the oldest pages of `set` while it holds more than `max`. */
  #enforce(set: OldestFirst<PageEntry>, max: number, reason: CloseReason): void {
    while (set.size > max) this.#close(set.oldest() as PageEntry, reason);
  }

  #close(entry: PageEntry, reason: CloseReason): void {
    if (entry.state === 'closing') return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.state = 'closing';
    // Out of every index now: limits, broadcasts and hasSession stop counting it at once.
    this.#unindex(entry);
    if (entry.kind === 'watcher') {
      // No instance to end: the page hears of it now.
      entry.socket?.send(JSON.stringify({ t: 'closed', p: entry.id, reason }));
      this.#forget(entry);
      return;
    }
    // Also while rendering: the instance ends (its render then reports it not live).
    this.#endInstance(entry.id, reason);
  }

  /**
   * Asks the runner to end an instance. Batched until the current task ends: a sweep or an
   * eviction closing thousands of pages makes one message, and one call into each sandbox.
   */
  #endInstance(pageId: string, reason: CloseReason): void {
    let batch = this.#endBatch.get(reason);
    if (!batch) this.#endBatch.set(reason, (batch = []));
    batch.push(pageId);
    if (this.#endBatch.size === 1 && batch.length === 1) {
      queueMicrotask(() => {
        // Taken before posting: a close hook run by post() may end more pages, in a new batch.
        const batches = [...this.#endBatch];
        this.#endBatch.clear();
        for (const [why, pageIds] of batches) {
          try {
            this.#runner.post({ type: 'close-pages', pageIds, reason: why });
          } catch (error) {
            this.#report.failure(error, { code: 'CLOSE_FAILED', doing: `closing ${pageIds.length} page(s)` });
          }
        }
      });
    }
  }

  #closeIdle(): void {
    const deadline = Date.now() - this.#settings.idleTimeout;
    for (const entry of this.#pages.values()) {
      if (entry.state !== 'rendering' && entry.state !== 'closing' && entry.lastActivity < deadline) this.#close(entry, 'idle');
    }
  }

  #onRunnerMessage(message: RunnerToHost): void {
    switch (message.type) {
      case 'rendered':
      case 'render-failed':
        return this.#rendered(message);
      case 'push': {
        const entry = this.#pages.get(message.pageId);
        if (entry && entry.state !== 'closing') this.#deliver(entry, message.name, message.data);
        return;
      }
      case 'broadcast':
        for (const entry of [...(this.#byScript.get(message.script) ?? [])]) {
          // Pages still rendering keep it too: they may have read the state it updates.
          if (entry.kind === 'page') this.#deliver(entry, message.name, message.data);
        }
        return;
      case 'publish':
        // Later, never inside the handler that published: its own page may be a subscriber.
        setImmediate(() => {
          if (!this.#closing) this.#runner.post({ type: 'deliver', channel: message.channel, data: message.data });
        });
        return;
      case 'page-closed': {
        const entry = this.#pages.get(message.pageId);
        if (!entry) return;
        entry.socket?.send(JSON.stringify({ t: 'closed', p: entry.id, reason: message.reason }));
        // A page closed while rendering is forgotten when its render result arrives.
        if (entry.state === 'rendering') return;
        // A connected page was just sent its pushes and `closed`; a page without its browser keeps them.
        if (FAREWELL_REASONS.has(message.reason) && !entry.socket && entry.unacked.length > 0 && !this.#closing) this.#bury(entry, message.reason);
        if (message.reason === 'overflow' || message.reason === 'evicted' || message.reason === 'idle') {
          const text = `${entry.script}: page ${entry.id.slice(0, 6)} closed (${message.reason})`;
          this.#settings.logger.warn(text, { script: entry.script, pageId: entry.id });
        }
        this.#forget(entry);
        return;
      }
      case 'event-refused': {
        const socket = this.#pages.get(message.pageId)?.socket;
        const text = `event '${message.name}' refused: the page already has the most events waiting (maxQueuedEvents)`;
        socket?.send(JSON.stringify({ t: 'error', p: message.pageId, code: 'QUEUE_FULL', message: text }));
        return;
      }
      case 'page-options': {
        const entry = this.#pages.get(message.pageId);
        if (entry) entry.grace = message.disconnectGrace;
        return;
      }
      case 'script-error':
        return this.#scriptError(message.script, message.pageId, message.error);
      case 'files-changed':
        this.#onFilesChanged(message.changes);
        // Error pages reload: the fix may be in any file.
        for (const entry of [...this.#watchers]) this.#close(entry, 'reloaded');
        return;
      case 'log':
        return this.#report.runnerLog(message);
      default: {
        const unknown: never = message;
        throw new Error(`unknown runner message ${JSON.stringify(unknown)}`);
      }
    }
  }

  #rendered(message: Extract<RunnerToHost, { type: 'rendered' | 'render-failed' }>): void {
    const render = this.#renders.get(message.renderId);
    if (!render) return;
    this.#renders.delete(message.renderId);
    clearTimeout(render.timer);
    const { entry, resolve } = render;
    if (render.timedOut) {
      // Answered already; a live instance that finished late must end too.
      if (message.type === 'rendered' && message.live) this.#endInstance(entry.id, 'render-failed');
      else this.#forget(entry);
      return;
    }
    if (message.type === 'render-failed') {
      this.#forget(entry);
      resolve({ ok: false, error: message.error });
      return;
    }
    if (!message.live || entry.state === 'closing') {
      // Not live, or closed (a limit, shutdown) while it rendered: its instance must end too.
      if (message.live) this.#endInstance(entry.id, 'evicted');
      else this.#forget(entry);
    } else {
      this.#pend(entry);
    }
    resolve({ ok: true, status: message.status, headers: message.headers, body: message.body, live: message.live && entry.state !== 'closing' });
  }

  #scriptError(script: string, pageId: string | undefined, error: ScriptErrorInfo): void {
    this.#report.scriptError(error, { script, pageId });
    if (!this.#settings.dev || !pageId) return;
    const detail = [error.stack, error.frame].filter(Boolean).join('\n\n');
    const socket = this.#pages.get(pageId)?.socket;
    socket?.send(JSON.stringify({ t: 'error', p: pageId, code: error.code, message: formatScriptError(error), detail }));
  }

  /** Numbers a push, keeps it until acknowledged, and sends it if the page is connected. */
  #deliver(entry: PageEntry, name: string, data: string): void {
    const seq = ++entry.outSeq;
    // `data` is JSON already, made once by the sandbox: spliced in, not parsed again.
    const tail = `,"n":${JSON.stringify(name)},"d":${data}}`;
    entry.unacked.push({ seq, tail });
    entry.unackedBytes += tail.length;
    this.#bufferedBytes += tail.length;
    if (this.#overflows(entry)) {
      // The gap can no longer be filled: the page expires, and its browser reloads.
      this.#close(entry, 'overflow');
      return;
    }
    if (!entry.socket) return;
    let ack: number | undefined;
    if (entry.inSeq > entry.ackedIn) ack = entry.ackedIn = entry.inSeq;
    entry.socket.send(pushFrame(entry.id, seq, ack, tail));
  }

  /**
   * While connected the browser acknowledges as it reads: only bytes in flight are bounded (a
   * handler may push thousands of small messages at once). Without a socket, what was pushed
   * since the drop is bounded in count and bytes.
   */
  #overflows(entry: PageEntry): boolean {
    const { maxBufferedPushes, maxBufferedBytes } = this.#settings;
    // The budget of all pages, for pages whose browser is away: their pushes grow it for good.
    // Tombstones (pages already closed) give way first; a page not yet connected never has to.
    if (entry.state === 'disconnected' && this.#bufferedBytes > this.#settings.maxTotalBufferedBytes) {
      for (const id of this.#tombstones.keys()) {
        if (this.#bufferedBytes <= this.#settings.maxTotalBufferedBytes) return false;
        this.#unbury(id);
      }
    }
    if (entry.state === 'disconnected' && this.#bufferedBytes > this.#settings.maxTotalBufferedBytes) {
      // Once a minute at most: the pages themselves are logged as they close.
      if (performance.now() - this.#budgetWarnedAt > 60_000) {
        this.#budgetWarnedAt = performance.now();
        this.#settings.logger.warn(`pushes kept for pages take more than maxTotalBufferedBytes (${this.#settings.maxTotalBufferedBytes} bytes): disconnected pages that push more expire`);
      }
      return true;
    }
    if (entry.socket || entry.state === 'rendering' || entry.state === 'pending') {
      return entry.unackedBytes > maxBufferedBytes * IN_FLIGHT_FACTOR;
    }
    return entry.unacked.length - entry.inFlightAtDrop > maxBufferedPushes || entry.unackedBytes - entry.bytesAtDrop > maxBufferedBytes;
  }

  #dropAcknowledged(entry: PageEntry, acked: number): void {
    let drop = 0;
    while (drop < entry.unacked.length && (entry.unacked[drop] as { seq: number }).seq <= acked) {
      const bytes = (entry.unacked[drop] as { tail: string }).tail.length;
      entry.unackedBytes -= bytes;
      this.#bufferedBytes -= bytes;
      drop++;
    }
    if (drop > 0) entry.unacked.splice(0, drop);
  }

  #scheduleAck(entry: PageEntry): void {
    this.#acksDue.add(entry);
    this.#ackFlush ??= setImmediate(() => {
      this.#ackFlush = undefined;
      for (const due of this.#acksDue) {
        if (due.socket && due.inSeq > due.ackedIn) {
          due.ackedIn = due.inSeq;
          due.socket.send(`{"t":"ack","p":"${due.id}","a":${due.inSeq}}`);
        }
      }
      this.#acksDue.clear();
    });
  }

  #unindex(entry: PageEntry): void {
    removeFrom(this.#byScript, entry.script, entry);
    if (removeFrom(this.#bySession, entry.session, entry)) this.#live--;
    this.#pending.delete(entry);
    this.#disconnected.delete(entry);
    this.#acksDue.delete(entry);
    this.#watchers.delete(entry);
  }

  /** Keeps the unacknowledged pushes of a page that closed, for the page's grace period. */
  #bury(entry: PageEntry, reason: CloseReason): void {
    const timer = setTimeout(() => this.#unbury(entry.id), entry.grace).unref();
    this.#tombstones.set(entry.id, { session: entry.session, inSeq: entry.inSeq, unacked: [...entry.unacked], unackedBytes: entry.unackedBytes, reason, timer });
    this.#bufferedBytes += entry.unackedBytes;
    this.#tombstonesBySession.set(entry.session, (this.#tombstonesBySession.get(entry.session) ?? 0) + 1);
    // As many as disconnected pages may be; the oldest go first.
    for (const id of this.#tombstones.keys()) {
      if (this.#tombstones.size <= this.#settings.maxDisconnectedPages) break;
      this.#unbury(id);
    }
  }

  #unbury(pageId: string): Tombstone | undefined {
    const tombstone = this.#tombstones.get(pageId);
    if (!tombstone) return undefined;
    clearTimeout(tombstone.timer);
    this.#tombstones.delete(pageId);
    this.#bufferedBytes -= tombstone.unackedBytes;
    const left = (this.#tombstonesBySession.get(tombstone.session) ?? 1) - 1;
    if (left > 0) this.#tombstonesBySession.set(tombstone.session, left);
    else this.#tombstonesBySession.delete(tombstone.session);
    return tombstone;
  }

  /** A browser re-joins a page that has closed: the pushes it missed, then why it closed. */
  #farewell(socket: PageSocket, pageId: string, tombstone: Tombstone, acked: number): undefined {
    this.#unbury(pageId);
    // `final`: the page is not back, only its last pushes; the browser sends it nothing more.
    socket.send(`{"t":"joined","p":"${pageId}","a":${tombstone.inSeq},"final":true}`);
    for (const push of tombstone.unacked) if (push.seq > acked) socket.send(pushFrame(pageId, push.seq, undefined, push.tail));
    socket.send(JSON.stringify({ t: 'closed', p: pageId, reason: tombstone.reason }));
    return undefined;
  }

  /** The page is gone for good: no index, timer, socket or buffer keeps anything of it. */
  #forget(entry: PageEntry): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.#unindex(entry);
    this.#pages.delete(entry.id);
    if (entry.socket) removeFrom(this.#bySocket, entry.socket, entry);
    entry.socket = undefined;
    entry.unacked.length = 0;
    this.#bufferedBytes -= entry.unackedBytes;
    entry.unackedBytes = 0;
    entry.state = 'closing';
  }
}

function pushFrame(pageId: string, seq: number, ack: number | undefined, tail: string): string {
  return `{"t":"push","p":"${pageId}","s":${seq}${ack === undefined ? '' : `,"a":${ack}`}${tail}`;
}

function refused(status: number, code: string, message: string): RenderResult {
  return { ok: false, status, error: { code, name: 'Error', message } };
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

/** Removes `value` from the set at `key`; true when it was there. */
function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = index.get(key);
  if (!set?.delete(value)) return false;
  if (set.size === 0) index.delete(key);
  return true;
}

import type { ClientMessage, ServerMessage } from '../protocol/wire.js';
import { isUploadAnswer } from '../protocol/uploads.js';
import { showErrorOverlay } from './error-overlay.js';
import { FAILSAFE_DELAY, MAX_RELOAD_DELAY, MAX_RELOADS, ReloadCount, type ReloadStorage } from './reload-count.js';
import type { ServerSocket } from './server-socket.js';

/** Options of a `Connection`. */
export interface ConnectionOptions {
  /** The socket's URL, absolute (`ws://host/app/__pagewire/<node>/socket`) or a path. */
  url: string;
  /**
   * Where to ask which pages still live, when the socket cannot reconnect: the status path of the
   * pages' node (`410 Gone` when that process is gone: every page expired).
   */
  statusUrl?: string;
  /** Where to ask whether the server answers before reloading: names no node (default: `statusUrl`). */
  reachableUrl?: string;
  /** Ping period, ms; the socket is dropped when nothing was heard for twice as long. */
  heartbeat?: number;
  /**
   * The server's `connectTimeout`, ms: how long it may take to accept the upgrade (its
   * `socketMiddleware` and `context`). An upgrade is not given up sooner.
   */
  connectTimeout?: number;
  /** Reconnection backoff: first delay and cap, in ms. */
  minDelay?: number;
  maxDelay?: number;
  /** The WebSocket class (tests pass the `ws` package's). */
  WebSocket?: typeof WebSocket;
  /** What an expired page does; by default it reloads the document. */
  reload?: () => void;
  /** Where the reloads made in a row are counted (tests pass their own); `sessionStorage` by default. */
  reloadStorage?: ReloadStorage;
  /** The fetch function (tests pass one that sends the session cookie). */
  fetch?: typeof fetch;
  /** `navigator.sendBeacon` (tests pass their own): says goodbye while the socket is down. */
  sendBeacon?: (url: string) => boolean;
  /** Dev: show script errors in an overlay on the page. */
  dev?: boolean;
  /** The largest message the server accepts, in bytes. */
  maxMessageSize?: number;
}

/** One WebSocket shared by every `ServerSocket` of the document. */
export class Connection {
  readonly maxMessageSize: number;
  readonly #url: string;
  readonly #statusUrl: string | undefined;
  readonly #reachableUrl: string | undefined;
  readonly #heartbeat: number;
  /** How long an upgrade is waited for before it is given up. */
  readonly #openTimeout: number;
  readonly #minDelay: number;
  readonly #maxDelay: number;
  readonly #WebSocket: typeof WebSocket;
  readonly #reload: () => void;
  readonly #fetch: typeof fetch;
  readonly #sendBeacon: ((url: string) => boolean) | undefined;
  readonly #dev: boolean;
  readonly #sockets = new Map<string, ServerSocket>();
  #ws: WebSocket | undefined;
  #opened = false;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;
  /** When the unanswered ping was sent, or 0. */
  #pingSent = 0;
  #stopped = false;
  #reloading = false;
  /** Reloads of this page's address made in a row without a join that lasted: bounded (MAX_RELOADS). */
  readonly #reloads: ReloadCount;
  /**
   * How far the last join got towards lasting: `joined`, then `pinged` once a ping went after it;
   * the pong to that ping, with a page still open, proves it lasted a heartbeat round trip.
   */
  #lasting: 'none' | 'joined' | 'pinged' = 'none';

  constructor(options: ConnectionOptions) {
    this.#url = toSocketUrl(options.url);
    this.#statusUrl = options.statusUrl;
    this.#reachableUrl = options.reachableUrl ?? options.statusUrl;
    this.#heartbeat = options.heartbeat ?? 10_000;
    // Two heartbeats, or as long as the server may take to accept it, and a heartbeat for the trip.
    this.#openTimeout = Math.max(2 * this.#heartbeat, (options.connectTimeout ?? 0) + this.#heartbeat);
    this.#minDelay = options.minDelay ?? 250;
    this.#maxDelay = options.maxDelay ?? 10_000;
    this.#WebSocket = options.WebSocket ?? WebSocket;
    // A GET of the same address: `location.reload()` would post a form again.
    this.#reload = options.reload ?? (() => location.replace(location.href));
    this.#reloads = new ReloadCount(
      options.reloadStorage,
      typeof location === 'undefined' ? '' : `${location.pathname}${location.search}`,
    );
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sendBeacon =
      options.sendBeacon ??
      (typeof navigator !== 'undefined' && 'sendBeacon' in navigator ? (url) => navigator.sendBeacon(url) : undefined);
    this.#dev = options.dev ?? false;
    this.maxMessageSize = options.maxMessageSize ?? 64 * 1024;
    if (typeof addEventListener === 'function') {
      addEventListener('pagehide', (event) => {
        // Into the back/forward cache: let the socket go, keep the pages; they re-join on pageshow.
        if (event.persisted) this.#suspend();
        else this.#leave();
      });
      addEventListener('pageshow', (event) => {
        if (event.persisted) this.#resume();
      });
    }
  }

  /** The server runs in dev mode (its tag says so): the client warns of what production ignores. */
  get dev(): boolean {
    return this.#dev;
  }

  add(socket: ServerSocket): void {
    this.#sockets.set(socket.pageId, socket);
    if (this.#opened) this.write(socket.joinMessage());
    else this.#open();
  }

  remove(socket: ServerSocket): void {
    this.#sockets.delete(socket.pageId);
    if (this.#sockets.size === 0) this.#stop();
  }

  /** Writes now if open (a Blob: an upload chunk); the bytes still unsent. Callers keep what must survive a drop. */
  write(message?: ClientMessage | Blob): number {
    if (message && this.#opened) this.#ws?.send(message instanceof Blob ? message : JSON.stringify(message));
    return this.#ws?.bufferedAmount ?? 0;
  }

  /**
   * The document is done with `pageIds`: their instances end now. Over the socket; while it is
   * down (reconnecting), with a beacon, or the pages would hold what they opened on the server
   * until their grace runs out.
   */
  bye(pageIds: readonly string[]): void {
    if (this.#opened) {
      for (const pageId of pageIds) this.write({ t: 'bye', p: pageId });
      // Heard from lately, nothing buffered before it (an upload's chunks): the socket carries it.
      // Otherwise the beacon goes too (dead socket, or unloaded first); a second goodbye is harmless.
      if (Date.now() - this.#lastHeard < 2 * this.#heartbeat && !this.#ws?.bufferedAmount) return;
    }
    if (!this.#statusUrl || !this.#sendBeacon) return;
    // The server reads at most 100 ids a request.
    for (let i = 0; i < pageIds.length; i += 100) {
      this.#sendBeacon(
        `${this.#statusUrl}?leave=${pageIds
          .slice(i, i + 100)
          .map(encodeURIComponent)
          .join(',')}`,
      );
    }
  }

  /**
   * Reloads the document once the server answers again (at once if it does now). `from`: the
   * page that asked, told with an `error` event (`RELOAD_LOOP`) if reloading stopped.
   */
  reloadWhenReachable(afterOverlay = false, from?: ServerSocket): void {
    if (this.#reloading) return;
    this.#reloading = true;
    this.#stop();
    // Dev, `afterOverlay`: an error shown over the page (a stuck script, say) stays readable; the
    // reload waits until it is dismissed. (A page reloaded for an edit goes at once.)
    const overlay =
      afterOverlay && this.#dev && typeof document !== 'undefined'
        ? document.querySelector('pagewire-error-overlay')
        : null;
    if (overlay) {
      overlay.shadowRoot?.querySelector('.after')?.append('The page reloads when you dismiss this.');
      overlay.addEventListener('dismiss', () => this.#reloadNow(from), { once: true });
      return;
    }
    this.#reloadNow(from);
  }

  /**
   * The first reload goes at once; each next one in a row, without a lasting join between them, waits a
   * little longer (jittered, up to MAX_RELOAD_DELAY). Past MAX_RELOADS in a row (a page that can
   * never join: a planted cookie, a proxy that refuses its socket) the client stops, says so, and
   * tries once more every FAILSAFE_DELAY, as LiveView does.
   */
  #reloadNow(from: ServerSocket | undefined): void {
    const probe = (attempt: number) => {
      const retry = () => setTimeout(() => probe(attempt + 1), this.#delay(attempt));
      const reload = () => {
        this.#reloads.add();
        this.#reload();
      };
      if (!this.#reachableUrl) return reload();
      this.#fetch(this.#reachableUrl, { cache: 'no-store' }).then(
        (response) => (response.ok ? reload() : retry()),
        retry,
      );
    };
    const inARow = this.#reloads.value;
    if (inARow === 0) return probe(0);
    if (inARow < MAX_RELOADS) {
      setTimeout(() => probe(0), this.#delay(inARow - 1, MAX_RELOAD_DELAY));
      return;
    }
    const message =
      `this page reloaded ${inARow} times in a row without joining its server instance: reloading stopped, ` +
      `next try in ${FAILSAFE_DELAY / 1000} s (a session cookie of another path, or a proxy that refuses the socket?)`;
    console.error(`[pagewire] ${message}`);
    from?.emit('error', { t: 'error', p: from.pageId, code: 'RELOAD_LOOP', message });
    if (this.#dev && typeof document !== 'undefined') showErrorOverlay(message);
    setTimeout(() => probe(0), FAILSAFE_DELAY);
  }

  #open(): void {
    if (this.#stopped || this.#ws || this.#retryTimer) return;
    const ws = new this.#WebSocket(this.#url);
    this.#ws = ws;
    // An upgrade nobody answers (a restarted server, whose app's own upgrade listener leaves the
    // sockets of pages it no longer has) would wait for ever: given up after two heartbeats, as a
    // silent open socket is, or once the server's connectTimeout (its socketMiddleware and context
    // may take that long) and a heartbeat have passed; then the status endpoint is asked, as for
    // a refused one.
    const opening = setTimeout(() => {
      if (this.#ws !== ws || this.#opened) return;
      this.#dropped(ws);
      ws.close();
    }, this.#openTimeout);
    ws.onopen = () => {
      clearTimeout(opening);
      this.#opened = true;
      this.#attempt = 0;
      this.#lastHeard = Date.now();
      this.#pingSent = 0;
      this.#heartbeatTimer = setInterval(() => this.#beat(), this.#heartbeat);
      for (const socket of this.#sockets.values()) this.write(socket.joinMessage());
    };
    ws.onmessage = (event) => this.#receive(event.data);
    ws.onclose = () => this.#dropped(ws);
    // A failure is followed by `close`, which says all there is; one given up while connecting
    // fails too, and must not be left unheard (Node's `ws`, in tests, throws an unheard error).
    ws.onerror = () => {};
  }

  /** The socket is gone (closed, failed, or silent too long): reconnect, or find out why not. */
  #dropped(ws: WebSocket): void {
    if (this.#ws !== ws) return;
    const wasOpen = this.#opened;
    ws.onopen = ws.onmessage = ws.onclose = null;
    this.#ws = undefined;
    this.#opened = false;
    clearInterval(this.#heartbeatTimer);
    for (const socket of this.#sockets.values()) {
      socket.disconnected();
      if (wasOpen) socket.emit('close');
    }
    if (this.#stopped) return;
    // Refused before it opened: the server may be down, or may no longer know these pages
    // (the upgrade is not claimed without a live page). Ask, and expire the pages it forgot.
    if (!wasOpen && this.#statusUrl) void this.#checkPages();
    this.#scheduleReconnect();
  }

  async #checkPages(): Promise<void> {
    const ids = [...this.#sockets.keys()];
    let live: string[];
    try {
      const response = await this.#fetch(`${this.#statusUrl}?ids=${ids.join(',')}`, { cache: 'no-store' });
      // Gone: the process that held these pages is no more (killed, restarted, or a node a proxy
      // no longer routes to), and they went with it.
      if (response.status === 410) live = [];
      else if (!response.ok) return;
      else live = ((await response.json()) as { live: string[] }).live;
    } catch {
      return; // the server is down: keep trying to reconnect
    }
    for (const id of ids) if (!live.includes(id)) this.#sockets.get(id)?.markClosed('expired');
  }

  #delay(attempt: number, max = this.#maxDelay): number {
    // Exponential backoff with jitter, so a restarted server is not hit by every tab at once.
    const ceiling = Math.min(max, this.#minDelay * 2 ** attempt);
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#sockets.size === 0 || this.#retryTimer) return;
    const delay = this.#delay(this.#attempt++);
    for (const socket of this.#sockets.values()) socket.emit('reconnecting', { attempt: this.#attempt, delay });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#open();
    }, delay);
  }

  #beat(): void {
    // The last ping got no answer, nor anything else since: a half-open connection. Drop it
    // without waiting for a closing handshake that may never come. (Judged by the ping, not by
    // the clock: a background tab's timers may run once a minute.)
    if (this.#pingSent !== 0 && this.#lastHeard < this.#pingSent) {
      const ws = this.#ws;
      if (!ws) return;
      this.#dropped(ws);
      ws.close();
      return;
    }
    this.#pingSent = Date.now();
    if (this.#lasting === 'joined') this.#lasting = 'pinged';
    this.write({ t: 'ping' });
  }

  #receive(text: unknown): void {
    this.#lastHeard = Date.now();
    let message: ServerMessage;
    try {
      message = JSON.parse(String(text)) as ServerMessage;
    } catch {
      return;
    }
    if (isUploadAnswer(message)) return void this.#sockets.get(message.p)?.emit('pw:upload', message);
    switch (message.t) {
      case 'pong':
        // A join that lasted a heartbeat: the reloads that led here are over. Not the join itself:
        // a page whose join ends its instance (`crashed`: the join made its worker crash) would
        // reload without end, each time perhaps ending a worker; judged by a round trip on the
        // socket, not by the clock.
        if (this.#lasting === 'pinged' && !this.#reloading && this.#sockets.size > 0) {
          this.#lasting = 'none';
          this.#reloads.reset();
        }
        return;
      case 'joined':
        if (this.#lasting === 'none') this.#lasting = 'joined';
        this.#sockets.get(message.p)?.joined(message.a, message.final);
        return;
      case 'push':
        this.#sockets.get(message.p)?.pushed(message.s, message.n, message.d, message.a);
        return;
      case 'ack':
        this.#sockets.get(message.p)?.acked(message.a);
        return;
      case 'done':
        this.#sockets.get(message.p)?.done(message.s);
        return;
      case 'closed':
        this.#sockets.get(message.p)?.markClosed(message.reason);
        return;
      case 'error': {
        const target = message.p ? this.#sockets.get(message.p) : undefined;
        // About a page this document no longer has (it closed meanwhile): nothing to do.
        if (message.p && !target) return;
        if (message.code === 'UNKNOWN_PAGE' && target) return target.markClosed('expired');
        console.error(`[pagewire] ${message.message}${message.detail ? `\n${message.detail}` : ''}`);
        for (const socket of target ? [target] : this.#sockets.values()) socket.emit('error', message);
        if (this.#dev && target && typeof document !== 'undefined') showErrorOverlay(message.message, message.detail);
        return;
      }
      default: {
        const unknown: never = message;
        void unknown;
      }
    }
  }

  #leave(): void {
    this.bye([...this.#sockets.keys()]);
    this.#stop();
  }

  #suspend(): void {
    const ws = this.#ws;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#stopped = true;
    if (ws) {
      this.#dropped(ws);
      ws.close(1000);
    }
  }

  #resume(): void {
    if (this.#reloading || this.#sockets.size === 0) return;
    this.#stopped = false;
    this.#attempt = 0;
    this.#open();
  }

  #stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#heartbeatTimer);
    this.#ws?.close(1000);
  }
}

function toSocketUrl(url: string): string {
  if (/^wss?:/.test(url)) return url;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${url}`;
}

/**
 * Pagewire's browser runtime. Served as a classic script at the start of every live page, so
 * `document.serverSocket` exists before the page's own inline scripts run.
 *
 * One WebSocket per document carries every page (script instance) the document talks to; it
 * reconnects with exponential backoff and jitter, and re-joins its pages when it is back.
 */
import type { ClientMessage, ServerMessage } from '../protocol/wire.js';

/**
 * A server event, or one of the socket's own: `open`, `close`, `reconnecting`, `closed`,
 * `expired` (cancelable: `preventDefault()` stops the reload) and `error`.
 */
export class ServerSocketEvent extends Event {
  /** The event name, as given to `server_socket_event(name, data)`. */
  readonly name: string;
  readonly data: unknown;

  constructor(name: string, data?: unknown, cancelable = false) {
    super(name, { cancelable });
    this.name = name;
    this.data = data;
  }

  /** The data as text, so `addEventListener('message', alert)` shows the message itself. */
  override toString(): string {
    if (typeof this.data === 'string') return this.data;
    if (this.data === undefined) return '';
    return JSON.stringify(this.data);
  }
}

type Listener = ((event: ServerSocketEvent) => void) | { handleEvent(event: ServerSocketEvent): void };

const utf8 = new TextEncoder();

/** Close reasons after which the page cannot go on as it was: it reloads, unless told not to. */
const FINAL_REASONS = new Set(['closed-by-script', 'closed-by-client', 'idle']);
/** Pushes received before an acknowledgement is sent at once, rather than after ACK_DELAY ms. */
const ACK_EVERY = 32;
const ACK_DELAY = 25;

/** The page's end of its script instance on the server: `document.serverSocket`. */
export class ServerSocket extends EventTarget {
  /** The page id the server gave this document when it rendered it. */
  readonly pageId: string;
  readonly #connection: Connection;
  #closed = false;
  #joined = false;
  /** The last push received, in order (pushes are numbered from 1). */
  #received = 0;
  #unackedReceived = 0;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last event number given out, and the events the server has not acknowledged yet. */
  #sent = 0;
  readonly #unacked: Array<Extract<ClientMessage, { t: 'ev' }>> = [];
  // Native functions such as `alert` throw "Illegal invocation" when called with the target as
  // `this`: every listener is wrapped and called as `fn(event)`.
  readonly #wrapped = new WeakMap<object, EventListener>();

  constructor(pageId: string, connection: Connection) {
    super();
    this.pageId = pageId;
    this.#connection = connection;
    connection.add(this);
  }

  /** True once the page's instance has ended on the server. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Raises `__serverSocketEvent(name, data)` in the page's script instance. While the socket is
   * down the event waits here, and it is delivered once, in order, when the page is back.
   */
  send(name: string, data?: unknown): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('serverSocket.send(name, data): name must be a non-empty string');
    if (this.#closed) throw new Error(`serverSocket.send('${name}'): the page's server instance is closed`);
    const message: Extract<ClientMessage, { t: 'ev' }> = { t: 'ev', p: this.pageId, s: this.#sent + 1, n: name, d: data };
    // Refused here, not by the server: a message it must refuse would be sent again after
    // every reconnection, for ever.
    const max = this.#connection.maxMessageSize;
    const json = JSON.stringify(message);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most events need no encoding to be measured.
    const size = json.length * 3 <= max ? 0 : utf8.encode(json).length;
    if (size > max) throw new RangeError(`serverSocket.send('${name}'): ${size} bytes is more than the server accepts (${max})`);
    this.#sent++;
    this.#unacked.push(message);
    if (this.#joined) this.#connection.write(message);
  }

  /** Ends the page's instance on the server now (its close hooks run). */
  close(): void {
    if (this.#closed) return;
    this.#connection.bye([this.pageId]);
    this.markClosed('closed-by-client');
  }

  override addEventListener(type: string, listener: Listener | null, options?: boolean | AddEventListenerOptions): void {
    if (!listener) return;
    let wrapped = this.#wrapped.get(listener);
    if (!wrapped) {
      wrapped = typeof listener === 'function'
        ? (event: Event) => listener(event as ServerSocketEvent)
        : (event: Event) => listener.handleEvent(event as ServerSocketEvent);
      this.#wrapped.set(listener, wrapped);
    }
    super.addEventListener(type, wrapped, options);
  }

  override removeEventListener(type: string, listener: Listener | null, options?: boolean | EventListenerOptions): void {
    const wrapped = listener && this.#wrapped.get(listener);
    if (wrapped) super.removeEventListener(type, wrapped, options);
  }

  /** @internal Dispatches an event; false when a listener called `preventDefault()`. */
  emit(name: string, data?: unknown, cancelable = false): boolean {
    return this.dispatchEvent(new ServerSocketEvent(name, data, cancelable));
  }

  /** @internal The join message for a (re)connection: says which pushes arrived. */
  joinMessage(): ClientMessage {
    return { t: 'join', p: this.pageId, a: this.#received };
  }

  /** @internal The socket dropped: events wait until the page joins again. */
  disconnected(): void {
    this.#joined = false;
  }

  /**
   * @internal The server bound the page: `acked` is its last event received; send the rest.
   * `final`: the page closed while this browser was away; only its last pushes and `closed` follow.
   */
  joined(acked: number, final = false): void {
    this.#dropAcked(acked);
    if (final) return;
    this.#joined = true;
    for (const message of this.#unacked) this.#connection.write(message);
    this.emit('open');
  }

  /** @internal A push: each number once, in order. */
  pushed(seq: number, name: string, data: unknown, acked: number | undefined): void {
    if (acked !== undefined) this.#dropAcked(acked);
    if (seq <= this.#received) return;
    this.#received = seq;
    if (++this.#unackedReceived >= ACK_EVERY) this.#ack();
    else this.#ackTimer ??= setTimeout(() => this.#ack(), ACK_DELAY);
    this.emit(name, data);
  }

  /** @internal The server acknowledged events up to `acked`. */
  acked(acked: number): void {
    this.#dropAcked(acked);
  }

  /** @internal The server ended the page. */
  markClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#joined = false;
    clearTimeout(this.#ackTimer);
    this.#connection.remove(this);
    if (reason === 'crashed') {
      // Not the script's doing: its worker thread was stopped (stuck, crashed, out of memory).
      const message = "this page's server instance stopped: its worker thread was ended (the server log says why)";
      console.error(`[pagewire] ${message}`);
      this.emit('error', { t: 'error', p: this.pageId, code: 'INSTANCE_CRASHED', message });
    }
    this.emit('closed', { reason });
    if (FINAL_REASONS.has(reason)) return;
    // The gap cannot be filled: the page reloads, unless a listener of `expired` prevents it.
    // A crash's error is the only account of it the developer gets in the page: kept readable.
    if (this.emit('expired', { reason }, true)) this.#connection.reloadWhenReachable(reason === 'crashed');
  }

  #ack(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    this.#unackedReceived = 0;
    if (this.#joined) this.#connection.write({ t: 'ack', p: this.pageId, a: this.#received });
  }

  #dropAcked(acked: number): void {
    let drop = 0;
    while (drop < this.#unacked.length && (this.#unacked[drop] as { s: number }).s <= acked) drop++;
    if (drop > 0) this.#unacked.splice(0, drop);
  }
}

/** Options of a `Connection`. */
export interface ConnectionOptions {
  /** The socket's URL, absolute (`ws://host/__pagewire/socket`) or a path. */
  url: string;
  /** Where to ask which pages still live, when the socket cannot reconnect. */
  statusUrl?: string;
  /** Ping period, ms; the socket is dropped when nothing was heard for twice as long. */
  heartbeat?: number;
  /** Reconnection backoff: first delay and cap, in ms. */
  minDelay?: number;
  maxDelay?: number;
  /** The WebSocket class (tests pass the `ws` package's). */
  WebSocket?: typeof WebSocket;
  /** What an expired page does; by default it reloads the document. */
  reload?: () => void;
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
  readonly #heartbeat: number;
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

  constructor(options: ConnectionOptions) {
    this.#url = toSocketUrl(options.url);
    this.#statusUrl = options.statusUrl;
    this.#heartbeat = options.heartbeat ?? 10_000;
    this.#minDelay = options.minDelay ?? 250;
    this.#maxDelay = options.maxDelay ?? 10_000;
    this.#WebSocket = options.WebSocket ?? WebSocket;
    // A GET of the same address: `location.reload()` would post a form again.
    this.#reload = options.reload ?? (() => location.replace(location.href));
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sendBeacon = options.sendBeacon ?? (typeof navigator !== 'undefined' && 'sendBeacon' in navigator ? (url) => navigator.sendBeacon(url) : undefined);
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

  add(socket: ServerSocket): void {
    this.#sockets.set(socket.pageId, socket);
    if (this.#opened) this.write(socket.joinMessage());
    else this.#open();
  }

  remove(socket: ServerSocket): void {
    this.#sockets.delete(socket.pageId);
    if (this.#sockets.size === 0) this.#stop();
  }

  /** Writes now if the socket is open; callers keep what must survive a drop. */
  write(message: ClientMessage): void {
    if (this.#opened) this.#ws?.send(JSON.stringify(message));
  }

  /**
   * The document is done with `pageIds`: their instances end now. Over the socket; while it is
   * down (reconnecting), with a beacon, or the pages would hold what they opened on the server
   * until their grace runs out.
   */
  bye(pageIds: readonly string[]): void {
    if (this.#opened) {
      for (const pageId of pageIds) this.write({ t: 'bye', p: pageId });
      // Heard from lately: the socket carries it. Otherwise it may be dead without knowing yet
      // (the heartbeat would tell in a while): the beacon goes too; a second goodbye is harmless.
      if (Date.now() - this.#lastHeard < 2 * this.#heartbeat) return;
    }
    if (!this.#statusUrl || !this.#sendBeacon) return;
    // The server reads at most 100 ids a request.
    for (let i = 0; i < pageIds.length; i += 100) {
      this.#sendBeacon(`${this.#statusUrl}?leave=${pageIds.slice(i, i + 100).map(encodeURIComponent).join(',')}`);
    }
  }

  /** Reloads the document once the server answers again (at once if it does now). */
  reloadWhenReachable(afterOverlay = false): void {
    if (this.#reloading) return;
    this.#reloading = true;
    this.#stop();
    // Dev, `afterOverlay`: an error shown over the page (a stuck script, say) stays readable; the
    // reload waits until it is dismissed. (A page reloaded for an edit goes at once.)
    const overlay = afterOverlay && this.#dev && typeof document !== 'undefined' ? document.querySelector('pagewire-error-overlay') : null;
    if (overlay) {
      overlay.shadowRoot?.querySelector('.after')?.append('The page reloads when you dismiss this.');
      overlay.addEventListener('dismiss', () => this.#reloadNow(), { once: true });
      return;
    }
    this.#reloadNow();
  }

  #reloadNow(): void {
    const probe = (attempt: number) => {
      const retry = () => setTimeout(() => probe(attempt + 1), this.#delay(attempt));
      if (!this.#statusUrl) return this.#reload();
      this.#fetch(this.#statusUrl, { cache: 'no-store' }).then((response) => (response.ok ? this.#reload() : retry()), retry);
    };
    probe(0);
  }

  #open(): void {
    if (this.#stopped || this.#ws || this.#retryTimer) return;
    const ws = new this.#WebSocket(this.#url);
    this.#ws = ws;
    ws.onopen = () => {
      this.#opened = true;
      this.#attempt = 0;
      this.#lastHeard = Date.now();
      this.#pingSent = 0;
      this.#heartbeatTimer = setInterval(() => this.#beat(), this.#heartbeat);
      for (const socket of this.#sockets.values()) this.write(socket.joinMessage());
    };
    ws.onmessage = (event) => this.#receive(event.data);
    ws.onclose = () => this.#dropped(ws);
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
    // (the upgrade is refused without a live page). Ask, and expire the pages it forgot.
    if (!wasOpen && this.#statusUrl) void this.#checkPages();
    this.#scheduleReconnect();
  }

  async #checkPages(): Promise<void> {
    const ids = [...this.#sockets.keys()];
    let live: string[];
    try {
      const response = await this.#fetch(`${this.#statusUrl}?ids=${ids.join(',')}`, { cache: 'no-store' });
      if (!response.ok) return;
      live = ((await response.json()) as { live: string[] }).live;
    } catch {
      return; // the server is down: keep trying to reconnect
    }
    for (const id of ids) if (!live.includes(id)) this.#sockets.get(id)?.markClosed('expired');
  }

  #delay(attempt: number): number {
    // Exponential backoff with jitter, so a restarted server is not hit by every tab at once.
    const ceiling = Math.min(this.#maxDelay, this.#minDelay * 2 ** attempt);
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
    switch (message.t) {
      case 'pong':
        return;
      case 'joined':
        this.#sockets.get(message.p)?.joined(message.a, message.final);
        return;
      case 'push':
        this.#sockets.get(message.p)?.pushed(message.s, message.n, message.d, message.a);
        return;
      case 'ack':
        this.#sockets.get(message.p)?.acked(message.a);
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

/**
 * Dev: the error, where it happened and the code around it, over the page, until dismissed
 * (the element then fires `dismiss`).
 */
function showErrorOverlay(message: string, detail = ''): void {
  const host = document.createElement('pagewire-error-overlay');
  // A shadow root: the page's styles do not reach the overlay, nor its styles the page.
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `<style>
    .box { position: fixed; inset: 1rem 1rem auto 1rem; max-height: 80vh; overflow: auto; z-index: 2147483647;
      background: #fff; color: #222; border-top: 4px solid #d33; box-shadow: 0 4px 24px #0004; padding: 1rem 1.2rem;
      font: 14px/1.5 system-ui, sans-serif; }
    h2 { margin: 0 2rem .5rem 0; font-size: 1rem; color: #b00; }
    pre { margin: 0; font: 12px/1.45 ui-monospace, monospace; white-space: pre-wrap; }
    button { position: absolute; top: .5rem; right: .6rem; font: inherit; border: 0; background: none; cursor: pointer; font-size: 1.3rem; }
    .after:empty { display: none; }
    .after { margin: .6rem 0 0; color: #555; }
  </style><div class="box" role="alert"><button title="Dismiss" aria-label="Dismiss">×</button><h2></h2><pre></pre><p class="after"></p></div>`;
  (root.querySelector('h2') as HTMLElement).textContent = message;
  (root.querySelector('pre') as HTMLElement).textContent = detail;
  (root.querySelector('button') as HTMLElement).onclick = () => {
    host.remove();
    host.dispatchEvent(new Event('dismiss'));
  };
  document.documentElement.append(host);
}

function toSocketUrl(url: string): string {
  if (/^wss?:/.test(url)) return url;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${url}`;
}

declare global {
  interface Document {
    /** The live page's socket to the script instance that rendered it (Pagewire). */
    serverSocket?: ServerSocket;
  }
}

// Started by the tag the server injects: <script src=".../client.js" data-pagewire-page="...">.
const tag = typeof document === 'undefined' ? null : (document.currentScript as HTMLScriptElement | null);
if (tag?.dataset.pagewirePage) {
  const connection = new Connection({
    url: tag.dataset.pagewireSocket ?? '/__pagewire/socket',
    statusUrl: tag.dataset.pagewireStatus,
    heartbeat: Number(tag.dataset.pagewireHeartbeat) || undefined,
    dev: tag.dataset.pagewireDev !== undefined,
    maxMessageSize: Number(tag.dataset.pagewireMaxMessage) || undefined,
  });
  document.serverSocket = new ServerSocket(tag.dataset.pagewirePage, connection);
}

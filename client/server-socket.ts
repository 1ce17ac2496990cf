/**
 * Pagewire's browser runtime. Served as a classic script at the start of every live page, so
 * `document.serverSocket` exists before the page's own inline scripts run.
 *
 * One WebSocket per document carries every page (script instance) the document talks to; it
 * reconnects with exponential backoff and jitter, and re-joins its pages when it is back.
 */
import type { ClientMessage, ServerMessage } from '../protocol/wire.js';

/** A server event, or one of the socket's own (`open`, `close`, `reconnecting`, `closed`, `error`). */
export class ServerSocketEvent extends Event {
  /** The event name, as given to `server_socket_event(name, data)`. */
  readonly name: string;
  readonly data: unknown;

  constructor(name: string, data?: unknown) {
    super(name);
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

/** The page's end of its script instance on the server: `document.serverSocket`. */
export class ServerSocket extends EventTarget {
  /** The page id the server gave this document when it rendered it. */
  readonly pageId: string;
  #connection: Connection;
  #closed = false;
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

  /** Raises `__serverSocketEvent(name, data)` in the page's script instance. */
  send(name: string, data?: unknown): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('serverSocket.send(name, data): name must be a non-empty string');
    if (this.#closed) throw new Error(`serverSocket.send('${name}'): the page's server instance is closed`);
    this.#connection.send({ t: 'ev', p: this.pageId, n: name, d: data });
  }

  /** Ends the page's instance on the server now (its close hooks run). */
  close(): void {
    if (this.#closed) return;
    this.#connection.send({ t: 'bye', p: this.pageId });
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

  /** @internal Called by the connection. */
  emit(name: string, data?: unknown): void {
    this.dispatchEvent(new ServerSocketEvent(name, data));
  }

  /** @internal Called by the connection when the server ended the page. */
  markClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.remove(this);
    this.emit('closed', { reason });
  }
}

/** Options of `connect()`. */
export interface ConnectionOptions {
  /** The socket's URL, absolute (`ws://host/__pagewire/socket`) or a path. */
  url: string;
  /** Reconnection backoff: first delay and cap, in ms. */
  minDelay?: number;
  maxDelay?: number;
}

/** One WebSocket shared by every `ServerSocket` of the document. */
export class Connection {
  readonly #url: string;
  readonly #minDelay: number;
  readonly #maxDelay: number;
  readonly #sockets = new Map<string, ServerSocket>();
  /** Messages sent while the socket was not open, in order. */
  readonly #outbox: ClientMessage[] = [];
  #ws: WebSocket | undefined;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: ConnectionOptions) {
    this.#url = toSocketUrl(options.url);
    this.#minDelay = options.minDelay ?? 250;
    this.#maxDelay = options.maxDelay ?? 10_000;
    addEventListener('pagehide', (event) => {
      // A page kept in the back/forward cache may come back: only a final pagehide ends it.
      if (!event.persisted) this.#leave();
    });
  }

  add(socket: ServerSocket): void {
    this.#sockets.set(socket.pageId, socket);
    if (this.#ws?.readyState === WebSocket.OPEN) this.#write({ t: 'join', p: socket.pageId });
    else this.#open();
  }

  remove(socket: ServerSocket): void {
    this.#sockets.delete(socket.pageId);
    if (this.#sockets.size === 0) this.#stop();
  }

  send(message: ClientMessage): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#write(message);
    else this.#outbox.push(message);
  }

  #open(): void {
    if (this.#stopped || this.#ws || this.#retryTimer) return;
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      for (const pageId of this.#sockets.keys()) this.#write({ t: 'join', p: pageId });
      for (const message of this.#outbox.splice(0)) this.#write(message);
    };
    ws.onmessage = (event) => this.#receive(event.data);
    ws.onclose = () => {
      this.#ws = undefined;
      if (this.#stopped) return;
      for (const socket of this.#sockets.values()) socket.emit('close');
      this.#scheduleReconnect();
    };
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#sockets.size === 0) return;
    // Exponential backoff with jitter, so a restarted server is not hit by every tab at once.
    const ceiling = Math.min(this.#maxDelay, this.#minDelay * 2 ** this.#attempt);
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#attempt++;
    for (const socket of this.#sockets.values()) socket.emit('reconnecting', { attempt: this.#attempt, delay });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#open();
    }, delay);
  }

  #receive(text: unknown): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(text)) as ServerMessage;
    } catch {
      return;
    }
    switch (message.t) {
      case 'joined':
        this.#sockets.get(message.p)?.emit('open');
        return;
      case 'push':
        this.#sockets.get(message.p)?.emit(message.n, message.d);
        return;
      case 'closed':
        this.#sockets.get(message.p)?.markClosed(message.reason);
        return;
      case 'error': {
        const target = message.p ? this.#sockets.get(message.p) : undefined;
        console.error(`[pagewire] ${message.message}${message.detail ? `\n${message.detail}` : ''}`);
        if (message.code === 'UNKNOWN_PAGE' && target) target.markClosed('expired');
        else for (const socket of target ? [target] : this.#sockets.values()) socket.emit('error', message);
        return;
      }
      default: {
        const unknown: never = message;
        void unknown;
      }
    }
  }

  #write(message: ClientMessage): void {
    this.#ws?.send(JSON.stringify(message));
  }

  #leave(): void {
    for (const pageId of this.#sockets.keys()) this.send({ t: 'bye', p: pageId });
    this.#stop();
  }

  #stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#ws?.close(1000);
  }
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
  const connection = new Connection({ url: tag.dataset.pagewireSocket ?? '/__pagewire/socket' });
  document.serverSocket = new ServerSocket(tag.dataset.pagewirePage, connection);
}

/**
 * Pagewire's browser runtime. Served as a classic script at the start of every live page, so
 * `document.serverSocket` exists before the page's own inline scripts run.
 *
 * A `ServerSocket` is one page's end of its script instance; one `Connection` (connection.ts)
 * carries every page the document talks to over one WebSocket.
 */
import { Inbox, Outbox } from '../protocol/sequence.js';
import {
  DOM_UPDATES_EVENT,
  FINAL_CLOSE_REASONS,
  type CloseReason,
  type ClientMessage,
  type EventMessage,
  RESERVED_EVENT_PREFIX,
  VIEW_RESEND_EVENT,
} from '../protocol/wire.js';
import { Connection } from './connection.js';
import { checkReserved } from './event-names.js';
import { ListenerTarget } from './listener-target.js';
import { applyDomUpdates } from './dom-updates.js';
import { installDeclarativeEvents } from './declarative-events.js';
import { type PageHook, PageHooks } from './page-hooks.js';
import { ViewBases } from './view-updates.js';
import { type Fragments, startFragments } from './fragments.js';
import { installUploads, Uploads } from './uploads.js';

export { Connection, type ConnectionOptions } from './connection.js';

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

const utf8 = new TextEncoder();

/** Pushes received before an acknowledgement is sent at once, rather than after ACK_DELAY ms. */
const ACK_EVERY = 32;
const ACK_DELAY = 25;

/** The page's end of its script instance on the server: `document.serverSocket`. */
export class ServerSocket extends ListenerTarget<ServerSocketEvent> {
  /** The page id the server gave this document when it rendered it. */
  readonly pageId: string;
  readonly #connection: Connection;
  #closed = false;
  #joined = false;
  /** Joined once at least: only such a page reloads when closed `unauthorized`. */
  #everJoined = false;
  /** Pushes received, each number once. */
  readonly #pushes = new Inbox();
  #unackedReceived = 0;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** Events numbered and kept until the server acknowledges them. */
  readonly #events = new Outbox<EventMessage>();
  /** The last event number written to a socket: those after it may still be replaced (`sendEvent`). */
  #written = 0;
  /** @internal The server handled event `seq` (its `done`): declarative-events.ts clears busy states. */
  onDone: ((seq: number) => void) | undefined;
  /** @internal A server update was applied: declarative-events.ts sets its busy states again. */
  onServerUpdate: (() => void) | undefined;
  /** @internal Whether a server update leaves the focused field's value as typed (declarative-events.ts). */
  keepsActiveValue: (() => boolean) | undefined;
  #hooks: PageHooks | undefined;
  /** The HTML each of the page's views last received, the base of its next edits. */
  readonly #views = new ViewBases((id) => this.sendEvent(VIEW_RESEND_EVENT, { id }));
  #uploads: Uploads | undefined;
  /**
   * The page's `pw-hook`s, by name: `serverSocket.hooks.chart = { mounted(el) { ... } }`, set by
   * the page's scripts before the document has loaded, when the elements there are mounted.
   */
  readonly hooks: Record<string, PageHook> = Object.create(null);
  /** @internal Where its events are dispatched when not on itself (`new ServerSocket(path)`'s object). */
  relay: EventTarget | undefined;
  /** @internal The document's live fragments and components (client/fragments.ts): on its own page only. */
  fragments: Fragments | undefined;

  constructor(pageId: string, connection: Connection) {
    super();
    this.pageId = pageId;
    this.#connection = connection;
    connection.add(this);
  }

  /** @internal The document's hooks: told when a server update was applied. */
  useHooks(hooks: PageHooks): PageHooks {
    this.#hooks = hooks;
    return hooks;
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
    checkReserved(name);
    this.sendEvent(name, data);
  }

  /**
   * @internal `send`, returning the event's number. `key`: its coalescing key (wire.ts `k`): an
   * event with the same key not sent yet, the last one kept, is replaced by this one (same number).
   */
  sendEvent(name: string, data?: unknown, key?: string): number {
    if (typeof name !== 'string' || name === '')
      throw new TypeError('serverSocket.send(name, data): name must be a non-empty string');
    if (this.#closed) throw new Error(`serverSocket.send('${name}'): the page's server instance is closed`);
    // Refused here, not by the server: a message it must refuse would be sent again after
    // every reconnection, for ever. Measured with the number it will have.
    const max = this.#connection.maxMessageSize;
    const json = JSON.stringify({ t: 'ev', p: this.pageId, s: this.#events.lastSeq + 1, n: name, d: data, k: key });
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most events need no encoding to be measured.
    const size = json.length * 3 <= max ? 0 : utf8.encode(json).length;
    if (size > max)
      throw new RangeError(`serverSocket.send('${name}'): ${size} bytes is more than the server accepts (${max})`);
    // The data as it is now: the event may wait (the socket down) or go again (after a drop), and
    // what the page changes meanwhile must not go with it.
    data = (JSON.parse(json) as EventMessage).d;
    const last = this.#events.last;
    if (key !== undefined && last && last.seq > this.#written && last.item.k === key) {
      last.item.n = name;
      last.item.d = data;
      return last.seq;
    }
    const { seq, item } = this.#events.add((s) => ({ t: 'ev', p: this.pageId, s, n: name, d: data, k: key }));
    if (this.#joined) this.#write(item);
    return seq;
  }

  #write(item: EventMessage): void {
    this.#written = item.s;
    this.#connection.write(item);
  }

  /**
   * Loads `path`'s page into `element` as a live fragment of this document, on its socket
   * (`<pw-include src>` from code): `element.serverSocket` is its channel. `undefined` when the
   * script is not live (its HTML is inserted all the same).
   */
  load(element: Element, path: string): Promise<ServerSocket | undefined> {
    return this.#fragments('load').then((fragments) => fragments.load(element, path));
  }

  /** Puts the answer of a `fetch` or XHR of a live script into `element`, live: see `load`. */
  insert(element: Element, response: Response | XMLHttpRequest): Promise<ServerSocket> {
    return this.#fragments('insert').then((fragments) => fragments.insert(element, response));
  }

  /**
   * The headers of a request for a page as a fragment of this document, for `insert()`: rendered
   * by this document's server process and owned by its page (ended with it). Without them, behind
   * several processes or machines, the page may be rendered by another, and `insert()` refuses it.
   */
  get fragmentHeaders(): Record<string, string> {
    if (!this.fragments) throw new Error('only document.serverSocket holds fragments');
    return this.fragments.headers;
  }

  #fragments(what: string): Promise<Fragments> {
    if (this.fragments) return Promise.resolve(this.fragments);
    return Promise.reject(new Error(`serverSocket.${what}(): only document.serverSocket holds fragments`));
  }

  /**
   * Sends files to the script's `page.allowUpload(name)` over this socket, in chunks, resumed
   * after a drop. `element` (the `pw-upload` input) shows its progress (`--pw-progress`,
   * `progress` events) and a refusal (`pw-upload-error`). Settles when the server has every byte.
   * `signal` aborted: the upload stops, the server removes its unfinished files, the promise rejects.
   */
  upload(
    name: string,
    files: Iterable<File> | ArrayLike<File>,
    element?: Element,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.#closed)
      return Promise.reject(new Error(`serverSocket.upload('${name}'): the page's server instance is closed`));
    this.#uploads ??= new Uploads(this, this.#connection);
    return this.#uploads.upload(name, Array.from(files), element, signal);
  }

  /** Ends the page's instance on the server now (its close hooks run). */
  close(): void {
    if (this.#closed) return;
    this.#connection.bye([this.pageId]);
    this.markClosed('closed-by-client');
  }

  /** @internal Dispatches an event; false when a listener called `preventDefault()`. */
  emit(name: string, data?: unknown, cancelable = false): boolean {
    const event = new ServerSocketEvent(name, data, cancelable);
    return this.relay ? this.relay.dispatchEvent(event) : this.dispatchEvent(event);
  }

  /** @internal The join message for a (re)connection: says which pushes arrived. */
  joinMessage(): ClientMessage {
    return { t: 'join', p: this.pageId, a: this.#pushes.lastSeq };
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
    this.#everJoined = true;
    this.#events.acknowledge(acked);
    if (final) return;
    this.#joined = true;
    for (const { item } of this.#events.after(acked)) this.#write(item);
    this.emit('open');
  }

  /** @internal A push: each number once, in order. */
  pushed(seq: number, name: string, data: unknown, acked: number | undefined): void {
    if (acked !== undefined) this.#events.acknowledge(acked);
    const arrival = this.#pushes.accept(seq);
    if (arrival === 'seen') return;
    if (arrival === 'gap') {
      // The server numbers its pushes one by one and replays in order: a gap means one was lost,
      // and the page can no longer be trusted to show what its script sent.
      console.error(`[pagewire] push ${seq} arrived after ${this.#pushes.lastSeq}: the page expires`);
      return this.markClosed('expired');
    }
    if (++this.#unackedReceived >= ACK_EVERY) this.#ack();
    else this.#ackTimer ??= setTimeout(() => this.#ack(), ACK_DELAY);
    // Pagewire's own pushes: applied here (one this client does not know is dropped), never seen
    // by the page's listeners.
    if (name.startsWith(RESERVED_EVENT_PREFIX)) {
      if (name !== DOM_UPDATES_EVENT) return;
      applyDomUpdates(data, this.#views, this.#connection.dev, this.keepsActiveValue?.() ?? true);
      this.onServerUpdate?.();
      return this.#hooks?.serverUpdated();
    }
    this.emit(name, data);
  }

  /** @internal The server handled event `seq`. */
  done(seq: number): void {
    this.onDone?.(seq);
  }

  /** @internal The server acknowledged events up to `acked`. */
  acked(acked: number): void {
    this.#events.acknowledge(acked);
  }

  /** @internal The server ended the page (or, `expired`, no longer knows it). */
  markClosed(reason: CloseReason): void {
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
    if (FINAL_CLOSE_REASONS.has(reason)) return;
    // Refused on its first join (its socket's context is not its render's): almost always the app's
    // configuration, and a reload would be rendered and refused again, for ever. The server's error
    // frame (console, dev overlay) says what to fix.
    if (reason === 'unauthorized' && !this.#everJoined) return;
    // The gap cannot be filled: the page reloads, unless a listener of `expired` prevents it.
    // A crash's error is the only account of it the developer gets in the page: kept readable.
    if (this.emit('expired', { reason }, true)) this.#connection.reloadWhenReachable(reason === 'crashed', this);
  }

  #ack(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    this.#unackedReceived = 0;
    if (this.#joined) this.#connection.write({ t: 'ack', p: this.pageId, a: this.#pushes.lastSeq });
  }
}

declare global {
  interface Document {
    /** The live page's socket to the script instance that rendered it (Pagewire). */
    serverSocket?: ServerSocket;
  }
}

// Started by the tag the server injects: <script src=".../client.js" data-pagewire-page="...">.
const tag = typeof document === 'undefined' ? null : (document.currentScript as HTMLScriptElement | null);
if (tag?.dataset.pagewirePage && document.serverSocket) {
  // Never hijacked: a second client (a fetched live page's, run again) neither opens a socket nor replaces anything.
  if (tag.dataset.pagewireDev !== undefined) console.warn(secondClientIgnored(tag.dataset.pagewirePage));
} else if (tag?.dataset.pagewirePage && tag.dataset.pagewireSocket) {
  const connection = new Connection({
    // Beside the client script, under the app's mount path (`/app/__pagewire/<node>/socket`).
    url: tag.dataset.pagewireSocket,
    statusUrl: tag.dataset.pagewireStatus,
    reachableUrl: tag.dataset.pagewireReachable,
    heartbeat: Number(tag.dataset.pagewireHeartbeat) || undefined,
    connectTimeout: Number(tag.dataset.pagewireConnectTimeout) || undefined,
    dev: tag.dataset.pagewireDev !== undefined,
    maxMessageSize: Number(tag.dataset.pagewireMaxMessage) || undefined,
  });
  const socket = new ServerSocket(tag.dataset.pagewirePage, connection);
  document.serverSocket = socket;
  const events = installDeclarativeEvents(document, socket, tag.dataset.pagewireDev !== undefined);
  // A hook's `this.send` goes to the instance its element belongs to (a component's, or the page's).
  const send = (name: string, data?: unknown, el?: Element) =>
    (el && socket.fragments ? socket.fragments.socketFor(el) : socket)?.send(name, data);
  const hooks = socket.useHooks(new PageHooks(document, socket.hooks, send, connection.dev));
  startFragments(document, socket, connection, events, hooks, tag.dataset.pagewireSocket);
  installUploads(document, (el) => (socket.fragments ? socket.fragments.socketFor(el) : socket));
  hooks.start();
}

function secondClientIgnored(pageId: string): string {
  return (
    `[pagewire] a second Pagewire client (page ${pageId.slice(0, 6)}) was ignored: document.serverSocket stays ` +
    `this document's page (${document.serverSocket?.pageId.slice(0, 6)}), on its one socket. To make a fetched ` +
    'live page part of this one, use document.serverSocket.insert(element, response) or <pw-include src>'
  );
}

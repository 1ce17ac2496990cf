/**
 * The page socket of a test's page, and what went over it. The page's browser client (the real
 * one, running in the page's window) gets this WebSocket class: the `ws` package's, its
 * connection held in memory, with the page's session cookie. Every frame is seen here as it goes
 * by, unchanged: the events the client sent, and for each the server's `done`; the uploads it
 * declared, and for each file the server's last ack (the script was handed the file) or the
 * upload's refusal; the pushes; pongs (a round trip orders what came before it); the page's end.
 */
import { PropertySymbol } from 'happy-dom';
import { WebSocket } from 'ws';
import type { ClientMessage, CloseReason, ServerMessage } from '../protocol/wire.js';
import { RESERVED_EVENT_PREFIX, isReservedEventName } from '../protocol/wire.js';
import type { MemoryEnd } from './memory-connection.js';

/** A push of the script (`server_socket_event(name, data)`), as the page received it. */
export interface Push {
  name: string;
  data: unknown;
}

/** What a refused or failed frame said (`{ t: 'error' }`). */
export interface ErrorFrame {
  code: string;
  message: string;
}

/** An upload the client declared (`up`), as the server answered it so far. */
interface SentUpload {
  name: string;
  sizes: number[];
  /** The files the server handed the script (acknowledged up to their size). */
  handed: Set<number>;
  /** Refused before its bytes, or failed on the way (`upx`). */
  refusal?: ErrorFrame;
}

interface Waiter<T> {
  accept: (value: T) => boolean;
  resolve: (value: T) => void;
}

export class PageFrames {
  readonly pushes: Push[] = [];
  readonly errors: ErrorFrame[] = [];
  /**
   * The events the client sent, in order, each as `<page> <number>`: a component, a fragment or a
   * separate script on the same socket numbers its events from 1 too.
   */
  readonly sentEvents: string[] = [];
  /** The uploads the client declared, in order, each as `<page> <upload id>`. */
  readonly sentUploads: string[] = [];
  readonly #uploads = new Map<string, SentUpload>();
  /** Why the document's own page ended (another instance's `closed` is not the document's). */
  closedReason: CloseReason | undefined;
  /** Hears each `{ t: 'error' }` frame (a refused event, a page refused its socket). */
  onErrorFrame: ((error: ErrorFrame) => void) | undefined;
  joined = false;
  #socket: WebSocket | undefined;
  /** The last push taken, per instance: each numbers its pushes from 1. */
  readonly #lastPush = new Map<string, number>();
  readonly #dones = new Set<string>();
  /** Every instance that joined on the socket: the document's, its components, fragments, separate scripts. */
  readonly instances = new Set<string>();
  /** The instances joined on the socket and not closed yet: the document's, and those it owns. */
  readonly #live = new Set<string>();

  constructor(readonly pageId: string) {}
  #waiters: Waiter<ServerMessage | 'sent' | 'closed'>[] = [];

  /** The class the page's window gets as `WebSocket`. */
  webSocketClass(connect: () => MemoryEnd, cookie: string, origin: string): typeof globalThis.WebSocket {
    const frames = this;
    class PageWebSocket extends WebSocket {
      constructor(url: string) {
        super(new URL(url, origin.replace(/^http/, 'ws')).href, {
          createConnection: connect as never,
          headers: { cookie, origin },
        });
        frames.#socket = this;
        // Before the client's own `onmessage`: a waiter resumes after the client has handled it.
        this.on('message', (data: Buffer, binary: boolean) => {
          if (!binary) frames.#received(JSON.parse(data.toString('utf8')) as ServerMessage);
        });
      }

      override send(data: unknown, ...rest: unknown[]): void {
        const send = super.send as (data: string | Buffer, ...rest: unknown[]) => void;
        if (typeof data === 'string') {
          frames.#sent(JSON.parse(data) as ClientMessage);
          return send.call(this, data, ...rest);
        }
        // An upload's chunk: a Blob of the page's window, whose bytes happy-dom holds. Sent now,
        // as they are, so that it keeps its place among the frames (reading it would be async).
        send.call(this, (data as { [PropertySymbol.buffer]: Buffer })[PropertySymbol.buffer], ...rest);
      }
    }
    return PageWebSocket as unknown as typeof globalThis.WebSocket;
  }

  /** Sends a frame of the test's own (never an event: those go through the client). */
  sendRaw(message: ClientMessage): void {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) throw new Error("the page's socket is not open");
    (WebSocket.prototype.send as (data: string) => void).call(socket, JSON.stringify(message));
  }

  /**
   * Says goodbye for every instance on the socket, the document's first, as a browser's client
   * does when its tab closes: a page of its own the document holds (an `insert()` of the page's own
   * `fetch`, which no header made the document's) ends only so.
   */
  leave(): void {
    for (const pageId of new Set([this.pageId, ...this.#live])) this.sendRaw({ t: 'bye', p: pageId });
  }

  /** Resolves once the server answered a ping sent now: whatever it sent before has been handled. */
  async roundTrip(): Promise<void> {
    if (this.closedReason || !this.#socket || this.#socket.readyState !== WebSocket.OPEN) return;
    const pong = this.#wait((frame) => frame === 'closed' || (typeof frame === 'object' && frame.t === 'pong'));
    this.sendRaw({ t: 'ping' });
    await pong;
  }

  /** Resolves when the server said `done` for `event` (from `sentEvents`), or the page ended. */
  async done(event: string): Promise<void> {
    if (this.#dones.has(event) || this.closedReason) return;
    await this.#wait(
      (frame) =>
        frame === 'closed' || (typeof frame === 'object' && frame.t === 'done' && `${frame.p} ${frame.s}` === event),
    );
  }

  /** Resolves with the next event the client sends (as in `sentEvents`), or `undefined` if the page ends first. */
  async nextSent(): Promise<string | undefined> {
    const count = this.sentEvents.length;
    if (this.closedReason) return undefined;
    await this.#wait((frame) => frame === 'sent' || frame === 'closed');
    return this.sentEvents[count];
  }

  async joinedOrClosed(): Promise<void> {
    if (this.joined || this.closedReason) return;
    await this.#wait(
      (frame) => frame === 'closed' || (typeof frame === 'object' && frame.t === 'joined' && frame.p === this.pageId),
    );
  }

  /**
   * Resolves once the document's page ended and so did every instance it owned on the socket
   * (they end with it): the socket may then be let go without the client reconnecting for them.
   */
  async closed(): Promise<void> {
    while (!this.closedReason || this.#live.size > 0) await this.#wait((frame) => frame === 'closed');
  }

  /** A push named `name` received after the first `after` pushes, waited for if none yet. */
  async push(name: string, after: number): Promise<{ push: Push; index: number } | undefined> {
    for (;;) {
      const index = this.pushes.findIndex((push, i) => i >= after && push.name === name);
      const found = this.pushes[index];
      if (found) return { push: found, index };
      if (this.closedReason) return undefined;
      await this.#wait((frame) => frame === 'closed' || (typeof frame === 'object' && frame.t === 'push'));
    }
  }

  /**
   * Resolves when the server handed the script every file of upload `upload` (from `sentUploads`),
   * or refused or failed it (`refusal`: what it said), or its page ended (`PAGE_CLOSED`): the
   * document's, or the component's or fragment's that took it (the server drops its uploads then,
   * and says nothing of them).
   */
  async uploadSettled(upload: string): Promise<{ name: string; refusal?: ErrorFrame }> {
    const state = this.#uploads.get(upload);
    if (!state) throw new Error(`no upload ${upload} was sent`);
    const { name } = state;
    for (;;) {
      if (state.refusal) return { name, refusal: state.refusal };
      if (state.handed.size === state.sizes.length) return { name };
      if (this.closedReason) {
        return { name, refusal: { code: 'PAGE_CLOSED', message: `the page closed (${this.closedReason}) first` } };
      }
      const instance = upload.split(' ')[0] as string;
      if (this.instances.has(instance) && !this.#live.has(instance)) {
        return { name, refusal: { code: 'PAGE_CLOSED', message: `its instance (${instance}) closed first` } };
      }
      await this.#wait(
        (frame) =>
          frame === 'closed' ||
          (typeof frame === 'object' && (frame.t === 'upa' || frame.t === 'upx') && `${frame.p} ${frame.u}` === upload),
      );
    }
  }

  /** Resolves when the page receives its next frame, or ends. */
  async received(): Promise<void> {
    if (this.closedReason) return;
    await this.#wait(() => true);
  }

  /** The socket is let go (the page is closed): nothing more is heard. */
  end(): void {
    this.#socket?.terminate();
    this.#socket = undefined;
    if (!this.closedReason) this.closedReason = 'closed-by-client';
    this.#live.clear();
    this.#settle('closed');
  }

  #sent(message: ClientMessage): void {
    if (message.t === 'up') return this.#declared(`${message.p} ${message.u}`, message.n, message.f);
    if (message.t !== 'ev' || this.sentEvents.includes(`${message.p} ${message.s}`)) return;
    this.sentEvents.push(`${message.p} ${message.s}`);
    this.#settle('sent');
  }

  /** An upload declared; once: the client declares it again on each join. */
  #declared(upload: string, name: string, files: readonly { s: number }[]): void {
    if (this.#uploads.has(upload)) return;
    this.#uploads.set(upload, { name, sizes: files.map((file) => file.s), handed: new Set() });
    this.sentUploads.push(upload);
    this.#settle('sent');
  }

  #received(frame: ServerMessage): void {
    switch (frame.t) {
      case 'upa': {
        // Only the ack of a file's last byte comes after the script was handed the file.
        const upload = this.#uploads.get(`${frame.p} ${frame.u}`);
        if (upload && frame.o === upload.sizes[frame.f]) upload.handed.add(frame.f);
        break;
      }
      case 'upx': {
        const upload = this.#uploads.get(`${frame.p} ${frame.u}`);
        if (upload) upload.refusal = { code: frame.code, message: frame.message };
        break;
      }
      case 'joined':
        if (frame.p === this.pageId) this.joined = true;
        this.#live.add(frame.p);
        this.instances.add(frame.p);
        break;
      case 'push':
        // A push sent again after a reconnection is taken once, as the client takes it.
        if (frame.s <= (this.#lastPush.get(frame.p) ?? 0)) return;
        this.#lastPush.set(frame.p, frame.s);
        if (!frame.n.startsWith(RESERVED_EVENT_PREFIX) && !isReservedEventName(frame.n)) {
          this.pushes.push({ name: frame.n, data: frame.d });
        }
        break;
      case 'done':
        this.#dones.add(`${frame.p} ${frame.s}`);
        break;
      case 'error':
        this.errors.push({ code: frame.code, message: frame.message });
        this.onErrorFrame?.({ code: frame.code, message: frame.message });
        break;
      case 'closed':
        this.#live.delete(frame.p);
        if (frame.p === this.pageId) this.closedReason = frame.reason;
        this.#settle(frame);
        this.#settle('closed');
        return;
    }
    this.#settle(frame);
  }

  #wait(accept: (frame: ServerMessage | 'sent' | 'closed') => boolean): Promise<void> {
    return new Promise((resolve) => this.#waiters.push({ accept, resolve: () => resolve() }));
  }

  #settle(frame: ServerMessage | 'sent' | 'closed'): void {
    const ready = this.#waiters.filter((waiter) => waiter.accept(frame));
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve(frame);
  }
}

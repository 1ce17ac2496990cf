/**
 * `new ServerSocket('/chat/room-1')` in a page's code: a new instance of another script for this
 * document, on the document's one socket. The script renders for that request (its HTML is `.html`,
 * otherwise unused), and the instance is a fragment of the document without an element
 * (client/fragments.ts): `send`, `addEventListener`, reconnection and exactly-once delivery as
 * `document.serverSocket`; `.close()` ends it. Events sent before the server answered wait, in order.
 */
import type { Fragments } from './fragments.js';
import { checkReserved } from './event-names.js';
import { ListenerTarget } from './listener-target.js';
import { type ServerSocket, ServerSocketEvent } from './server-socket.js';

let documentFragments: Fragments | undefined;

/** @internal Set once, by the document's client: where separate instances open. */
export function useDocument(fragments: Fragments): void {
  documentFragments = fragments;
}

export class SeparateServerSocket extends ListenerTarget<ServerSocketEvent> {
  /** The path asked for, as given. */
  readonly path: string;
  /** The script's HTML for this instance, once it rendered. */
  html: string | undefined;
  /** Settles once the instance runs (rejects when it cannot: not a live script, refused). */
  readonly ready: Promise<void>;
  #socket: ServerSocket | undefined;
  #waiting: Array<[string, unknown]> = [];
  #closed = false;

  constructor(path: string) {
    super();
    const what = `new ServerSocket('${path}')`;
    if (typeof path !== 'string' || path === '') throw new TypeError(`${what}: the path must be a non-empty string`);
    const fragments = documentFragments;
    if (!fragments) throw new Error(`${what}: this document is not a live Pagewire page`);
    this.path = path;
    this.ready = fragments.fetch(path, what).then(({ html, pageId }) => {
      this.html = html;
      if (pageId === undefined) {
        throw new TypeError(
          `${what}: ${path} is not a live script (it defines no __serverSocketEvent, timer or close hook)`,
        );
      }
      // Its events reach this object's listeners.
      const socket = fragments.openDetached(pageId, this);
      this.#socket = socket;
      for (const [name, data] of this.#waiting.splice(0)) {
        try {
          socket.send(name, data);
        } catch (error) {
          // Too large (what else `send` refuses was refused when it was called): that event alone
          // is not sent, and the page hears why; the instance runs, and the events after it go.
          const message = (error as Error).message;
          console.error(`[pagewire] ${message}`);
          this.dispatchEvent(new ServerSocketEvent('error', { t: 'error', code: 'EVENT_TOO_LARGE', message }));
        }
      }
      if (this.#closed) socket.close();
    });
    this.ready.catch((error: Error) => {
      if (this.#closed) return;
      this.#closed = true;
      console.error(`[pagewire] ${error.message}`);
      this.dispatchEvent(new ServerSocketEvent('error', { t: 'error', code: 'NOT_LIVE', message: error.message }));
    });
  }

  /** The instance's page id, once it runs. */
  get pageId(): string | undefined {
    return this.#socket?.pageId;
  }

  get closed(): boolean {
    return this.#socket ? this.#socket.closed : this.#closed;
  }

  /** As `document.serverSocket.send`: delivered once, in order, also when sent before it runs. */
  send(name: string, data?: unknown): void {
    if (this.#socket) return this.#socket.send(name, data);
    if (typeof name !== 'string' || name === '')
      throw new TypeError('serverSocket.send(name, data): name must be a non-empty string');
    checkReserved(name);
    if (this.#closed) throw new Error(`serverSocket.send('${name}'): the instance of ${this.path} is closed`);
    // Its data as it is now, as when sent at once: what the page changes after does not go; what
    // JSON cannot hold throws here, to the caller.
    const json = JSON.stringify(data);
    this.#waiting.push([name, json === undefined ? json : JSON.parse(json)]);
  }

  /** Ends the instance on the server (its close hooks run). */
  close(): void {
    if (this.#socket) return this.#socket.close();
    this.#closed = true;
  }
}

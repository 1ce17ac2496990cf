/**
 * Many live instances in one document, on its one socket: components the server rendered into the
 * page (`include()` in a script: `<pw-component data-pw-page="...">`), fragments the page loads
 * (`<pw-include src>`, `serverSocket.load(el, path)`) or inserts (`serverSocket.insert(el,
 * response)`, a `fetch` or XHR of a live script), each a page of its own with its own
 * `ServerSocket` on the document's `Connection`: the same numbering, replay and exactly-once
 * delivery as the document's page. An element that holds one is its *root*
 * (`data-pw-page`); `root.serverSocket` is its channel, and the `pw-*` attributes inside it
 * raise events of that instance, not of the page around it. Removing a root from the document
 * ends its instance on the server (its close hooks run).
 */
import type { Connection } from './connection.js';
import type { DeclarativeEvents } from './declarative-events.js';
import type { PageHooks } from './page-hooks.js';
import { SeparateServerSocket, useDocument } from './separate-socket.js';
import type { ServerSocket } from './server-socket.js';

/** The request header that asks for a fragment of the page it names (lib/http/fragment-request.ts). */
export const FRAGMENT_HEADER = 'X-Pagewire-Fragment';
/** The answer's header: the fragment's page id, when its script is live. */
export const FRAGMENT_PAGE_HEADER = 'X-Pagewire-Page';
/** The document's node (its server process), to which another process hands a fragment's request. */
const FRAGMENT_NODE_HEADER = 'X-Pagewire-Node';

const ROOT = '[data-pw-page]';
const INCLUDE = 'pw-include[src]';
/** The client tag the server injects into a live page: its page id, and the socket it joins. */
const CLIENT_TAG = /<script\b[^>]*\bdata-pagewire-page="([A-Za-z0-9_-]+)"[^>]*><\/script>/;

/** An element holding a live instance. */
export interface FragmentRoot extends Element {
  serverSocket?: ServerSocket;
}

/** A page's HTML, fetched as a fragment of the document; `pageId` when it is live. */
export interface FetchedFragment {
  html: string;
  pageId: string | undefined;
}

export class Fragments {
  readonly #host: ServerSocket;
  readonly #open: (pageId: string) => ServerSocket;
  readonly #roots = new Map<Element, ServerSocket>();
  /** `<pw-include>` elements loaded (or loading) already. */
  readonly #loaded = new WeakSet<Element>();
  /** The document's socket path (its tag's `data-pagewire-socket`), and its node, from that path. */
  socketUrl: string | undefined;
  node: string | undefined;
  /** Told of every instance opened here (the declarative events' busy states). */
  onOpen: ((socket: ServerSocket) => void) | undefined;

  constructor(host: ServerSocket, open: (pageId: string) => ServerSocket) {
    this.#host = host;
    this.#open = open;
  }

  /** Watches `doc` for roots and `<pw-include>`s added (the parser's too) and roots removed. */
  start(doc: Document): void {
    new MutationObserver((records) => this.#changed(records)).observe(doc, { childList: true, subtree: true });
    this.#scan(doc.documentElement);
  }

  /**
   * The socket whose instance `el` belongs to: its nearest root's, or the document's. `undefined`
   * for an element of a root whose instance is not open (closed, or not joined yet): its events
   * are dropped, never sent to the page around it.
   */
  socketFor(el: Element): ServerSocket | undefined {
    const root = el.closest(ROOT) as FragmentRoot | null;
    if (!root) return this.#host;
    const socket = root.serverSocket;
    return socket && !socket.closed && socket.pageId === root.getAttribute('data-pw-page') ? socket : undefined;
  }

  /** Makes `root` the live root of page `pageId` (a component, a fragment), on the document's socket. */
  attach(root: Element, pageId: string): ServerSocket {
    const holder = root as FragmentRoot;
    const current = holder.serverSocket;
    if (current && current.pageId === pageId && !current.closed) return current;
    current?.close();
    root.setAttribute('data-pw-page', pageId);
    const socket = this.#open(pageId);
    holder.serverSocket = socket;
    this.#roots.set(root, socket);
    socket.addEventListener('closed', () => {
      if (this.#roots.get(root) === socket) this.#roots.delete(root);
    });
    this.onOpen?.(socket);
    return socket;
  }

  /** Page `pageId` on the document's socket with no element (`new ServerSocket(path)`); `relay` hears its events. */
  openDetached(pageId: string, relay: EventTarget): ServerSocket {
    const socket = this.#open(pageId);
    socket.relay = relay;
    this.onOpen?.(socket);
    return socket;
  }

  /**
   * The request headers that ask for a page as a fragment of this document: rendered by the
   * document's node and owned by its page (`serverSocket.fragmentHeaders`, for an app's own fetch).
   */
  get headers(): Record<string, string> {
    return { [FRAGMENT_HEADER]: this.#host.pageId, ...(this.node ? { [FRAGMENT_NODE_HEADER]: this.node } : {}) };
  }

  /** Asks the server for `path`'s page as a fragment of this document (not yet live: `attach` it). */
  async fetch(path: string, what: string): Promise<FetchedFragment> {
    const url = new URL(path, location.href);
    if (url.origin !== location.origin) throw new TypeError(`${what}: ${path} is not a path of this site`);
    if (this.#host.closed) throw new Error(`${what}: this page's server instance is closed`);
    const response = await fetch(url, {
      headers: this.headers,
      credentials: 'same-origin',
      cache: 'no-store',
    });
    const html = await response.text();
    if (!response.ok)
      throw new Error(`${what}: the server answered ${response.status} for ${path}: ${html.slice(0, 300)}`);
    return { html, pageId: response.headers.get(FRAGMENT_PAGE_HEADER) ?? undefined };
  }

  /** `serverSocket.load(el, path)`: `path`'s HTML into `el`, live; `undefined` when its script is not live. */
  async load(el: Element, path: string): Promise<ServerSocket | undefined> {
    const what = `serverSocket.load(el, '${path}')`;
    const { html, pageId } = await this.fetch(path, what);
    el.innerHTML = html;
    return pageId === undefined ? undefined : this.#attachIn(el, pageId, what);
  }

  /**
   * `attach`, for an element that must be in the document: one removed while its fragment loaded
   * (or never added) has no removal left to end its instance, which would live as long as the
   * document: it ends now, and the caller hears why.
   */
  #attachIn(el: Element, pageId: string, what: string): ServerSocket {
    const socket = this.attach(el, pageId);
    if (el.isConnected) return socket;
    socket.close();
    throw new Error(`${what}: the element is not in the document (any more): its instance ended`);
  }

  /**
   * `serverSocket.insert(el, response)`: the answer of a `fetch` or `XMLHttpRequest` of a live script,
   * put into `el` and made live. Refused when it is not a live page of this server.
   */
  async insert(el: Element, response: Response | XMLHttpRequest): Promise<ServerSocket> {
    const what = 'serverSocket.insert(el, response)';
    let text: string;
    let fragmentPage: string | null;
    if (typeof XMLHttpRequest !== 'undefined' && response instanceof XMLHttpRequest) {
      if (response.readyState !== XMLHttpRequest.DONE) throw new TypeError(`${what}: the request has not finished`);
      text = response.responseType === '' || response.responseType === 'text' ? response.responseText : '';
      fragmentPage = response.getResponseHeader(FRAGMENT_PAGE_HEADER);
    } else if (response instanceof Response) {
      if (response.bodyUsed) throw new TypeError(`${what}: the response's body was read already: pass it unread`);
      text = await response.text();
      fragmentPage = response.headers.get(FRAGMENT_PAGE_HEADER);
    } else {
      throw new TypeError(`${what}: response must be a fetch() Response or a finished XMLHttpRequest`);
    }
    // An error answer is no page to insert, even a live one (a dev error page reloads itself
    // when a file is saved: it has a client tag): say it failed, and with what.
    const status = response.status;
    if (status < 200 || status > 299) {
      throw new TypeError(`${what}: the request failed (${status}): check its URL, or the server's log`);
    }
    const tag = CLIENT_TAG.exec(text);
    const pageId = fragmentPage ?? tag?.[1];
    if (!pageId) {
      throw new TypeError(
        `${what}: this response is not a live script's page (no Pagewire page in it): a plain page, ` +
          'a static file, or a script with no __serverSocketEvent, timer or close hook. Insert it with innerHTML',
      );
    }
    // A page of another server, mount or process joins elsewhere: here it would be unknown, and expire.
    const itsSocket = tag ? tagData(tag[0]).pagewireSocket : undefined;
    if (itsSocket !== undefined && this.socketUrl !== undefined && itsSocket !== this.socketUrl) {
      const node = nodeOf(itsSocket);
      throw new TypeError(
        `${what}: ` +
          (node && itsSocket.replace(`/${node}/`, `/${this.node}/`) === this.socketUrl
            ? `another server process (${node}) rendered it, not this document's (${this.node}): ` +
              'fetch it with { headers: document.serverSocket.fragmentHeaders }'
            : `this response is a live page of another Pagewire server or mount (${itsSocket})`),
      );
    }
    // The page's own client tag would start a second client: the document's serves it.
    const html = tag ? text.slice(0, tag.index) + text.slice(tag.index + tag[0].length) : text;
    const template = document.createElement('template');
    template.innerHTML = html;
    el.replaceChildren(template.content);
    const socket = this.#attachIn(el, pageId, what);
    // An XHR made live carries its channel too: `xhr.serverSocket`.
    if (!(response instanceof Response)) {
      Object.defineProperty(response, 'serverSocket', { value: socket, configurable: true });
    }
    return socket;
  }

  #changed(records: MutationRecord[]): void {
    let removed = false;
    for (const record of records) {
      if (record.removedNodes.length > 0) removed = true;
      for (const node of record.addedNodes) if (node instanceof Element) this.#scan(node);
    }
    if (!removed) return;
    // Checked once the records are taken: a node moved (removed and added again, as a morph may
    // do) is still in the document and keeps its instance.
    for (const [root, socket] of [...this.#roots]) {
      if (root.isConnected) continue;
      this.#roots.delete(root);
      socket.close();
    }
  }

  /** Roots the server rendered (components) and `<pw-include>`s in `node`, made live. */
  #scan(node: Element): void {
    const found = [
      ...(node.matches(`${ROOT},${INCLUDE}`) ? [node] : []),
      ...node.querySelectorAll(`${ROOT},${INCLUDE}`),
    ];
    for (const el of found) {
      const pageId = el.getAttribute('data-pw-page');
      if (pageId) {
        // Once only: a root whose instance ended stays as it is (it would not join again).
        if ((el as FragmentRoot).serverSocket?.pageId !== pageId) this.attach(el, pageId);
        continue;
      }
      if (this.#loaded.has(el)) continue;
      this.#loaded.add(el);
      const src = el.getAttribute('src') ?? '';
      this.load(el, src).catch((error: unknown) => {
        // Removed while it loaded: nothing to tell.
        if (!el.isConnected) return;
        console.error(`[pagewire] <pw-include src="${src}">:`, error);
        el.setAttribute('pw-error', '');
      });
    }
  }
}

/**
 * The document's client starts its fragments: components and `<pw-include>`s, `load`/`insert`,
 * and `new ServerSocket(path)` (a global unless the page has one of its own), all on `connection`;
 * their busy states and `pw-hook`s are the document's (`events`, `hooks`).
 */
export function startFragments(
  doc: Document,
  host: ServerSocket,
  connection: Connection,
  events: DeclarativeEvents,
  hooks: PageHooks,
  socketUrl?: string,
): Fragments {
  const fragments = new Fragments(host, (pageId) => new (host.constructor as typeof ServerSocket)(pageId, connection));
  host.fragments = fragments;
  fragments.socketUrl = socketUrl;
  fragments.node = socketUrl && nodeOf(socketUrl);
  fragments.onOpen = (socket) => {
    // Its server updates tell the page's hooks too (`updated`).
    socket.useHooks(hooks);
    const busy = events.busyOf(socket);
    socket.onDone = (seq) => busy.done(seq);
    socket.onServerUpdate = () => busy.serverUpdated();
    socket.keepsActiveValue = () => !busy.submitting(doc.activeElement);
    (socket.relay ?? socket).addEventListener('closed', () => busy.clear());
  };
  useDocument(fragments);
  const global = globalThis as { ServerSocket?: unknown };
  global.ServerSocket ??= SeparateServerSocket;
  fragments.start(doc);
  return fragments;
}

/** The `data-*` of a client tag, as the browser reads them (entities decoded). */
/** The node (server process) a socket path names: `/__pagewire/<node>/socket`. */
function nodeOf(socketUrl: string): string | undefined {
  return /\/__pagewire\/([\w-]+)\/socket$/.exec(socketUrl)?.[1];
}

function tagData(tagHtml: string): DOMStringMap {
  const template = document.createElement('template');
  template.innerHTML = tagHtml;
  return (template.content.firstElementChild as HTMLElement | null)?.dataset ?? {};
}

import type { CloseReason, RequestData, RunnerToHost, ScriptErrorInfo, ScriptRunner } from '../runner/messages.js';
import { formatScriptError } from '../runner/script-error.js';
import type { Logger } from './logger.js';

/** The one thing the registry needs of a socket: a way to send it a frame. */
export interface PageSocket {
  send(frame: string): void;
}

export type RenderResult =
  | { ok: true; status: number; headers: Record<string, string | string[]>; body: string; live: boolean }
  | { ok: false; error: ScriptErrorInfo };

export interface RegistrySettings {
  dev: boolean;
  connectTimeout: number;
  disconnectGrace: number;
  logger: Logger;
}

/** Why a socket message about a page was refused. */
export type JoinRefusal = 'UNKNOWN_PAGE' | 'NOT_JOINED';

interface PageEntry {
  id: string;
  session: string;
  script: string;
  state: 'rendering' | 'pending' | 'connected' | 'disconnected' | 'closing';
  socket: PageSocket | undefined;
  /** Frames pushed while no socket was bound, delivered in order on join. */
  buffer: string[];
  /** The connect timeout (pending) or the grace period (disconnected). */
  timer: NodeJS.Timeout | undefined;
}

/** Pushes kept for a page with no socket; past it the oldest are dropped (and logged). */
const MAX_BUFFERED = 1000;

/**
 * The host's view of every page: id <-> browser session <-> socket, and each page's lifecycle
 * (rendering -> pending -> connected <-> disconnected -> closed). It turns runner messages into
 * socket frames and socket messages into runner messages.
 */
export class PageRegistry {
  readonly #runner: ScriptRunner;
  readonly #settings: RegistrySettings;
  readonly #pages = new Map<string, PageEntry>();
  readonly #byScript = new Map<string, Set<PageEntry>>();
  readonly #bySession = new Map<string, Set<PageEntry>>();
  readonly #bySocket = new Map<PageSocket, Set<PageEntry>>();
  readonly #renders = new Map<number, { entry: PageEntry; resolve: (result: RenderResult) => void }>();
  #nextRenderId = 1;
  #closing: Promise<void> | undefined;

  constructor(runner: ScriptRunner, settings: RegistrySettings) {
    this.#runner = runner;
    this.#settings = settings;
    runner.onMessage((message) => this.#onRunnerMessage(message));
  }

  /** Number of live pages (rendered, not yet closed). */
  get size(): number {
    return this.#pages.size;
  }

  /** Runs `script` for a new page owned by `session`. */
  render(script: string, pageId: string, session: string, request: RequestData): Promise<RenderResult> {
    if (this.#closing) return Promise.resolve({ ok: false, error: { code: 'SHUTTING_DOWN', name: 'Error', message: 'the server is shutting down' } });
    const renderId = this.#nextRenderId++;
    const entry: PageEntry = { id: pageId, session, script, state: 'rendering', socket: undefined, buffer: [], timer: undefined };
    this.#add(entry);
    return new Promise((resolve) => {
      this.#renders.set(renderId, { entry, resolve });
      this.#runner.post({ type: 'render', renderId, script, pageId, request });
    });
  }

  /** True while the session owns at least one page: only then may it open a socket. */
  hasSession(session: string): boolean {
    return this.#bySession.has(session);
  }

  /** Binds a page to a socket, then sends what was pushed meanwhile. */
  join(socket: PageSocket, session: string, pageId: string): JoinRefusal | undefined {
    const entry = this.#pages.get(pageId);
    // One answer for "no such page" and "not yours": a guessed id learns nothing.
    if (!entry || entry.session !== session || entry.state === 'closing' || entry.state === 'rendering') return 'UNKNOWN_PAGE';
    if (entry.socket && entry.socket !== socket) this.#bySocket.get(entry.socket)?.delete(entry);
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.socket = socket;
    entry.state = 'connected';
    let pages = this.#bySocket.get(socket);
    if (!pages) this.#bySocket.set(socket, (pages = new Set()));
    pages.add(entry);
    socket.send(`{"t":"joined","p":"${entry.id}"}`);
    for (const frame of entry.buffer.splice(0)) socket.send(frame);
    return undefined;
  }

  /** A client event for a page bound to this socket. */
  event(socket: PageSocket, pageId: string, name: string, data: string): JoinRefusal | undefined {
    const entry = this.#pages.get(pageId);
    if (!entry || entry.socket !== socket || entry.state !== 'connected') return 'NOT_JOINED';
    this.#runner.post({ type: 'event', pageId, name, data });
    return undefined;
  }

  /** The browser left the page for good (`pagehide`): close it now. */
  leave(socket: PageSocket, pageId: string): JoinRefusal | undefined {
    const entry = this.#pages.get(pageId);
    if (!entry || entry.socket !== socket) return 'NOT_JOINED';
    this.#close(entry, 'closed-by-client');
    return undefined;
  }

  /** The socket is gone: its pages wait `disconnectGrace` ms for the browser to come back. */
  detach(socket: PageSocket): void {
    const pages = this.#bySocket.get(socket);
    this.#bySocket.delete(socket);
    for (const entry of pages ?? []) {
      if (entry.socket !== socket || entry.state !== 'connected') continue;
      entry.socket = undefined;
      entry.state = 'disconnected';
      entry.timer = setTimeout(() => this.#close(entry, 'disconnected'), this.#settings.disconnectGrace).unref();
    }
  }

  /** Closes every page (close hooks run, resources released), waiting at most `timeoutMs`. */
  close(timeoutMs = 5000): Promise<void> {
    this.#closing ??= this.#closeAll(timeoutMs);
    return this.#closing;
  }

  async #closeAll(timeoutMs: number): Promise<void> {
    for (const entry of this.#pages.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([this.#runner.close(), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.#settings.logger.warn(`close hooks of ${this.#pages.size} page(s) did not finish within ${timeoutMs} ms`);
    for (const entry of [...this.#pages.values()]) this.#remove(entry);
  }

  #close(entry: PageEntry, reason: CloseReason): void {
    if (entry.state === 'closing') return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.state = 'closing';
    this.#runner.post({ type: 'close-page', pageId: entry.id, reason });
  }

  #onRunnerMessage(message: RunnerToHost): void {
    switch (message.type) {
      case 'rendered':
      case 'render-failed':
        return this.#rendered(message);
      case 'push': {
        const entry = this.#pages.get(message.pageId);
        if (entry) this.#deliver(entry, pushFrame(entry.id, message.name, message.data));
        return;
      }
      case 'broadcast':
        for (const entry of this.#byScript.get(message.script) ?? []) {
          if (entry.state !== 'rendering') this.#deliver(entry, pushFrame(entry.id, message.name, message.data));
        }
        return;
      case 'publish':
        this.#runner.post({ type: 'deliver', channel: message.channel, data: message.data });
        return;
      case 'page-closed': {
        const entry = this.#pages.get(message.pageId);
        if (!entry) return;
        entry.socket?.send(JSON.stringify({ t: 'closed', p: entry.id, reason: message.reason }));
        // A page closed while rendering is forgotten when its render result arrives.
        if (entry.state !== 'rendering') this.#remove(entry);
        return;
      }
      case 'script-error':
        return this.#scriptError(message.script, message.pageId, message.error);
      case 'log': {
        const where = message.script ? `${message.script}${message.pageId ? ` [page ${message.pageId.slice(0, 6)}]` : ''}: ` : '';
        this.#settings.logger[message.level](`${where}${message.text}`);
        return;
      }
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
    const { entry, resolve } = render;
    if (message.type === 'render-failed') {
      this.#remove(entry);
      resolve({ ok: false, error: message.error });
      return;
    }
    if (!message.live) {
      this.#remove(entry);
    } else if (entry.state === 'rendering') {
      // Rendered for a browser that may never connect (a crawler, curl, a load test).
      entry.state = 'pending';
      entry.timer = setTimeout(() => this.#close(entry, 'never-connected'), this.#settings.connectTimeout).unref();
    }
    resolve({ ok: true, status: message.status, headers: message.headers, body: message.body, live: message.live });
  }

  #scriptError(script: string, pageId: string | undefined, error: ScriptErrorInfo): void {
    const detail = [error.stack, error.frame].filter(Boolean).join('\n\n');
    this.#settings.logger.error(`${formatScriptError(error)} (${error.code}, ${script})${detail ? `\n${detail}` : ''}`);
    if (!this.#settings.dev || !pageId) return;
    const socket = this.#pages.get(pageId)?.socket;
    socket?.send(JSON.stringify({ t: 'error', p: pageId, code: error.code, message: formatScriptError(error), detail }));
  }

  #deliver(entry: PageEntry, frame: string): void {
    if (entry.socket) {
      entry.socket.send(frame);
      return;
    }
    if (entry.buffer.push(frame) > MAX_BUFFERED) {
      entry.buffer.shift();
      this.#settings.logger.warn(`${entry.script}: page ${entry.id.slice(0, 6)} has no socket and ${MAX_BUFFERED} pushes waiting; the oldest was dropped`);
    }
  }

  #add(entry: PageEntry): void {
    this.#pages.set(entry.id, entry);
    addTo(this.#byScript, entry.script, entry);
    addTo(this.#bySession, entry.session, entry);
  }

  #remove(entry: PageEntry): void {
    clearTimeout(entry.timer);
    this.#pages.delete(entry.id);
    removeFrom(this.#byScript, entry.script, entry);
    removeFrom(this.#bySession, entry.session, entry);
    if (entry.socket) this.#bySocket.get(entry.socket)?.delete(entry);
    entry.socket = undefined;
    entry.buffer.length = 0;
  }
}

function pushFrame(pageId: string, name: string, data: string): string {
  // `data` is JSON already, made once by the sandbox: spliced in, not parsed again.
  return `{"t":"push","p":"${pageId}","n":${JSON.stringify(name)},"d":${data}}`;
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

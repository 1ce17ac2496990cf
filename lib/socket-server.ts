import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { ClientMessage } from '../protocol/wire.js';
import { SOCKET_PATH } from './http-handler.js';
import type { ResolvedOptions } from './options.js';
import type { PageRegistry, PageSocket } from './page-registry.js';
import { PAGE_ID, sessionOf } from './session.js';

/** How often each socket is pinged; one that missed the previous pong is terminated. */
const HEARTBEAT_MS = 30_000;
const MAX_EVENT_NAME = 200;

/**
 * The page socket: claims upgrades of `SOCKET_PATH` only, checks Origin and session before
 * upgrading (cross-site WebSocket hijacking), then validates every message before any
 * script sees it.
 */
export class SocketServer {
  readonly #options: ResolvedOptions;
  readonly #registry: PageRegistry;
  readonly #wss: WebSocketServer;
  readonly #servers = new Map<Server, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();
  readonly #alive = new WeakSet<WebSocket>();
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(options: ResolvedOptions, registry: PageRegistry) {
    this.#options = options;
    this.#registry = registry;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageSize, perMessageDeflate: false });
    this.#heartbeat = setInterval(() => this.#beat(), HEARTBEAT_MS).unref();
  }

  /** Number of open sockets. */
  get size(): number {
    return this.#wss.clients.size;
  }

  /** Adds the upgrade listener to `server`; other paths' upgrades are left to their owners. */
  attach(server: Server): void {
    if (this.#closed) throw new Error('wire.attach(): this Pagewire instance is closed');
    if (this.#servers.has(server)) return;
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head);
    this.#servers.set(server, onUpgrade);
    server.on('upgrade', onUpgrade);
  }

  /** Detaches from every server and closes every socket. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const [server, onUpgrade] of this.#servers) server.off('upgrade', onUpgrade);
    this.#servers.clear();
    for (const ws of this.#wss.clients) ws.close(1001, 'server shutting down');
    this.#wss.close();
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== SOCKET_PATH) return;
    if (this.#closed) return refuse(socket, 503, 'the server is shutting down');
    const origin = req.headers.origin;
    if (origin !== undefined && !this.#originAllowed(origin, req.headers.host)) {
      this.#options.logger.warn(`refused a page socket from origin ${origin} (allow it with pagewire({ allowedOrigins: [...] }))`);
      return refuse(socket, 403, 'origin not allowed');
    }
    const session = sessionOf(req, this.#options.sessionCookie);
    if (!session || !this.#registry.hasSession(session)) return refuse(socket, 401, 'no live page for this session');
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws, session));
  }

  #originAllowed(origin: string, host: string | undefined): boolean {
    if (this.#options.allowedOrigins.length > 0) return this.#options.allowedOrigins.includes(origin);
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  #connected(ws: WebSocket, session: string): void {
    const socket: PageSocket = {
      send: (frame) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      },
    };
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    ws.on('message', (data, isBinary) => this.#message(socket, session, data, isBinary));
    ws.on('close', () => this.#registry.detach(socket));
    ws.on('error', (error) => this.#options.logger.warn(`page socket error: ${error.message}`));
  }

  #message(socket: PageSocket, session: string, data: RawData, isBinary: boolean): void {
    const message = isBinary ? undefined : parseClientMessage(data.toString());
    if (typeof message === 'string' || message === undefined) {
      const reason = message ?? 'binary frames are not accepted';
      socket.send(JSON.stringify({ t: 'error', code: 'BAD_MESSAGE', message: `message refused: ${reason}` }));
      return;
    }
    let refusal: string | undefined;
    switch (message.t) {
      case 'join':
        refusal = this.#registry.join(socket, session, message.p);
        break;
      case 'ev':
        refusal = this.#registry.event(socket, message.p, message.n, JSON.stringify(message.d ?? null));
        break;
      case 'bye':
        refusal = this.#registry.leave(socket, message.p);
        break;
      default: {
        const unknown: never = message;
        void unknown;
      }
    }
    if (refusal) {
      const text = refusal === 'UNKNOWN_PAGE' ? 'no such live page for this browser session' : 'the page has not joined this socket';
      socket.send(JSON.stringify({ t: 'error', p: message.p, code: refusal, message: text }));
    }
  }

  #beat(): void {
    for (const ws of this.#wss.clients) {
      if (!this.#alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
  }
}

/** A valid client message, or the reason it is not one. */
export function parseClientMessage(text: string): ClientMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const { t, p, n } = value as Record<string, unknown>;
  if (typeof p !== 'string' || !PAGE_ID.test(p)) return "'p' must be a page id";
  switch (t) {
    case 'join':
    case 'bye':
      return { t, p };
    case 'ev':
      if (typeof n !== 'string' || n === '' || n.length > MAX_EVENT_NAME) return `'n' must be an event name of 1 to ${MAX_EVENT_NAME} characters`;
      return { t, p, n, d: (value as { d?: unknown }).d };
    default:
      return `unknown message type ${JSON.stringify(t)}`;
  }
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const statusText = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { ClientMessage } from '../protocol/wire.js';
import { SOCKET_PATH } from './http-handler.js';
import type { ResolvedOptions } from './options.js';
import type { PageRegistry, PageSocket } from './page-registry.js';
import { PAGE_ID, sessionOf } from './session.js';

const MAX_EVENT_NAME = 200;

/** Per socket: a page-socket adapter, and a token bucket for the event rate limit. */
interface Connection {
  socket: PageSocket;
  session: string;
  tokens: number;
  refilled: number;
}

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
    // Each socket is pinged; one that did not answer the previous ping is dead (a half-open
    // connection behind a proxy) and is terminated, so its pages start their grace period.
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatInterval).unref();
  }

  /** Number of open sockets. */
  get size(): number {
    return this.#wss.clients.size;
  }

  /** Adds the upgrade listener to `server`; other paths' upgrades are left to their owners. */
  attach(server: Server): void {
    if (this.#closed) throw new Error('wire.attach(): this Pagewire instance is closed');
    if (this.#servers.has(server)) return;
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head, server);
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

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, server: Server): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== SOCKET_PATH) {
      // Another listener may own this path; if none does, nobody would ever answer it.
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'no WebSocket endpoint here');
      return;
    }
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
    const connection: Connection = { socket, session, tokens: this.#options.maxEventsPerSecond, refilled: Date.now() };
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    ws.on('message', (data, isBinary) => {
      this.#alive.add(ws);
      try {
        this.#message(connection, data, isBinary);
      } catch (error) {
        // Whatever a browser sends, the server stays up: refuse the message, keep the socket.
        this.#options.logger.warn(`page socket message refused: ${error instanceof Error ? error.message : String(error)}`);
        socket.send(JSON.stringify({ t: 'error', code: 'BAD_MESSAGE', message: 'message refused: it could not be processed' }));
      }
    });
    ws.on('close', () => this.#registry.detach(socket));
    ws.on('error', (error) => this.#options.logger.warn(`page socket error: ${error.message}`));
  }

  #message(connection: Connection, data: RawData, isBinary: boolean): void {
    const { socket, session } = connection;
    const message = isBinary ? undefined : parseClientMessage(data.toString());
    if (typeof message === 'string' || message === undefined) {
      const reason = message ?? 'binary frames are not accepted';
      socket.send(JSON.stringify({ t: 'error', code: 'BAD_MESSAGE', message: `message refused: ${reason}` }));
      return;
    }
    let refusal: string | undefined;
    switch (message.t) {
      case 'ping':
        socket.send('{"t":"pong"}');
        return;
      case 'join':
        refusal = this.#registry.join(socket, session, message.p, message.a);
        break;
      case 'ack':
        refusal = this.#registry.ack(socket, message.p, message.a);
        break;
      case 'ev':
        if (!this.#takeToken(connection)) {
          this.#registry.skip(socket, message.p, message.s);
          const text = `event '${message.n}' refused: more than ${this.#options.maxEventsPerSecond} events per second on this socket (maxEventsPerSecond)`;
          socket.send(JSON.stringify({ t: 'error', p: message.p, code: 'RATE_LIMITED', message: text }));
          return;
        }
        refusal = this.#registry.event(socket, message.p, message.s, message.n, JSON.stringify(message.d ?? null));
        break;
      case 'bye':
        refusal = this.#registry.leave(socket, message.p);
        break;
      default: {
        const unknown: never = message;
        void unknown;
        return;
      }
    }
    if (refusal) socket.send(JSON.stringify({ t: 'error', p: message.p, code: refusal, message: REFUSALS[refusal as keyof typeof REFUSALS] }));
  }

  /** Token bucket: `maxEventsPerSecond` tokens, refilled continuously. */
  #takeToken(connection: Connection): boolean {
    const now = Date.now();
    const rate = this.#options.maxEventsPerSecond;
    connection.tokens = Math.min(rate, connection.tokens + ((now - connection.refilled) * rate) / 1000);
    connection.refilled = now;
    if (connection.tokens < 1) return false;
    connection.tokens--;
    return true;
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

const REFUSALS = {
  UNKNOWN_PAGE: 'no such live page for this browser session (it expired, or the server restarted)',
  NOT_JOINED: 'the page has not joined this socket',
  BAD_SEQUENCE: 'event numbers must follow each other: an event was skipped',
} as const;

/** A valid client message, or the reason it is not one. */
export function parseClientMessage(text: string): ClientMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const { t, p, n, s, a } = value as Record<string, unknown>;
  if (t === 'ping') return { t };
  if (typeof p !== 'string' || !PAGE_ID.test(p)) return "'p' must be a page id";
  switch (t) {
    case 'bye':
      return { t, p };
    case 'join':
    case 'ack':
      if (!isCount(a)) return "'a' must be the number of the last push received (an integer >= 0)";
      return { t, p, a };
    case 'ev':
      if (typeof n !== 'string' || n === '' || n.length > MAX_EVENT_NAME) return `'n' must be an event name of 1 to ${MAX_EVENT_NAME} characters`;
      if (!isCount(s) || s === 0) return "'s' must be the event's number (an integer >= 1)";
      return { t, p, s, n, d: (value as { d?: unknown }).d };
    default:
      return `unknown message type '${String(t).slice(0, 40)}'`;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const statusText = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { ClientMessage } from '../../protocol/wire.js';
import { type ContextError, contextErrorForBrowser, type ContextResult } from '../context.js';
import { hostGuard, requestHost, requestScheme } from '../http/host-check.js';
import { originAllowed } from '../http/origin.js';
import { forLog } from '../log-text.js';
import { asExpressRequest } from '../http/express-request.js';
import { nodeEndpoint } from '../http/mount.js';
import type { Peers } from '../cluster/peers.js';
import { sessionsOf } from '../http/session.js';
import type { ResolvedOptions } from '../options.js';
import type { PageMount, PageRegistry, PageSocket, Refusal } from '../pages/page-registry.js';
import { parseClientMessage } from './client-message.js';
import { type Frame, frame } from './frames.js';
import { TokenBucket } from './rate-limit.js';
import { identifySocket } from './socket-identity.js';
import { addClaimant, removeClaimant, upgradeRole } from './upgrade-claims.js';
import type { UploadHub } from '../uploads/upload-hub.js';
import { refusedDeclaration } from '../uploads/upload-messages.js';

/** Chunks a socket may send that are refused (another page's, out of order) before it is ended. */
const MAX_REFUSED_CHUNKS = 16;

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Per socket: a page-socket adapter, and a token bucket for the message rate limit. */
interface Connection {
  ws: WebSocket;
  socket: PageSocket;
  /** The browser's sessions (issued here) with a page under this base, in its cookies' order. */
  sessions: readonly string[];
  /** With `socketMiddleware`: the context of its upgrade request, each page's is compared with. */
  context: ContextResult | undefined;
  bucket: TokenBucket;
  /** Messages read but waiting for the bucket to refill, in order. */
  backlog: ClientMessage[];
  /** Set while the backlog waits: reading from the socket is paused meanwhile. */
  timer: NodeJS.Timeout | undefined;
  /** Upload chunks refused on this socket so far. */
  refusedChunks: number;
}

/** What an instance makes of an upgrade: a socket of its own pages, or another node's. */
type Claim = { own: true; sessions: string[]; mount: PageMount } | { own: false; node: string };

/**
 * The page socket: claims only the upgrades that are its own (`<base>/__pagewire/<node>/socket`
 * of this process's node, from a session with a page it rendered under `<base>`), checks Origin
 * before upgrading (cross-site WebSocket hijacking), then validates every message before any
 * script sees it. Another node's socket is handed to its process (`Peers`), or refused 410 when
 * no process of the site has that node: its pages are gone.
 */
export class SocketServer {
  readonly #options: ResolvedOptions;
  readonly #registry: PageRegistry;
  readonly #peers: Peers;
  readonly #wss: WebSocketServer;
  readonly #uploads: UploadHub | undefined;
  readonly #refusedHost: (req: IncomingMessage) => string | undefined;
  readonly #servers = new Map<Server, UpgradeListener>();
  readonly #alive = new WeakSet<WebSocket>();
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(options: ResolvedOptions, registry: PageRegistry, peers: Peers, uploads?: UploadHub) {
    this.#options = options;
    this.#uploads = uploads;
    this.#registry = registry;
    this.#peers = peers;
    this.#refusedHost = hostGuard(options);
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes, perMessageDeflate: false });
    // Each socket is pinged; one that did not answer the previous ping is dead (a half-open
    // connection behind a proxy) and is terminated, so its pages start their grace period.
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatInterval).unref();
  }

  /** Adds the upgrade listener to `server`; other paths' upgrades are left to their owners. */
  attach(server: Server): void {
    if (this.#closed) throw new Error('wire.attach(): this Pagewire instance is closed');
    if (this.#servers.has(server)) return;
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket, head, server, onUpgrade);
    this.#servers.set(server, onUpgrade);
    addClaimant(server, onUpgrade, (req) => this.#claim(req) !== undefined);
    server.on('upgrade', onUpgrade);
  }

  /** Detaches from every server and closes every socket. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const [server, onUpgrade] of this.#servers) {
      server.off('upgrade', onUpgrade);
      removeClaimant(server, onUpgrade);
    }
    this.#servers.clear();
    for (const ws of this.#wss.clients) ws.close(1001, 'server shutting down');
    this.#wss.close();
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, server: Server, listener: UpgradeListener): void {
    const role = upgradeRole(server, listener, req);
    // Another listener may own it (another Pagewire instance's mount, the app's own); if none
    // can, nobody would ever answer it: a page of the previous process, say, which then asks the
    // status endpoint and reloads.
    if (role === 'refuse') return refuse(socket, 404, 'no live page of this session here');
    const claim = role === 'answer' ? this.#claim(req) : undefined;
    if (!claim) return;
    if (!claim.own) {
      // Checked by its owner, as if it had reached it first: Host, Origin, session, context.
      if (this.#peers.has(claim.node) && this.#peers.handOver(claim.node, req, socket, head)) return;
      return refuse(socket, 410, `node ${claim.node} is no process of this site (any more): its pages are gone`);
    }
    if (this.#closed) return refuse(socket, 503, 'the server is shutting down');
    // DNS rebinding: a site whose name now resolves here is same-origin to itself; its Host is not ours.
    const hostRefusal = this.#refusedHost(req);
    if (hostRefusal !== undefined) return refuse(socket, 403, hostRefusal);
    const origin = req.headers.origin;
    const { trustProxy } = this.#options;
    if (!originAllowed(this.#options, origin, requestHost(req, trustProxy), requestScheme(req, trustProxy))) {
      this.#options.logger.warn(
        `refused a page socket from origin ${forLog(origin)} (allow it with pagewire({ allowedOrigins: [...] }))`,
      );
      return refuse(socket, 403, 'origin not allowed');
    }
    const { sessions, mount } = claim;
    const middleware = this.#options.socketMiddleware;
    if (!middleware)
      return this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws, sessions, undefined));
    identifySocket(this.#options, middleware, req, socket, (res) => asExpressRequest(mount, req, res))
      .then((context) => {
        if (!context) return;
        if (this.#closed) return refuse(socket, 503, 'the server is shutting down');
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws, sessions, context));
      })
      .catch((error: unknown) => {
        // Never an unhandled rejection in the app's process: the socket is dropped, and said so.
        this.#options.logger.warn(`page socket dropped: ${error instanceof Error ? error.message : String(error)}`);
        socket.destroy();
      });
  }

  /**
   * Another node's socket path is claimed to be handed over (or refused 410). Of this node, the
   * upgrade is this instance's when its path is a page socket's (`<base>/__pagewire/<node>/socket`)
   * and its session has a page rendered under `<base>` here that can still join: what the
   * instance knows of its mounts is its live pages, never what browsers sent it. Every session
   * cookie the server issued counts (a browser sends several when another was set for a longer
   * path, and a page joins with the one that owns it): refusing the socket for the first would
   * expire the page, whose reload would be refused again.
   */
  #claim(req: IncomingMessage): Claim | undefined {
    const target = nodeEndpoint((req.url ?? '').split('?')[0] ?? '');
    if (target?.endpoint !== 'socket') return undefined;
    if (target.node !== this.#options.node) return { own: false, node: target.node };
    const { base } = target;
    let mount: PageMount | undefined;
    const sessions: string[] = [];
    for (const session of sessionsOf(req, this.#options)) {
      const found = this.#registry.socketMount(session, base);
      if (!found) continue;
      mount ??= found;
      sessions.push(session);
    }
    return mount ? { own: true, sessions, mount } : undefined;
  }

  #connected(ws: WebSocket, sessions: readonly string[], context: ContextResult | undefined): void {
    const maxBuffered = 4 * this.#options.maxBufferedBytes;
    const socket: PageSocket = {
      send: (frame) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        // A browser that does not read what it is sent gets no more: pushes stay buffered for
        // the page (bounded), and the socket ends; the page re-joins when the browser is back.
        if (ws.bufferedAmount > maxBuffered) {
          this.#options.logger.warn(
            `page socket terminated: more than ${maxBuffered} bytes waiting to be sent ` +
              'to a browser that does not read them',
          );
          ws.terminate();
          return;
        }
        ws.send(frame);
      },
    };
    const bucket = new TokenBucket(this.#options.maxEventsPerSecond);
    const connection: Connection = {
      ws,
      socket,
      sessions,
      context,
      bucket,
      backlog: [],
      timer: undefined,
      refusedChunks: 0,
    };
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    ws.on('message', (data, isBinary) => {
      this.#alive.add(ws);
      try {
        this.#message(connection, data, isBinary);
      } catch (error) {
        this.#refuseBroken(socket, error);
      }
    });
    ws.on('close', () => {
      // What waited in the backlog was never acknowledged: the browser sends it again.
      clearTimeout(connection.timer);
      connection.backlog.length = 0;
      this.#registry.detach(socket);
    });
    ws.on('error', (error) => this.#options.logger.warn(`page socket error: ${error.message}`));
  }

  #message(connection: Connection, data: RawData, isBinary: boolean): void {
    const { socket } = connection;
    // Binary frames are upload chunks: paced by the upload's window, not by the event rate.
    if (isBinary && this.#uploads) return this.#chunk(connection, data);
    const text = isBinary ? undefined : data.toString();
    const message = text === undefined ? undefined : parseClientMessage(text);
    if (typeof message === 'string' || message === undefined) {
      const reason = message ?? 'binary frames are not accepted';
      const upload = text === undefined || message === undefined ? undefined : refusedDeclaration(text, reason);
      socket.send(frame(upload ?? { t: 'error', code: 'BAD_MESSAGE', message: `message refused: ${reason}` }));
      return;
    }
    if (message.t === 'ack') return this.#registry.ack(socket, message.p, message.a);
    connection.backlog.push(message);
    this.#drain(connection);
  }

  #chunk(connection: Connection, data: RawData): void {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const refused = this.#uploads?.chunk(connection.socket, bytes);
    if (refused === undefined) return;
    connection.socket.send(frame({ t: 'error', code: 'BAD_MESSAGE', message: `message refused: ${refused}` }));
    if (++connection.refusedChunks <= MAX_REFUSED_CHUNKS) return;
    this.#options.logger.warn(`page socket closed: more than ${MAX_REFUSED_CHUNKS} upload chunks refused`);
    connection.ws.close(1008, 'upload chunks refused');
  }

  /** Whatever a browser sends, the server stays up: refuse the message, keep the socket. */
  #refuseBroken(socket: PageSocket, error: unknown): void {
    this.#options.logger.warn(`page socket message refused: ${error instanceof Error ? error.message : String(error)}`);
    socket.send(frame({ t: 'error', code: 'BAD_MESSAGE', message: 'message refused: it could not be processed' }));
  }

  #handle(connection: Connection, message: ClientMessage): void {
    const { socket, sessions, context } = connection;
    let refusal: Refusal | undefined;
    switch (message.t) {
      case 'ping':
        socket.send(PONG);
        return;
      case 'join':
        // The app's context function failed for this socket: no page can be checked, none joins.
        if (context?.ok === false) return socket.send(contextFailed(message.p, context.error, this.#options.dev));
        // With the session that owns the page; another's join has no effect and the same answer.
        for (const session of sessions) {
          refusal = this.#registry.join(socket, session, message.p, message.a, context?.value);
          if (refusal !== 'UNKNOWN_PAGE') break;
        }
        break;
      case 'ack':
        return this.#registry.ack(socket, message.p, message.a);
      case 'ev': {
        const data = JSON.stringify(message.d ?? null);
        refusal = this.#registry.event(socket, message.p, message.s, message.n, data, message.k);
        break;
      }
      case 'bye':
        refusal = this.#registry.leave(socket, message.p);
        break;
      case 'up':
        this.#uploads?.start(socket, message);
        return;
      case 'upc':
        this.#uploads?.cancel(socket, message);
        return;
      default: {
        const unknown: never = message;
        void unknown;
        return;
      }
    }
    if (refusal) socket.send(frame({ t: 'error', p: message.p, code: refusal, message: REFUSALS[refusal] }));
  }

  /**
   * Token bucket of `maxEventsPerSecond` messages. Past it, messages wait in order and the
   * socket's reading pauses until the bucket refills: a fast sender is slowed down, nothing it
   * sent is dropped (a backlog replayed after a reconnection must arrive whole), and it is
   * told once per pause.
   */
  #drain(connection: Connection): void {
    if (connection.timer) return;
    const { bucket } = connection;
    while (connection.backlog.length > 0 && bucket.take()) {
      try {
        this.#handle(connection, connection.backlog.shift() as ClientMessage);
      } catch (error) {
        this.#refuseBroken(connection.socket, error);
      }
    }
    if (connection.backlog.length === 0) {
      if (connection.ws.isPaused) connection.ws.resume();
      return;
    }
    const wait = bucket.wait();
    if (!connection.ws.isPaused) {
      connection.ws.pause();
      const text =
        `more than ${bucket.rate} messages per second on this socket (maxEventsPerSecond): ` +
        `reading paused for ${wait} ms`;
      connection.socket.send(frame({ t: 'error', code: 'RATE_LIMITED', message: text }));
    }
    connection.timer = setTimeout(() => {
      connection.timer = undefined;
      this.#drain(connection);
    }, wait);
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

const REFUSALS: Record<Refusal, string> = {
  UNKNOWN_PAGE: 'no such live page for this browser session (it expired, or the server restarted)',
  NOT_JOINED: 'the page has not joined this socket',
  BAD_SEQUENCE: 'event numbers must follow each other: an event was skipped',
};

const PONG = frame({ t: 'pong' });

/** Outside dev, the browser is not told the app's error text: what failed, and the request id. */
function contextFailed(pageId: string, error: ContextError, dev: boolean): Frame {
  return frame({ t: 'error', p: pageId, code: 'CONTEXT_FAILED', ...contextErrorForBrowser(error, dev) });
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const statusText = { 403: 'Forbidden', 404: 'Not Found', 410: 'Gone', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}

/**
 * The server's side of the page protocol, scripted by a test, for the browser client's unit tests
 * (test/unit/client-connection.test.ts, test/unit/reload-count.test.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket as NodeWebSocket, WebSocketServer, type WebSocket } from 'ws';
import type { ReloadStorage } from '../../client/reload-count.js';
import { Connection, ServerSocket, type ServerSocketEvent } from '../../client/server-socket.js';
import type { ClientMessage, ServerMessage } from '../../protocol/wire.js';

export const PAGE = 'p'.repeat(22);

/**
 * The server's side of the protocol, played by the test over a real WebSocket on 127.0.0.1: the
 * client is tested alone, against the messages of protocol/wire.ts. The status endpoint answers
 * what `status` says.
 */
export class ScriptedServer {
  readonly http: Server;
  readonly wss: WebSocketServer;
  readonly received: ClientMessage[] = [];
  status = 200;
  statusRequests = 0;
  /** Whether a `ping` is answered `pong`, as the real server does. */
  answerPings = false;
  #sockets: WebSocket[] = [];
  #waiters: Array<() => void> = [];

  /** A scripted server listening on 127.0.0.1, for a describe's `before`. */
  static async listening(): Promise<ScriptedServer> {
    const server = new ScriptedServer();
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    return server;
  }

  /** Ends its sockets and stops listening, for a describe's `after`. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise((resolve) => this.http.close(resolve));
  }

  constructor() {
    this.http = createServer((_req, res) => {
      this.statusRequests++;
      this.#wake();
      res.statusCode = this.status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ live: [] }));
    });
    this.wss = new WebSocketServer({ server: this.http });
    this.wss.on('connection', (ws) => {
      this.#sockets.push(ws);
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as ClientMessage;
        this.received.push(message);
        if (message.t === 'ping' && this.answerPings) ws.send(JSON.stringify({ t: 'pong' }));
        this.#wake();
      });
      this.#wake();
    });
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get connections(): number {
    return this.#sockets.length;
  }

  send(message: ServerMessage): void {
    this.#sockets.at(-1)?.send(JSON.stringify(message));
  }

  /** Drops the current connection, as a network cut would. */
  drop(): void {
    this.#sockets.at(-1)?.terminate();
  }

  async until<T>(find: () => T | undefined): Promise<T> {
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The first message received after `from` that matches. */
  message(from: number, matches: (m: ClientMessage) => boolean): Promise<ClientMessage> {
    return this.until(() => this.received.slice(from).find(matches));
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

export function client(
  server: ScriptedServer,
  reloads: { count: number; wake?: () => void },
  fetch?: typeof globalThis.fetch,
  reloadStorage?: ReloadStorage,
  heartbeat?: number,
): ServerSocket {
  const connection = new Connection({
    ...(fetch ? { fetch } : {}),
    ...(heartbeat ? { heartbeat } : {}),
    ...(reloadStorage ? { reloadStorage } : {}),
    url: `ws://127.0.0.1:${server.port}/`,
    statusUrl: `http://127.0.0.1:${server.port}/status`,
    WebSocket: NodeWebSocket as unknown as typeof globalThis.WebSocket,
    minDelay: 5,
    maxDelay: 40,
    reload: () => {
      reloads.count++;
      reloads.wake?.();
    },
  });
  return new ServerSocket(PAGE, connection);
}

export function nextEvent(socket: ServerSocket, name: string): Promise<ServerSocketEvent> {
  return new Promise((resolve) => socket.addEventListener(name, resolve, { once: true }));
}

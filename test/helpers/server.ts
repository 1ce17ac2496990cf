import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import { WebSocket } from 'ws';
import { pagewire, type Pagewire, type PagewireOptions } from '../../lib/index.js';
import { FAILURE_REPORT_MS, memoryLogger, realTimeout } from './fixtures.js';
import { SOCKET } from './paths.js';

export interface TestServer {
  wire: Pagewire;
  server: Server;
  url: string;
  origin: string;
  log: ReturnType<typeof memoryLogger>;
  close(): Promise<void>;
}

/**
 * The `workers` option of a test server: as by default (a worker thread per core), unless
 * PAGEWIRE_TEST_WORKERS says how many (0: the scripts in this thread).
 */
export function testWorkers(): Pick<PagewireOptions, 'workers'> {
  return process.env.PAGEWIRE_TEST_WORKERS ? { workers: Number(process.env.PAGEWIRE_TEST_WORKERS) } : {};
}

/**
 * How long pages wait for their browser to connect, or to come back, unless a test says: longer
 * than any test takes on a loaded machine, so no test races these timeouts by accident.
 */
export const PATIENT = { connectTimeout: 600_000, disconnectTimeout: 600_000 } as const;

/** How the test's Express app is put together around Pagewire. */
export interface AppSetup {
  /** Where Pagewire is mounted: `app.use(mount, wire)`. The root by default. */
  mount?: string;
  /** The app's own middleware, before Pagewire (its session, its user). */
  before?: RequestHandler[];
  /** The app's own routes and error handlers, after Pagewire. */
  after?: (app: Express) => void;
}

/** Pagewire mounted in a real Express app, listening on 127.0.0.1 with a free port. */
export async function startServer(options: PagewireOptions, setup: AppSetup = {}): Promise<TestServer> {
  const log = memoryLogger();
  const wire = pagewire({ logger: log, ...PATIENT, ...testWorkers(), ...options });
  const app = express();
  for (const middleware of setup.before ?? []) app.use(middleware);
  app.use(setup.mount ?? '/', wire);
  setup.after?.(app);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  wire.attach(server);
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    wire,
    server,
    url: origin,
    origin,
    log,
    close: async () => {
      await wire.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A rendered page as it was answered: its page id if live (else ''), and the new session cookie if set. */
export async function fetchPage(
  base: string,
  path: string,
  cookie?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; pageId: string; newSession: string | undefined; body: string }> {
  const response = await fetch(base + path, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
  const body = await response.text();
  const pageId = /data-pagewire-page="([^"]+)"/.exec(body)?.[1] ?? '';
  const node = /data-pagewire-socket="[^"]*\/__pagewire\/([\w-]+)\/socket"/.exec(body)?.[1];
  if (pageId && node) pageNodes.set(pageId, node);
  const newSession = response.headers.get('set-cookie')?.split(';')[0];
  return { status: response.status, pageId, newSession, body };
}

/**
 * The node of each page this process rendered through `fetchPage`, read from its tag as the
 * client reads it: a join goes to its node's socket path, whatever process the server runs in.
 */
const pageNodes = new Map<string, string>();

/** The page id and the session cookie of a rendered live page. */
export async function renderLive(
  base: string,
  path: string,
  cookie?: string,
): Promise<{ pageId: string; cookie: string; body: string }> {
  const { status, pageId, newSession, body } = await fetchPage(base, path, cookie);
  if (!pageId) throw new Error(`${path} did not render a live page (status ${status}): ${body.slice(0, 300)}`);
  return { pageId, cookie: cookie ?? newSession ?? '', body };
}

/** A page socket client: a real `ws` connection, with every frame it receives kept in order. */
export class SocketClient {
  readonly ws: WebSocket;
  readonly frames: Array<Record<string, unknown>> = [];
  #waiters: Array<() => void> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Record<string, unknown>);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static connect(
    origin: string,
    cookie: string,
    headers: Record<string, string> = {},
    base = '',
    /** The page's node, when not this process's (the server's `node` option, another process). */
    node?: string,
  ): Promise<SocketClient> {
    const path = node === undefined ? SOCKET : `/__pagewire/${node}/socket`;
    const ws = new WebSocket(`${origin.replace('http', 'ws')}${base}${path}`, {
      headers: { cookie, origin, ...headers },
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new SocketClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends a client event with the page's next event number. */
  event(pageId: string, name: string, data?: unknown): void {
    const seq = (this.#seq.get(pageId) ?? 0) + 1;
    this.#seq.set(pageId, seq);
    this.send({ t: 'ev', p: pageId, s: seq, n: name, d: data });
  }

  readonly #seq = new Map<string, number>();

  /**
   * Resolves with the first frame (new or already received) that matches: it waits for the frame,
   * however long it takes. `timeoutMs` only reports one that never comes.
   */
  async next(
    matches: (frame: Record<string, unknown>) => boolean,
    timeoutMs = FAILURE_REPORT_MS,
  ): Promise<Record<string, unknown>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(matches);
      if (found) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching frame after ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const cancel = realTimeout(left, resolve);
        this.#waiters.push(() => {
          cancel();
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Opens a socket (under the mount `base`) and sends the join of `pageId`, whatever the answer. */
export async function requestJoin(
  origin: string,
  pageId: string,
  cookie: string,
  {
    acked = 0,
    base = '',
    headers = {},
    node,
  }: { acked?: number; base?: string; headers?: Record<string, string>; node?: string } = {},
): Promise<SocketClient> {
  const client = await SocketClient.connect(origin, cookie, headers, base, node ?? pageNodes.get(pageId));
  client.send({ t: 'join', p: pageId, a: acked });
  return client;
}

/** Opens a socket and joins `pageId`; resolves once the server confirmed the join. */
export async function joinPage(
  origin: string,
  pageId: string,
  cookie: string,
  acked = 0,
  node?: string,
  base = '',
): Promise<SocketClient> {
  const client = await requestJoin(origin, pageId, cookie, { acked, node, base });
  await client.next((f) => f.t === 'joined' && f.p === pageId);
  return client;
}

/**
 * One Pagewire instance for the pages a test opens on one scripts folder: the pages opened while
 * others are open share it (its `shared` store, its channels, its clock), as the pages of one
 * server do; it ends when its last page closes. It serves through an `http.Server` that never
 * listens: each request and page socket is a connection held in memory (memory-connection.ts).
 */
import http, { type IncomingMessage } from 'node:http';
import path from 'node:path';
import type { PagewireError } from '../lib/errors.js';
import type { LogFields, Logger } from '../lib/logger.js';
import type { PagewireOptions } from '../lib/options.js';
import { type Pagewire, startPagewire } from '../lib/pagewire.js';
import { connectInMemory, type MemoryEnd } from './memory-connection.js';
import { TestClock } from './test-clock.js';

/** A script's error as a test reads it. */
export interface ScriptFailure {
  /** `RENDER_ERROR`, `EVENT_ERROR`, `TIMER_ERROR`, `CLOSE_ERROR`, `COMPILE_ERROR`, ... */
  code: string;
  /** `file:line:column Name: message`, where the script failed. */
  message: string;
  /** The script file, relative to the scripts folder, its line and column, when known. */
  file?: string;
  line?: number;
  column?: number;
  /** Frames in script files only. */
  stack?: string;
  /** The page it happened in, when it happened in one. */
  pageId?: string;
}

/** A log line of the instance (scripts' `console.log` included), kept rather than printed. */
export interface LogLine extends LogFields {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** The options of the instance behind a test's pages; a few are the tests' own. */
export type SiteOptions = Omit<
  PagewireOptions,
  'dir' | 'workers' | 'logger' | 'onError' | 'context' | 'socketMiddleware' | 'redis' | 'dev'
>;

/** What `request` gives back. */
export interface Exchange {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestInit {
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  context: object | undefined;
}

/** What the site knows of each page open on it. */
export interface SitePage {
  readonly id: string | undefined;
  /** Resolves once what the server sent the page until now has been handled by it. */
  settle(): Promise<void>;
}

/** The origin pages are served from: `localhost` is a host Pagewire always answers. */
export const TEST_ORIGIN = 'http://localhost';

const sites = new Map<string, TestSite>();

export class TestSite {
  readonly dir: string;
  readonly clock = new TestClock(Date.now());
  readonly wire: Pagewire;
  readonly failures: ScriptFailure[] = [];
  readonly logs: LogLine[] = [];
  readonly pages = new Set<SitePage>();
  readonly #server: http.Server;
  readonly #contexts = new WeakMap<object, object>();
  readonly #failureListeners = new Set<(failure: ScriptFailure) => void>();
  readonly #options: SiteOptions | undefined;
  #users = 0;

  /** The site of `dir`: the one open now, or a new one. */
  static of(dir: string, options: SiteOptions | undefined): TestSite {
    const full = path.resolve(dir);
    const open = sites.get(full);
    if (open) {
      if (options && options !== open.#options) {
        throw new Error(
          `open('${dir}'): pages of this folder are open with other options; they share one instance, so ` +
            'pass the same options object, or close them first',
        );
      }
      return open;
    }
    const site = new TestSite(full, options);
    sites.set(full, site);
    return site;
  }

  private constructor(dir: string, options: SiteOptions | undefined) {
    this.dir = dir;
    this.#options = options;
    const keep =
      (level: LogLine['level']) =>
      (message: string, fields: LogFields = {}) =>
        void this.logs.push({ level, message, ...fields });
    const logger: Logger = { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
    this.wire = startPagewire(
      {
        connectTimeout: 600_000,
        disconnectTimeout: 600_000,
        ...options,
        dir,
        workers: 0,
        logger,
        onError: (error) => this.#failed(error as PagewireError),
        // Each request's connection carries the context its test gave.
        context: (req: IncomingMessage) => this.#contexts.get(req.socket) ?? {},
        socketMiddleware: [],
      },
      { ownsProcess: false },
      { clock: this.clock.sandbox },
    );
    this.#server = http.createServer(this.wire.handler);
    this.wire.attach(this.#server);
  }

  /** A page opened on this site: it keeps the site open until it is released. */
  use(): void {
    this.#users += 1;
  }

  /** A page is done with the site: the last one closes it. */
  async release(): Promise<void> {
    this.#users -= 1;
    if (this.#users > 0) return;
    if (sites.get(this.dir) === this) sites.delete(this.dir);
    await this.wire.close();
    this.#server.close();
  }

  /**
   * Moves the pages' clock on, then waits until what their timers sent has reached them. First,
   * what the pages sent has reached the server (a round trip each): an event sent just before is
   * being handled, its timers set, when the time moves.
   */
  async tick(ms: number): Promise<void> {
    await Promise.all([...this.pages].map((page) => page.settle()));
    await this.clock.advance(ms);
    await Promise.all([...this.pages].map((page) => page.settle()));
  }

  /** A connection to the site, held in memory, whose requests have `context`. */
  connect(context: object | undefined): MemoryEnd {
    return connectInMemory(this.#server, (served) => {
      if (context) this.#contexts.set(served, context);
    });
  }

  /** One HTTP exchange, through Node's HTTP code on both ends. */
  request(url: string, init: RequestInit): Promise<Exchange> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        new URL(url, TEST_ORIGIN),
        { method: init.method, headers: init.headers, createConnection: () => this.connect(init.context) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  /** Hears every script error from now on; returns how to stop. */
  onFailure(listener: (failure: ScriptFailure) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  #failed(error: PagewireError): void {
    const info = error.context?.scriptError;
    const failure: ScriptFailure = {
      code: error.code ?? info?.code ?? 'ERROR',
      message: error.message,
      ...(info?.file === undefined ? {} : { file: info.file }),
      ...(info?.line === undefined ? {} : { line: info.line }),
      ...(info?.column === undefined ? {} : { column: info.column }),
      ...(info?.stack === undefined ? {} : { stack: info.stack }),
      ...(error.context?.pageId === undefined ? {} : { pageId: error.context.pageId }),
    };
    this.failures.push(failure);
    for (const listener of this.#failureListeners) listener(failure);
  }
}

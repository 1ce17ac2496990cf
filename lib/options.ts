import { statSync } from 'node:fs';
import path from 'node:path';
import type { ContextFunction } from './context.js';
import type { ErrorHandler } from './errors.js';
import { defaultWorkers } from './cluster/cluster-env.js';
import { processNodeId } from './cluster/node-id.js';
import { DEFAULT_FORBIDDEN_MODULES } from './forbidden-modules.js';
import { consoleLogger, type Logger } from './logger.js';
import { checkOption, unknownOption } from './option-checks.js';
import type { ContentSecurityPolicy } from './http/security-headers.js';
import { DEFAULT_STATIC_EXTENSIONS } from './http/static-files.js';
import type { SocketMiddleware } from './socket/socket-middleware.js';
import type { LimitOptions } from './limit-options.js';
import type { RedisOption } from './redis/redis-target.js';

/**
 * Options of `pagewire()`. Every one but `dir` has a default: `DEFAULT_OPTIONS`, which the
 * `@default` tags below and the README's options table repeat (a test holds the three together).
 *
 * Names say their unit: a duration ends in `Timeout` (after that long, something ends) or
 * `Interval` (that often), in milliseconds; a size ends in `Bytes`; a count is a whole number.
 * No option takes 0 to mean "off": a limit of 0 is refused. `workers: 0` is a count (no worker
 * thread), and `idleTimeout: Infinity` (the default) is the one limit that is off.
 */
export interface PagewireOptions<Context extends object = object> extends LimitOptions {
  /** The scripts folder, served like a PHP document root. Required. */
  dir: string;
  /**
   * Development mode: hot reload, and error details and code frames reach the browser.
   * @default false
   */
  dev?: boolean;
  /**
   * Origins allowed to open the page socket, such as `'https://example.com'`. Empty: only the
   * origin whose host is the request's own `Host` (cross-site WebSocket hijacking is refused).
   * @default []
   */
  allowedOrigins?: readonly string[];
  /**
   * Host names this server answers to (the `Host` header, or `X-Forwarded-Host` with
   * `trustProxy`): another is refused 403, pages, static files and page sockets alike (DNS
   * rebinding). Always allowed: `localhost`, `*.localhost` and IP addresses. `'.example.com'`
   * allows example.com and its subdomains. `true`: any host (not recommended).
   * @default []
   */
  allowedHosts?: readonly string[] | true;
  /**
   * Behind a reverse proxy that sets `X-Forwarded-Host` and `X-Forwarded-Proto` (overwriting
   * what the browser sent): the host checked is the forwarded one (and the Origin must have the
   * forwarded scheme), and when the proxy says `https` the session cookie is `__Host-` prefixed
   * and `Secure`. Only when every request
   * comes through that proxy: otherwise anyone can send these headers.
   * @default false
   */
  trustProxy?: boolean;
  /**
   * Extensions of the files served as static assets (`'.css'`, `'.png'`, ...). Script sources,
   * their backups and editor files (`.ts`, `.tsx`, `.mts`, `~`, `#…#`, `.bak`, `.orig`, `.swp`,
   * ...) are never served, whatever this says.
   * @default DEFAULT_STATIC_EXTENSIONS
   */
  staticExtensions?: readonly string[];
  /**
   * `Content-Security-Policy: frame-ancestors` on every rendered page, as CSP sources: who may
   * show it in a frame (clickjacking). `["'self'"]`: this site's pages only; `["'none'"]`: nobody;
   * `["'self'", 'https://example.com']`; `false`: not sent. A script's own
   * `Content-Security-Policy` header wins.
   * @default ["'self'"]
   */
  frameAncestors?: readonly string[] | false;
  /**
   * `Referrer-Policy` on every response (a script's own header wins); `false`: not sent.
   * @default 'same-origin'
   */
  referrerPolicy?: string | false;
  /**
   * A Content-Security-Policy on rendered pages with a fresh nonce per render (`request.nonce`,
   * also on the injected client tag). `'nonce'`: `script-src 'nonce-…' 'strict-dynamic';
   * object-src 'none'; base-uri 'none'`; a function `(nonce) => policy` writes the policy itself.
   * `false`: none. A script's own `Content-Security-Policy` header wins.
   * @default false
   */
  csp?: ContentSecurityPolicy;
  /**
   * A rendered live page whose browser never connects is closed after this many ms. Also the most
   * a page socket's `socketMiddleware` and `context` may take: past it, the socket is refused 503.
   * @default 15000
   */
  connectTimeout?: number;
  /**
   * A render still running after this many ms answers 500 (an await that never settles).
   * @default 30000
   */
  renderTimeout?: number;
  /**
   * A page whose socket dropped is kept this many ms for its browser to come back (a script may
   * change it for its page with `page.setDisconnectGrace(ms)`).
   * @default 30000
   */
  disconnectTimeout?: number;
  /**
   * A page with no client event for this many ms closes. `Infinity`: never.
   * @default Infinity
   */
  idleTimeout?: number;
  /**
   * Socket heartbeat, ms: server pings, client pings; a side that hears nothing reconnects or drops.
   * @default 10000
   */
  heartbeatInterval?: number;
  /**
   * With workers: a render or handler holding its worker longer than this many ms ends the worker.
   * @default 2000
   */
  watchdogTimeout?: number;
  /**
   * Worker threads that run the scripts: a script stuck in a loop, or crashing, ends its worker,
   * not the server, and pages spread over them. 0 runs scripts in this thread, for debugging:
   * the same behaviour, without the containment. Default: one per core, shared among the
   * processes of Pagewire's cluster on the machine (at least one each).
   * @default defaultWorkers()
   */
  workers?: number;
  /**
   * Built-in modules scripts may not import.
   * @default DEFAULT_FORBIDDEN_MODULES
   */
  forbiddenModules?: readonly string[];
  /**
   * Names of the environment variables scripts see in `process.env` (a copy, taken when a script
   * loads): `['NODE_ENV', 'DATABASE_URL']`. Any other is left out, so that no script shows the
   * server's secrets (SESSION_SECRET, passwords, cloud keys) by mistake. Not a wall: a script may
   * read a `.env` or `/proc/self/environ` through `fs` (the file-system jail refuses both), but
   * npm packages, host code, read the real `process.env`.
   * @default ["NODE_ENV"]
   */
  env?: readonly string[];
  /**
   * The folder scripts write to through `fs` (the file-system jail: they write nowhere else), and
   * read too. Relative to the scripts folder; created on the first write. Inside the scripts
   * folder it must be private (a name starting with `_` or `.`), so that it is never served.
   * @default '_data'
   */
  dataDir?: string;
  /**
   * Folders scripts may also read through `fs`, besides the scripts folder and `dataDir`
   * (relative to the scripts folder). `/proc`, `/sys`, `/dev` and Pagewire's own files stay closed.
   * @default []
   */
  readDirs?: readonly string[];
  /**
   * This process's node id: a live page's socket and status paths carry it
   * (`/__pagewire/<node>/socket`), so that whatever routes requests (the cluster's primary, a
   * reverse proxy matching a path prefix) brings a page's socket to the process that holds the
   * page. Letters, digits, `_` and `-`, at most 64. By default one per process: given by
   * Pagewire's cluster primary to each process it starts, otherwise random.
   * @default processNodeId()
   */
  node?: string;
  /**
   * Redis for what spans processes and machines: `shared` lives there, and channels, broadcasts
   * and `wire.publish` travel over its pub/sub. A URL (`redis://host:6379`), or `{ url, prefix }`
   * (`prefix`, default `'pagewire:'`, starts every key and channel: sites sharing a Redis need
   * their own). Unset: the embedded store and bus (one process, or one machine's cluster).
   * @default undefined
   */
  redis?: string | RedisOption;
  /**
   * Name of the HttpOnly session cookie.
   * @default 'pagewire_sid'
   */
  sessionCookie?: string;
  /**
   * The key session cookies are signed with (HMAC-SHA256): a cookie the server did not sign is no
   * session, and is replaced. A list rotates keys: the first signs, any verifies. By default a
   * random key made once per process: a restart makes every browser a new session (its pages were
   * in memory anyway); several processes serving one site must share one. The CLI reads
   * `PAGEWIRE_SESSION_SECRET`. At least 32 characters (`openssl rand -base64 32`).
   * @default undefined
   */
  sessionSecret?: string | readonly string[];
  /**
   * Where logs go: each call gets a message, and for errors and pages, structured fields.
   * Default: the console, prefixed `[pagewire]`.
   * @default consoleLogger
   */
  logger?: Logger;
  /**
   * Called with every script error and every error of Pagewire's own, besides the log: the
   * error, and a structured context (a stable `code`, `script`, `pageId`, `file`, `line`, ...).
   * An `onError` that throws is logged, never thrown back.
   * @default undefined
   */
  onError?: ErrorHandler;
  /**
   * Mounted in Express, where a failed render goes: `'page'` answers 500 with Pagewire's own
   * error page; `'next'` hands the error to the app's error middleware (`next(error)`, the error
   * with `status` 500). Without Express (`wire.handler`), always the page.
   * @default 'page'
   */
  renderErrors?: 'page' | 'next';
  /**
   * Turns the app's request into what scripts read as `request.context`: `(req) => ({ user:
   * req.user })`. Called for every render with Express's `req` (what the app's middleware set
   * on it), and for every page socket with its upgrade request after `socketMiddleware`. It must
   * return an object that `structuredClone` accepts; otherwise the render answers 500 and the
   * socket's joins are refused (CONTEXT_FAILED). Unset: `request.context` is `{}`.
   * @default undefined
   */
  context?: ContextFunction<Context>;
  /**
   * Express-style `(req, res, next)` middleware run on the page socket's upgrade request before
   * it is accepted (the upgrade does not go through Express): `[session, passport.session()]`.
   * Given, the page's `context` is computed again for its socket, and a page whose context
   * changed (another user, signed out) closes (reason `unauthorized`) and reloads. `[]`: the
   * check without middleware (a context read from headers or cookies).
   * @default undefined
   */
  socketMiddleware?: readonly SocketMiddleware[];
}

export { DEFAULT_FORBIDDEN_MODULES };

/** Options that may stay unset: no handler, no context, no socket middleware. */
type Unset = 'onError' | 'context' | 'socketMiddleware' | 'sessionSecret' | 'redis';

/** The options in force: every one set but those that may stay unset. */
export type ResolvedOptions = Readonly<
  Required<Omit<PagewireOptions, Unset>> & { [Name in Unset]: PagewireOptions[Name] | undefined }
>;

/** Every default, in one place: what `pagewire()` uses for an option it is not given. */
export const DEFAULT_OPTIONS: Readonly<Omit<ResolvedOptions, 'dir'>> = Object.freeze({
  dev: false,
  allowedOrigins: Object.freeze([]),
  allowedHosts: Object.freeze([]),
  trustProxy: false,
  staticExtensions: DEFAULT_STATIC_EXTENSIONS,
  frameAncestors: Object.freeze(["'self'"]),
  referrerPolicy: 'same-origin',
  csp: false,
  connectTimeout: 15_000,
  renderTimeout: 30_000,
  disconnectTimeout: 30_000,
  idleTimeout: Infinity,
  heartbeatInterval: 10_000,
  watchdogTimeout: 2000,
  maxMessageBytes: 64 * 1024,
  maxBodyBytes: 1024 * 1024,
  maxBufferedPushes: 1000,
  maxBufferedBytes: 1024 * 1024,
  maxTotalBufferedBytes: 256 * 1024 * 1024,
  maxWorkerHeapBytes: 512 * 1024 * 1024,
  maxWorkerMemoryBytes: 1024 * 1024 * 1024,
  maxResponseBytes: 10 * 1024 * 1024,
  maxScriptBufferBytes: 1024 * 1024,
  maxSharedKeyBytes: 1024,
  maxSharedValueBytes: 1024 * 1024,
  maxSharedBytes: 64 * 1024 * 1024,
  maxPagesPerSession: 64,
  maxPages: 100_000,
  maxPendingPages: 10_000,
  maxDisconnectedPages: 10_000,
  maxEventsPerSecond: 200,
  maxQueuedEvents: 100,
  maxUploadFileBytes: 100 * 1024 * 1024,
  maxUploadFiles: 20,
  maxUploadSessionBytes: 1024 * 1024 * 1024,
  maxUploadServerBytes: 4 * 1024 * 1024 * 1024,
  uploadStallTimeout: 60_000,
  workers: defaultWorkers(),
  forbiddenModules: DEFAULT_FORBIDDEN_MODULES,
  env: Object.freeze(['NODE_ENV']),
  dataDir: '_data',
  readDirs: Object.freeze([]),
  node: processNodeId(),
  redis: undefined,
  sessionCookie: 'pagewire_sid',
  sessionSecret: undefined,
  logger: consoleLogger,
  onError: undefined,
  renderErrors: 'page',
  context: undefined,
  socketMiddleware: undefined,
});

/** Checks `options` once and fills every default; throws at once on misuse, naming the fix. */
export function resolveOptions(options: PagewireOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir === '') {
    throw new TypeError(
      "pagewire(): the 'dir' option is required: the folder of your scripts, e.g. pagewire({ dir: 'scripts' })",
    );
  }
  const given = options as unknown as Record<string, unknown>;
  const resolved: Record<string, unknown> = { ...DEFAULT_OPTIONS };
  for (const name of Object.keys(given)) {
    if (name === 'dir') continue;
    if (!Object.hasOwn(DEFAULT_OPTIONS, name)) throw new TypeError(unknownOption(name, Object.keys(DEFAULT_OPTIONS)));
    const value = given[name];
    // Unset, as if not given: `{ workers: env.WORKERS }` with nothing in the environment.
    if (value === undefined) continue;
    checkOption(name as keyof typeof DEFAULT_OPTIONS, value, DEFAULT_OPTIONS[name as keyof typeof DEFAULT_OPTIONS]);
    resolved[name] = Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
  }
  const dir = path.resolve(options.dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new Error(`pagewire(): the scripts folder '${dir}' does not exist or is not a folder`);
  resolved.dir = dir;
  return Object.freeze(resolved) as unknown as ResolvedOptions;
}

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { RESERVED_EVENT_NAMES } from '../protocol/wire.js';
import type { ScriptRunner } from '../runner/messages.js';
import { InProcessRunner } from '../runner/in-process-runner.js';
import { WorkerPool } from '../runner/pool/worker-pool.js';
import { preludeSource } from '../runner/sandbox/prelude-source.js';
import type { SandboxClock } from '../runner/sandbox/api.js';
import { closePages, publish } from './app-calls.js';
import { clientScript } from './http/client-script.js';
import { ScriptWatcher } from './dev/script-watcher.js';
import { createRequestHandler, type NextFunction } from './http/request-handler.js';
import { RouteTable } from './http/routes.js';
import { resolveOptions, type PagewireOptions, type ResolvedOptions } from './options.js';
import { PageRegistry, type PageStats } from './pages/page-registry.js';
import { routeRunnerMessages } from './runner-messages.js';
import { SocketServer } from './socket/socket-server.js';
import { fsJailDirs } from './fs-jail-dirs.js';
import type { UploadStats } from './uploads/live-upload.js';
import { UploadHub } from './uploads/upload-hub.js';
import { UploadBudget } from './uploads/upload-budget.js';
import { uploadsRoot } from './uploads/file-names.js';
import { openProcessFolder } from './uploads/process-folder.js';
import { clusterLink } from './cluster/cluster-link.js';
import { NO_PEERS } from './cluster/peers.js';
import { hostShared, type SharedApi } from './shared/host-shared.js';
import { MemoryStore } from './shared/memory-store.js';
import { SharedCalls } from './shared/shared-calls.js';
import { ComponentIncludes } from './component-includes.js';
import type { SharedStore } from './shared/shared-op.js';
import { ClusterStore } from './cluster/cluster-store.js';
import type { BusMessage } from './cluster/cluster-messages.js';
import { openRedis } from './redis/redis-backend.js';
import type { RedisStats } from './redis/redis-bus.js';
import { redisTarget } from './redis/redis-target.js';

/**
 * A Pagewire instance: Express middleware (or a `node:http` handler) that serves the scripts
 * folder, plus the socket that keeps each rendered page wired to its script instance.
 */
export interface Pagewire<Context extends object = object> {
  /** Express middleware: what Pagewire does not serve goes on to `next`. */
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /** For `http.createServer(wire.handler)`: answers 404 itself when nothing matches. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The options in force, every default filled in. */
  readonly options: ResolvedOptions;
  /** Number of live pages (rendered, not yet closed). */
  readonly pageCount: number;
  /** Live pages by state: pending (never connected), connected, disconnected; with `redis`, its counts. */
  stats(): PagewireStats;
  /**
   * Resolves when Pagewire is ready: in dev, once the watcher has scanned the scripts folder; with
   * `redis`, once connected. Rejects when Redis cannot be reached, saying where and why.
   */
  ready(): Promise<void>;
  /** Adds the WebSocket upgrade handler (`/__pagewire/<node>/socket`, under any mount path) to a server. */
  attach(server: Server): void;
  /** Ends every page (close hooks run, resources released) and every socket. Safe to call twice. */
  close(): Promise<void>;
  /**
   * Closes every live page whose context (what the `context` option returned when it rendered,
   * cloned) `match` answers `true` for: logout everywhere. The pages' close hooks run, and their
   * browsers reload (reason `unauthorized`). Returns how many pages close.
   * @example wire.closePages((context) => context.user?.id === req.user.id)
   */
  closePages(match: (context: Readonly<Context>) => boolean): number;
  /**
   * Hands `data` (JSON-serializable) to every script subscribed with `page.channel(channel)`, as
   * a script's `page.channel(channel).publish(data)` does. After `close()`, nothing.
   */
  publish(channel: string, data?: unknown): void;
  /**
   * The store every page shares (scripts' `shared`): the same keys, the same checks, values as
   * JSON data. Rejects after `close()`.
   * @example await wire.shared.push('chat:lobby', { from: 'admin', text: 'Back at 5' }, { max: 100 })
   */
  readonly shared: SharedApi;
}

export interface PagewireStats extends PageStats {
  /** With the `redis` option: the connection, and what could not be delivered through it. */
  redis?: RedisStats;
  /** Live uploads (`pw-upload`): under way, chunks taken and refused, bytes reserved. */
  uploads: UploadStats;
}

/**
 * Creates a Pagewire instance for a folder of scripts.
 *
 * @example
 * const app = express();
 * const wire = pagewire({ dir: 'scripts' });
 * app.use(wire);
 * wire.attach(app.listen(3000));
 */
export function pagewire<Context extends object = object>(options: PagewireOptions<Context>): Pagewire<Context> {
  return startPagewire(options, { ownsProcess: false }) as Pagewire<Context>;
}

/** What only the one who starts the process knows (the CLI), never a library's caller. */
export interface ProcessOwnership {
  /**
   * Pagewire owns this process: with `workers: 0`, it may listen process-wide for scripts' stray
   * failures. A library never does in the host app's process (as `ws`, hono and chokidar never do).
   */
  ownsProcess: boolean;
}

/** What `pagewire/testing` (testing/) alone gives an instance: a clock the test moves. */
export interface TestingHooks {
  /** Pages' timers and scripts' `Date` (scripts run in the host's thread, as with `workers: 0`). */
  clock: SandboxClock;
}

/** `pagewire()`, for a caller that may own the process (the CLI), or for `pagewire/testing`. */
export function startPagewire(options: PagewireOptions, ownership: ProcessOwnership, testing?: TestingHooks): Pagewire {
  const resolved = resolveOptions(options);
  // Started by Pagewire's cluster primary: the other processes are reached through it.
  const link = clusterLink();
  if (link && link.node !== resolved.node) {
    throw new Error(
      `pagewire(): this process was started by Pagewire's cluster primary as node '${link.node}', and the ` +
        `primary routes to it by that id; the node option ('${resolved.node}') cannot rename it: leave it unset`,
    );
  }
  // Both bundles are read now: a package that was not built fails here, saying how to fix it,
  // rather than on its first page.
  clientScript();
  preludeSource();
  const settings = {
    root: resolved.dir,
    node: resolved.node,
    forbiddenModules: resolved.forbiddenModules,
    env: resolved.env,
    reservedEvents: RESERVED_EVENT_NAMES,
    maxQueuedEvents: resolved.maxQueuedEvents,
    fsJail: fsJailDirs(resolved),
    maxResponseBytes: resolved.maxResponseBytes,
    maxScriptBufferBytes: resolved.maxScriptBufferBytes,
    maxSharedKeyBytes: resolved.maxSharedKeyBytes,
    maxSharedValueBytes: resolved.maxSharedValueBytes,
    guardProcess: ownership.ownsProcess,
  };
  const runner: ScriptRunner =
    resolved.workers > 0 && !testing
      ? new WorkerPool({
          ...settings,
          workers: resolved.workers,
          watchdogTimeout: resolved.watchdogTimeout,
          maxWorkerHeapBytes: resolved.maxWorkerHeapBytes,
          maxWorkerMemoryBytes: resolved.maxWorkerMemoryBytes,
          pinSources: !resolved.dev,
        })
      : new InProcessRunner(testing ? { ...settings, clock: testing.clock } : settings, 'later');
  const routes = new RouteTable(resolved.dir, resolved.staticExtensions);
  const registry = new PageRegistry(runner, resolved);
  // With Redis, the store and the messages between processes are Redis's, on every machine. Else,
  // in a cluster, the shared store is the primary's (it outlives any one process).
  const redis = resolved.redis
    ? openRedis(redisTarget(resolved.redis), resolved.logger, (message) => delivery.receive(message))
    : undefined;
  const store: SharedStore =
    redis?.store ??
    (link
      ? new ClusterStore(link, resolved.dir, resolved.maxSharedBytes)
      : new MemoryStore({ maxBytes: resolved.maxSharedBytes }));
  const sharedCalls = new SharedCalls(store, runner, resolved);
  const spread = redis ? redis.spread : (message: BusMessage) => link?.publish(resolved.dir, message);
  // One count of the bytes of uploads under way, live or in a multipart POST.
  const uploadBudget = new UploadBudget(resolved.maxUploadSessionBytes, resolved.maxUploadServerBytes);
  // This server's own folder of temporary uploads; those of this host's processes that are gone, removed.
  const uploadsFolder = openProcessFolder(uploadsRoot(settings.fsJail.dataDir), resolved.logger);
  const uploads = new UploadHub(
    resolved,
    uploadsFolder.path,
    runner,
    (socket, pageId) => registry.joinedSession(socket, pageId),
    uploadBudget,
  );
  const includes = new ComponentIncludes(registry, routes, runner);
  const delivery = routeRunnerMessages(runner, registry, resolved, spread, sharedCalls, includes, uploads);
  const leaveCluster = link?.join({
    dir: resolved.dir,
    livePages: ({ sessions, pageIds }) => sessions.flatMap((session) => registry.livePages(session, pageIds)),
    leave: ({ sessions, pageIds }) => {
      for (const session of sessions) registry.leaveWithoutSocket(session, pageIds);
    },
    receive: (message) => delivery.receive(message),
  });
  if (resolved.context && !resolved.socketMiddleware) resolved.logger.warn(CONTEXT_NOT_CHECKED);
  // Dev: the host watches the folder and tells each part what an edit means to it.
  const watcher = resolved.dev
    ? new ScriptWatcher(resolved.dir, (changes, recheck) => {
        // Files or folders came or went: routes change. Edits alone change no route.
        if (changes.some((change) => change.kind !== 'change')) routes.refresh();
        runner.post({ type: 'files-changed', changes, recheck });
        registry.reloadErrorPages();
      })
    : undefined;
  const peers = link ?? NO_PEERS;
  const sockets = new SocketServer(resolved, registry, peers, uploads);
  const handle = createRequestHandler(resolved, routes, registry, peers, uploadBudget, uploadsFolder.path);
  let closing: Promise<void> | undefined;
  const ready = Promise.all([watcher?.ready, redis?.ready]).then(() => undefined);
  let readyAsked = false;
  // Whoever never asks `ready()` (a library's caller) still learns, in the log, why shared calls fail.
  ready.catch((error: Error) => {
    if (!readyAsked) resolved.logger.error(error.message, { code: 'REDIS_UNREACHABLE' });
  });

  const wire = ((req: IncomingMessage, res: ServerResponse, next?: NextFunction) => handle(req, res, next)) as Pagewire;
  Object.defineProperties(wire, {
    handler: { value: (req: IncomingMessage, res: ServerResponse) => handle(req, res) },
    options: { value: resolved },
    pageCount: { get: () => registry.size },
    stats: {
      value: () => ({ ...registry.stats(), uploads: uploads.stats(), ...(redis ? { redis: redis.stats() } : {}) }),
    },
    ready: {
      value: () => {
        readyAsked = true;
        return ready;
      },
    },
    attach: {
      value: (server: Server) => {
        sockets.attach(server);
        link?.addServer(server);
      },
    },
    closePages: { value: (match: (context: object) => boolean) => closePages(registry, match) },
    publish: { value: (channel: string, data?: unknown) => publish(delivery.publish, channel, data) },
    shared: { value: hostShared(store, resolved) },
    close: {
      value: () => {
        closing ??= (async () => {
          await watcher?.close();
          leaveCluster?.();
          // Pages first, while their sockets can still hear why they end; then the sockets.
          await registry.close();
          uploads.close();
          await uploadsFolder.remove();
          // After the pages: their close hooks may still write.
          sharedCalls.close();
          await store.close();
          await redis?.close();
          sockets.close();
        })();
        return closing;
      },
    },
  });
  return wire;
}

const CONTEXT_NOT_CHECKED =
  'the context option is set without socketMiddleware: a page keeps the context it rendered with, and ' +
  "its socket's is not checked (a page does not notice a logout by itself; wire.closePages closes them). " +
  'Give socketMiddleware: [session, passport.session()] to check it on every join, or [] when context ' +
  'needs no middleware';

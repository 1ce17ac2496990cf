/**
 * Node's built-in modules as a page's code gets them: whatever object `require` returned (vm2's
 * proxy of the host module, or a facade another layer made of it) copied, with the functions that
 * take a callback or open a resource replaced:
 * - a callback handed to them runs as code of the page that handed it (`inPage`) under `guard`:
 *   what it throws (an fs error thrown as it came, a string) is reported with the page and the
 *   line that handed the callback over, never an uncaught exception that ends the thread;
 * - what they open while a page's code runs (its render, an event, a timer, a close hook) is
 *   tracked by that page (page-resources.ts) and closed when it dies: timers, servers and sockets
 *   of net, http, https and dgram, fds of `fs.open` and `openSync`, file handles of `fs.promises.open`, streams
 *   and watchers of fs;
 * - net, http, https, tls, http2, dgram and tty refuse to wrap a descriptor or a handle (fd-routes.ts).
 * Facades rather than async hooks: nothing is paid by code that does not use these modules (an
 * enabled `init` hook slows every promise of the thread), and each resource is a JS object with a
 * known way to close it. Module-level code (outside any page) gets the same facades; what it
 * opens is not tracked (it lives as long as the sandbox), its callbacks' throws are reported.
 */
import type { SandboxErrorCode } from '../api.js';
import { currentPage, inPage, trackAcrossAwaits } from './current-page.js';
import { callSite, guard } from './errors.js';
import { closeFdRoutes } from './fd-routes.js';
import { trackResource } from './page-resources.js';
import type { PageState } from './pages.js';

type Callback = (...args: unknown[]) => unknown;
type Module = Record<string, unknown>;
/** A host object that emits `close` once it closed (servers, sockets, watchers, file handles). */
interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

const TRACKED = new Set(['timers', 'fs', 'fs/promises', 'net', 'http', 'https', 'dgram', 'tls', 'http2', 'tty']);
const facades = new Map<string, Module>();

/** The module a page's code gets for built-in `name` (without `node:`); `exports` as it came. */
export function trackedModule(name: string, exports: unknown): unknown {
  if (!TRACKED.has(name) || exports === null || typeof exports !== 'object') return exports;
  let facade = facades.get(name);
  if (!facade) {
    // The page is then known across `await`s, as for partials (current-page.ts): a server opened
    // after an `await` in an event handler is that page's too.
    trackAcrossAwaits();
    facade = makeFacade(name, exports as Module);
    closeFdRoutes(name, facade, exports as Module);
    facades.set(name, facade);
  }
  return facade;
}

function makeFacade(name: string, host: Module): Module {
  switch (name) {
    case 'timers':
      return timersFacade(host);
    case 'fs':
      return fsFacade(host);
    case 'fs/promises':
      return promisesFacade(host);
    case 'dgram':
      return { ...host, createSocket: opener(host, 'createSocket', closeQuietly) };
    case 'tls':
    case 'http2':
    case 'tty':
      // Their fd routes closed only (fd-routes.ts); what they open is not tracked.
      return { ...host };
    default: {
      // net, http, https
      const facade: Module = { ...host, createServer: serverOpener(host, name !== 'net') };
      const destroy = (socket: unknown) => (socket as { destroy(): void }).destroy();
      for (const key of name === 'net' ? ['connect', 'createConnection'] : ['request', 'get']) {
        if (typeof host[key] === 'function') facade[key] = opener(host, key, destroy);
      }
      return facade;
    }
  }
}

/** `callback` as run later by Node: in its page, any throw reported (pointing at `site`). */
function guarded(page: PageState | undefined, callback: Callback, code: SandboxErrorCode, site: object): Callback {
  return function (this: unknown, ...args: unknown[]) {
    const run = () => guard(page?.id, code, () => callback.apply(this, args), site);
    return page ? inPage(page, run) : run();
  };
}

/** Calls `host[key]` with every function argument guarded for the current page. */
function callGuarded(host: Module, key: string, args: unknown[], page: PageState | undefined): unknown {
  if (args.some((arg) => typeof arg === 'function')) {
    const site = callSite();
    args = args.map((arg) =>
      typeof arg === 'function' ? guarded(page, arg as Callback, 'UNCAUGHT_EXCEPTION', site) : arg,
    );
  }
  return (host[key] as Callback).apply(host, args);
}

/** `host[key]`, its callbacks guarded: for the functions that open nothing. */
function guarding(host: Module, key: string): Callback {
  const wrapped = (...args: unknown[]) => callGuarded(host, key, args, currentPage());
  // fs.realpath.native and the like.
  return Object.assign(wrapped, host[key] as object);
}

/** `host[key]`, its callbacks guarded, what it returns tracked by the page and closed by `close`. */
function opener(host: Module, key: string, close: (resource: unknown) => unknown): Callback {
  return (...args: unknown[]) => {
    const page = currentPage();
    const resource = callGuarded(host, key, args, page);
    if (page)
      untrackOnClose(
        resource,
        trackResource(page, () => close(resource)),
      );
    return resource;
  };
}

function untrackOnClose(resource: unknown, untrack: () => void): void {
  (resource as Closable).once('close', untrack);
}

/** A dgram socket closed twice throws; the second close is nobody's error. */
function closeQuietly(socket: unknown): void {
  try {
    (socket as { close(): void }).close();
  } catch {
    // already closed
  }
}

interface HostServer extends Closable {
  close(): unknown;
  closeAllConnections?: () => void;
  on(event: 'connection', listener: (socket: Closable & { destroy(): void }) => void): unknown;
}

/** `createServer`: the page's server stops listening when the page dies, its connections end. */
function serverOpener(host: Module, isHttp: boolean): Callback {
  return (...args: unknown[]) => {
    const page = currentPage();
    const server = callGuarded(host, 'createServer', args, page) as HostServer;
    if (!page) return server;
    // http's server knows its connections; a net server's are counted here.
    const connections = new Set<{ destroy(): void }>();
    if (!isHttp) {
      server.on('connection', (socket) => {
        connections.add(socket);
        socket.once('close', () => connections.delete(socket));
      });
    }
    const close = () => {
      server.close();
      if (isHttp) server.closeAllConnections?.();
      for (const socket of connections) socket.destroy();
    };
    untrackOnClose(server, trackResource(page, close));
    return server;
  };
}

/**
 * timers: Node's own timers (`ref`, `unref`, `refresh` work), each tracked by the page that set it
 * until it fired or was cleared. (vm2's global timers are other objects: these are not the page's
 * `setTimeout`, which the page clears first thing when it closes.)
 */
function timersFacade(host: Module): Module {
  const untrackTimer = new WeakMap<object, () => void>();
  const start = (setKey: string, clearKey: string, repeats: boolean) => {
    const hostSet = host[setKey] as (fn: Callback, ...rest: unknown[]) => object;
    const hostClear = host[clearKey] as (timer: unknown) => void;
    return (fn: unknown, ...rest: unknown[]) => {
      if (typeof fn !== 'function') throw new TypeError(`${setKey}() needs a function`);
      const page = currentPage();
      // setImmediate(fn, ...args) takes no delay.
      const [delay, args] = setKey === 'setImmediate' ? [[], rest] : [[rest[0]], rest.slice(1)];
      const run = guarded(page, () => (fn as Callback)(...args), 'TIMER_ERROR', callSite());
      const timer = hostSet(
        () => {
          if (!repeats) untrackTimer.get(timer)?.();
          return run();
        },
        ...delay,
      );
      untrackTimer.set(
        timer,
        trackResource(page, () => hostClear(timer)),
      );
      return timer;
    };
  };
  const clear = (clearKey: string) => {
    const hostClear = host[clearKey] as (timer: unknown) => void;
    return (timer: unknown) => {
      if (timer !== null && typeof timer === 'object') untrackTimer.get(timer)?.();
      hostClear(timer);
    };
  };
  return {
    ...host,
    setTimeout: start('setTimeout', 'clearTimeout', false),
    setInterval: start('setInterval', 'clearInterval', true),
    setImmediate: start('setImmediate', 'clearImmediate', false),
    clearTimeout: clear('clearTimeout'),
    clearInterval: clear('clearInterval'),
    clearImmediate: clear('clearImmediate'),
  };
}

/** fs: callbacks guarded; fds, streams and watchers tracked; `promises` is the tracked one. */
function fsFacade(host: Module): Module {
  const facade: Module = { ...host };
  for (const key of Object.keys(host)) {
    if (/^[a-z]/.test(key) && !key.endsWith('Sync') && typeof host[key] === 'function') {
      facade[key] = guarding(host, key);
    }
  }
  const destroy = (stream: unknown) => (stream as { destroy(): void }).destroy();
  facade.createReadStream = opener(host, 'createReadStream', destroy);
  facade.createWriteStream = opener(host, 'createWriteStream', destroy);
  facade.watch = opener(host, 'watch', (watcher) => (watcher as { close(): void }).close());
  Object.assign(facade, fdFunctions(host), watchFileFunctions(host));
  if (host.promises !== null && typeof host.promises === 'object') {
    facade.promises = promisesFacade(host.promises as Module);
  }
  return facade;
}

/** `fs.open`'s and `fs.openSync`'s descriptors, closed with the page unless `fs.close`d first. */
function fdFunctions(host: Module): Module {
  const hostCloseSync = host.closeSync as (fd: number) => void;
  const untrackFd = new Map<number, () => void>();
  const forget = (fd: unknown) => {
    if (typeof fd !== 'number') return;
    untrackFd.get(fd)?.();
    untrackFd.delete(fd);
  };
  const track = (page: PageState, fd: number) => {
    untrackFd.set(
      fd,
      trackResource(page, () => {
        untrackFd.delete(fd);
        // At once, not on the thread pool: the descriptor is gone when the page says it closed.
        hostCloseSync(fd);
      }),
    );
  };
  return {
    open(...args: unknown[]) {
      const page = currentPage();
      const last = args.length - 1;
      const callback = args[last];
      if (page && typeof callback === 'function') {
        args[last] = (error: unknown, fd: unknown) => {
          if (!error && typeof fd === 'number') track(page, fd);
          return (callback as Callback)(error, fd);
        };
      }
      return callGuarded(host, 'open', args, page);
    },
    openSync(...args: unknown[]) {
      const fd = (host.openSync as Callback)(...args);
      const page = currentPage();
      if (page && typeof fd === 'number') track(page, fd);
      return fd;
    },
    close(fd: unknown, ...rest: unknown[]) {
      forget(fd);
      return callGuarded(host, 'close', [fd, ...rest], currentPage());
    },
    closeSync(fd: unknown) {
      forget(fd);
      return hostCloseSync(fd as number);
    },
  };
}

/** `fs.watchFile`'s listeners, unwatched with the page unless `fs.unwatchFile`d first. */
function watchFileFunctions(host: Module): Module {
  const hostWatchFile = host.watchFile as Callback;
  const hostUnwatchFile = host.unwatchFile as Callback;
  const wrappers = new WeakMap<Callback, { wrapper: Callback; untrack: () => void }>();
  return {
    watchFile(filename: unknown, ...rest: unknown[]) {
      const page = currentPage();
      const listener = rest.at(-1);
      if (typeof listener !== 'function') return hostWatchFile(filename, ...rest);
      const wrapper = guarded(page, listener as Callback, 'UNCAUGHT_EXCEPTION', callSite());
      const untrack = trackResource(page, () => hostUnwatchFile(filename, wrapper));
      wrappers.set(listener as Callback, { wrapper, untrack });
      return hostWatchFile(filename, ...rest.slice(0, -1), wrapper);
    },
    unwatchFile(filename: unknown, listener?: unknown) {
      const known = typeof listener === 'function' ? wrappers.get(listener as Callback) : undefined;
      known?.untrack();
      return known ? hostUnwatchFile(filename, known.wrapper) : hostUnwatchFile(filename, listener);
    },
  };
}

/** One facade per module object: `require('fs').promises === require('fs/promises')`, as in Node. */
const promisesFacades = new WeakMap<Module, Module>();

/** fs/promises: file handles tracked (their `close` event forgets them). */
function promisesFacade(host: Module): Module {
  const made = promisesFacades.get(host);
  if (made) return made;
  const facade = trackedPromises(host);
  promisesFacades.set(host, facade);
  return facade;
}

function trackedPromises(host: Module): Module {
  const hostOpen = host.open as Callback;
  return {
    ...host,
    open: async (...args: unknown[]) => {
      const page = currentPage();
      const handle = await hostOpen.apply(host, args);
      if (page)
        untrackOnClose(
          handle,
          trackResource(page, () => (handle as { close(): unknown }).close()),
        );
      return handle;
    },
  };
}

/*
 * The trusted prelude: runs once inside every script sandbox (one vm2 NodeVM per script
 * version), before any script code. It is compiled on its own with sucrase (TypeScript only)
 * and run as a CommonJS module, so it must stay one file with type-only imports.
 *
 * It owns everything per page: the output buffer, `request`/`response`, the mailbox that runs
 * events one at a time, timers, close hooks, owned resources and channel subscriptions. Keeping
 * them here, in the sandbox's realm, means the host crosses vm2's bridge once per render or
 * event, with strings only (see api.ts).
 */
import type { CloseReason, LogLevel, RequestData } from '../messages.js';
import type { DispatchOutcome, EncodedRenderResult, Json, RawFrame, RawScriptError, SandboxApi, SandboxBoot, SandboxErrorCode } from './api.js';
import { encodeRenderResult, fromJson, toJson } from './codec.js';
import type { ScriptGlobals } from './script-globals.js';

type Hook = (name: string, event: unknown) => unknown;
type Task = () => unknown;
type Callback = (...args: unknown[]) => unknown;
type ScriptFactory = (globals: ScriptGlobals) => unknown;
type ModuleFactory = (
  exports: object,
  require: (specifier: string) => unknown,
  module: { exports: unknown },
  __filename: string,
  __dirname: string,
) => void;
type Timer = ReturnType<typeof setTimeout>;

interface Subscription {
  page: PageState;
  channel: string;
  fn: (data: unknown) => unknown;
}

interface PageState {
  id: string;
  state: 'rendering' | 'live' | 'closed';
  /** True until the render ended: echo and response work until then, even after page.close(). */
  rendering: boolean;
  hook: Hook | undefined;
  out: string[];
  status: number;
  headers: Record<string, string | string[]>;
  closeHooks: Task[];
  owned: unknown[];
  timers: Set<Timer>;
  intervals: Set<Timer>;
  subscriptions: Set<Subscription>;
  queue: Task[];
  busy: boolean;
}

const bootGlobal = globalThis as unknown as { __pagewireBoot?: SandboxBoot };
const boot = bootGlobal.__pagewireBoot as SandboxBoot;
delete bootGlobal.__pagewireBoot;
const { port, script: mainScript } = boot;
const forbidden = new Set(boot.forbiddenModules);
const reserved = new Set(boot.reservedEvents);
const sandboxRequire = require;
const absolute = (file: string) => (file === '.' ? boot.root : `${boot.root}/${file}`);
const dirnameOf = (file: string) => (file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.');

const pages = new Map<string, PageState>();
/** Node's timers fire at once past 2^31 - 1 ms. */
const MAX_TIMER = 2 ** 31 - 1;
/** A close hook or disposer still running after this long no longer holds the page's end. */
const CLOSE_TIMEOUT = 10_000;
const channels = new Map<string, Set<Subscription>>();
const modules = new Map<string, { exports: unknown }>();
const moduleFactories = new Map<string, ModuleFactory>();
let scriptFactory: ScriptFactory | undefined;

// ---------------------------------------------------------------------------------------------
// Errors: structured frames in script files only, so the host can point at file:line:col.

const PRELUDE_FILE = 'pagewire:prelude';
const framesOf = new WeakMap<object, RawFrame[]>();
Error.stackTraceLimit = 30;
Error.prepareStackTrace = (error: Error, callSites: NodeJS.CallSite[]): string => {
  const frames: RawFrame[] = [];
  for (const site of callSites) {
    const file = site.getFileName();
    if (!file || file === PRELUDE_FILE || file.startsWith('node:')) continue;
    frames.push({
      file,
      line: site.getLineNumber() ?? 0,
      column: site.getColumnNumber() ?? 0,
      fn: site.getFunctionName() ?? undefined,
    });
  }
  framesOf.set(error, frames);
  const head = `${error.name}: ${error.message}`;
  return [head, ...frames.map((f) => `    at ${f.fn ? `${f.fn} (` : ''}${f.file}:${f.line}:${f.column}${f.fn ? ')' : ''}`)].join('\n');
};

function toRawError(error: unknown): RawScriptError {
  if (error instanceof Error) {
    void error.stack; // formatting the stack records the frames
    return { name: error.name, message: error.message, frames: framesOf.get(error) ?? [] };
  }
  return { name: 'Error', message: `a value that is not an Error was thrown: ${inspect(error)}`, frames: [] };
}

function report(page: PageState | undefined, code: SandboxErrorCode, error: unknown): void {
  port('error', page?.id, code, toJson(toRawError(error)));
}

/** Runs a callback from script code; any throw or rejection becomes a reported error. */
function guard(page: PageState | undefined, code: SandboxErrorCode, task: Task): unknown {
  try {
    const result = task();
    if (isThenable(result)) return Promise.resolve(result).catch((error: unknown) => report(page, code, error));
    return result;
  } catch (error) {
    report(page, code, error);
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

// ---------------------------------------------------------------------------------------------
// Globals shared by every page of the script (and its partials): html, raw, guarded timers.

class HtmlString {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function interpolate(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof HtmlString) return value.value;
  if (Array.isArray(value)) return value.map(interpolate).join('');
  return escapeHtml(String(value));
}

function html(strings: TemplateStringsArray, ...values: unknown[]): HtmlString {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += interpolate(values[i]) + strings[i + 1];
  return new HtmlString(out);
}

function raw(text: unknown): HtmlString {
  return new HtmlString(text === null || text === undefined ? '' : String(text));
}

// Timers started outside any page (by a partial's module code) still must not crash the host.
const hostSetTimeout = setTimeout;
const hostSetInterval = setInterval;
const hostClearTimeout = clearTimeout;
const hostClearInterval = clearInterval;
const sandboxGlobals = globalThis as unknown as Record<string, unknown>;
// Tracked, so that disposing of the sandbox (shutdown, a new version of the script) stops them.
const moduleTimers = new Set<Timer>();
const moduleIntervals = new Set<Timer>();
sandboxGlobals.setTimeout = (fn: Callback, ms?: number, ...args: unknown[]) => {
  const timer: Timer = hostSetTimeout(() => {
    moduleTimers.delete(timer);
    guard(undefined, 'TIMER_ERROR', () => fn(...args));
  }, ms);
  moduleTimers.add(timer);
  return timer;
};
sandboxGlobals.setInterval = (fn: Callback, ms?: number, ...args: unknown[]) => {
  const timer: Timer = hostSetInterval(() => guard(undefined, 'TIMER_ERROR', () => fn(...args)), ms);
  moduleIntervals.add(timer);
  return timer;
};
sandboxGlobals.clearTimeout = (timer: Timer | undefined) => {
  if (timer === undefined) return;
  moduleTimers.delete(timer);
  hostClearTimeout(timer);
};
sandboxGlobals.clearInterval = (timer: Timer | undefined) => {
  if (timer === undefined) return;
  moduleIntervals.delete(timer);
  hostClearInterval(timer);
};
if (typeof setImmediate === 'function') {
  const hostSetImmediate = setImmediate;
  sandboxGlobals.setImmediate = (fn: Callback, ...args: unknown[]) => hostSetImmediate(() => guard(undefined, 'TIMER_ERROR', () => fn(...args)));
}
if (typeof queueMicrotask === 'function') {
  const hostQueueMicrotask = queueMicrotask;
  sandboxGlobals.queueMicrotask = (fn: Task) => hostQueueMicrotask(() => guard(undefined, 'TIMER_ERROR', fn));
}
sandboxGlobals.html = html;
sandboxGlobals.raw = raw;

const refuse = (what: string) => () => {
  throw new Error(`${what} is not available to a Pagewire script: scripts share the server process. Close the page with page.close() instead.`);
};
const sandboxProcess = process as unknown as Record<string, unknown>;
for (const name of ['exit', 'abort', 'kill', 'reallyExit', 'chdir', 'setuid', 'setgid']) sandboxProcess[name] = refuse(`process.${name}()`);
const hostNextTick = process.nextTick;
sandboxProcess.nextTick = (fn: Callback, ...args: unknown[]) => hostNextTick(() => guard(undefined, 'TIMER_ERROR', () => fn(...args)));

// ---------------------------------------------------------------------------------------------
// require: relative partials are loaded by the host into this sandbox; bare names go to vm2.

function makeRequire(fromFile: string): (specifier: string) => unknown {
  return (specifier: string) => {
    if (typeof specifier !== 'string') throw new TypeError('require() needs a module name (a string)');
    if (specifier.startsWith('./') || specifier.startsWith('../')) {
      return loadModule(resolvePartial(fromFile, specifier));
    }
    const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
    if (forbidden.has(bare) || forbidden.has(bare.split('/')[0] as string)) {
      throw new Error(`Cannot import '${specifier}' in ${fromFile}: Pagewire scripts may not use ${bare} (it could stop or escape the server). Move that work into the host application.`);
    }
    try {
      return sandboxRequire(specifier);
    } catch (error) {
      if (error instanceof Error && /Cannot find module/.test(error.message)) {
        throw new Error(`Cannot import '${specifier}' in ${fromFile}: it is not a Node built-in module (npm packages cannot be imported by scripts yet).`);
      }
      throw error;
    }
  };
}

// Imports run on every render (they sit in the per-page factory): resolve each one once.
const resolved = new Map<string, string>();
function resolvePartial(fromFile: string, specifier: string): string {
  const key = `${fromFile}\0${specifier}`;
  let file = resolved.get(key);
  if (file === undefined) {
    file = boot.resolvePartial(fromFile, specifier);
    if (file.startsWith('!')) throw new Error(file.slice(1));
    resolved.set(key, file);
  }
  return file;
}

function loadModule(file: string): unknown {
  const cached = modules.get(file);
  if (cached) return cached.exports;
  if (!moduleFactories.has(file)) {
    const failed = boot.runPartial(file);
    if (failed !== '') throw partialError(fromJson(failed));
  }
  const factory = moduleFactories.get(file) as ModuleFactory;
  const module = { exports: {} as unknown };
  // Registered before it runs, as CommonJS does, so import cycles see a partial module.
  modules.set(file, module);
  try {
    factory(module.exports as object, makeRequire(file), module, absolute(file), absolute(dirnameOf(file)));
  } catch (error) {
    modules.delete(file);
    throw error;
  }
  return module.exports;
}

/** A partial that does not compile: its own position first, then the importing line. */
function partialError(raw: RawScriptError): Error {
  const error = new Error(raw.message);
  error.name = raw.name;
  void error.stack;
  framesOf.set(error, [...raw.frames, ...(framesOf.get(error) ?? [])]);
  return error;
}

sandboxGlobals.__pagewireScript = (factory: ScriptFactory) => {
  scriptFactory = factory;
};
sandboxGlobals.__pagewireModule = (file: string, factory: ModuleFactory) => {
  moduleFactories.set(file, factory);
};

// ---------------------------------------------------------------------------------------------
// One page: the globals its script instance sees.

function inspect(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  if (typeof value !== 'object' || value === null) return String(value);
  const seen = new Set<unknown>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function dataJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what}: the data must be JSON-serializable (${(error as Error).message})`);
  }
  return json === undefined ? 'null' : json;
}

function checkEventName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name === '') throw new TypeError(`${what}: the event name must be a non-empty string`);
  if (reserved.has(name)) throw new TypeError(`${what}: '${name}' is an event the browser client raises itself; choose another name`);
}

function isLive(page: PageState): boolean {
  return (
    page.hook !== undefined ||
    page.closeHooks.length > 0 ||
    page.owned.length > 0 ||
    page.timers.size > 0 ||
    page.intervals.size > 0 ||
    page.subscriptions.size > 0
  );
}

function makePageGlobals(page: PageState, request: ScriptGlobals['request']): ScriptGlobals {
  // vm2's own `module` would offer `module.require`, around the forbidden-module check.
  const scriptExports = {};
  const ensureRendering = (what: string) => {
    if (!page.rendering) {
      throw new Error(`${what} was used after the page was sent; a live page changes through server_socket_event(name, data)`);
    }
  };

  const echo = (...parts: unknown[]) => {
    ensureRendering('echo()');
    for (const part of parts) page.out.push(part instanceof HtmlString ? part.value : part === null || part === undefined ? '' : String(part));
  };

  const response = {
    get status(): number {
      return page.status;
    },
    set status(code: number) {
      ensureRendering('response.status');
      if (!Number.isInteger(code) || code < 100 || code > 999) throw new RangeError(`response.status must be an HTTP status code (100-999), got ${inspect(code)}`);
      page.status = code;
    },
    get headers(): Record<string, string | string[]> {
      return page.headers;
    },
    setHeader(name: string, value: string | number | string[]) {
      ensureRendering('response.setHeader()');
      page.headers[String(name).toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
    },
    redirect(location: string, status = 302) {
      ensureRendering('response.redirect()');
      response.status = status;
      page.headers.location = String(location);
    },
  };

  const server_socket_event = (name: string, data?: unknown): boolean => {
    checkEventName(name, 'server_socket_event()');
    if (page.state === 'closed') return false;
    port('push', page.id, name, dataJson(data, 'server_socket_event()'));
    return true;
  };

  const pageApi = Object.freeze({
    id: page.id,
    onClose(fn: Task) {
      if (typeof fn !== 'function') throw new TypeError('page.onClose() needs a function');
      if (page.state === 'closed') throw new Error('page.onClose(): this page is already closed');
      page.closeHooks.push(fn);
    },
    own<T>(resource: T): T {
      if (!disposerOf(resource)) {
        throw new TypeError('page.own() needs a function, or an object with close(), destroy(), dispose() or Symbol.asyncDispose');
      }
      if (page.state === 'closed') throw new Error('page.own(): this page is already closed');
      page.owned.push(resource);
      return resource;
    },
    close() {
      closeAndTell(page, 'closed-by-script');
    },
    setDisconnectGrace(ms: number) {
      if (!(Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMER)) {
        throw new RangeError(`page.setDisconnectGrace(ms): ms must be a number from 0 to ${MAX_TIMER}, got ${inspect(ms)}`);
      }
      port('options', page.id, ms);
    },
    broadcast(name: string, data?: unknown) {
      checkEventName(name, 'page.broadcast()');
      port('broadcast', name, dataJson(data, 'page.broadcast()'));
    },
    channel(name: string) {
      if (typeof name !== 'string' || name === '') throw new TypeError('page.channel() needs a name');
      return Object.freeze({
        publish(data?: unknown) {
          port('publish', name, dataJson(data, `page.channel('${name}').publish()`));
        },
        subscribe(fn: (data: unknown) => unknown): () => void {
          if (typeof fn !== 'function') throw new TypeError(`page.channel('${name}').subscribe() needs a function`);
          if (page.state === 'closed') throw new Error('subscribe(): this page is already closed');
          const subscription: Subscription = { page, channel: name, fn };
          let subscribers = channels.get(name);
          if (!subscribers) channels.set(name, (subscribers = new Set()));
          subscribers.add(subscription);
          page.subscriptions.add(subscription);
          return () => unsubscribe(subscription);
        },
      });
    },
  });

  const whileOpen = (what: string) => {
    // A timer started after the page died could never be cleared: refuse it.
    if (page.state === 'closed') throw new Error(`${what}: this page is closed`);
  };
  const pageSetTimeout = (fn: Callback, ms?: number, ...args: unknown[]): Timer => {
    if (typeof fn !== 'function') throw new TypeError('setTimeout() needs a function');
    whileOpen('setTimeout()');
    const timer: Timer = hostSetTimeout(() => {
      page.timers.delete(timer);
      guard(page, 'TIMER_ERROR', () => fn(...args));
    }, ms);
    page.timers.add(timer);
    return timer;
  };
  const pageSetInterval = (fn: Callback, ms?: number, ...args: unknown[]): Timer => {
    if (typeof fn !== 'function') throw new TypeError('setInterval() needs a function');
    whileOpen('setInterval()');
    const timer: Timer = hostSetInterval(() => guard(page, 'TIMER_ERROR', () => fn(...args)), ms);
    page.intervals.add(timer);
    return timer;
  };
  const pageClearTimeout = (timer: Timer | undefined) => {
    if (timer === undefined) return;
    if (page.timers.delete(timer)) hostClearTimeout(timer);
    else if (page.intervals.delete(timer)) hostClearInterval(timer);
  };

  const log = (level: LogLevel) => (...parts: unknown[]) => port('log', page.id, level, parts.map(inspect).join(' '));
  const pageConsole = Object.freeze({
    log: log('info'),
    info: log('info'),
    debug: log('debug'),
    warn: log('warn'),
    error: log('error'),
  });

  const setHook = (hook: unknown) => {
    if (hook !== undefined && typeof hook !== 'function') throw new TypeError('__serverSocketEvent must be a function');
    page.hook = hook as Hook | undefined;
  };

  return {
    echo,
    request,
    response,
    server_socket_event,
    page: pageApi,
    setTimeout: pageSetTimeout,
    setInterval: pageSetInterval,
    clearTimeout: pageClearTimeout,
    clearInterval: pageClearTimeout,
    console: pageConsole,
    require: makeRequire(mainScript),
    exports: scriptExports,
    module: { exports: scriptExports },
    __filename: absolute(mainScript),
    __dirname: absolute(dirnameOf(mainScript)),
    __pagewireHook: setHook,
  };
}

// ---------------------------------------------------------------------------------------------
// Render, events, close.

function render(pageId: string, renderId: number, requestJson: Json<RequestData>): EncodedRenderResult | '' {
  if (!scriptFactory) return failure(new Error(`${mainScript} did not register itself`));
  const page: PageState = {
    id: pageId,
    state: 'rendering',
    rendering: true,
    hook: undefined,
    out: [],
    status: 200,
    headers: {},
    closeHooks: [],
    owned: [],
    timers: new Set(),
    intervals: new Set(),
    subscriptions: new Set(),
    queue: [],
    busy: false,
  };
  pages.set(pageId, page);
  let result: unknown;
  try {
    result = scriptFactory(makePageGlobals(page, fromJson(requestJson)));
    if (!isThenable(result)) return finish(page);
  } catch (error) {
    return renderFailed(page, error);
  }
  Promise.resolve(result)
    .then(() => finish(page))
    .then(
      (output) => port('rendered', renderId, output),
      (error: unknown) => port('rendered', renderId, renderFailed(page, error)),
    );
  return '';
}

/** Ends the render: the page is live or closed from now on. Throws when the result cannot be sent. */
function finish(page: PageState): EncodedRenderResult {
  page.rendering = false;
  const live = page.state !== 'closed' && isLive(page);
  const result = encodeRenderResult({ ok: true, status: page.status, headers: page.headers, live, body: page.out.join('') });
  page.out = [];
  // A script may call page.close() while rendering: it is then a plain page after all.
  if (live) page.state = 'live';
  else closePage(page, 'closed-by-script');
  Object.freeze(page.headers);
  return result;
}

function renderFailed(page: PageState, error: unknown): EncodedRenderResult {
  // Whatever the script opened before it threw is released now, not leaked.
  page.rendering = false;
  closePage(page, 'render-failed');
  return failure(error);
}

function failure(error: unknown): EncodedRenderResult {
  return encodeRenderResult({ ok: false, error: toRawError(error) });
}

function dispatch(pageId: string, name: string, dataJson: string): DispatchOutcome {
  const page = pages.get(pageId);
  if (!page || page.state !== 'live') return 'gone';
  const hook = page.hook;
  if (!hook) {
    port('log', page.id, 'warn', `event '${name}' ignored: ${mainScript} defines no __serverSocketEvent(name, event)`);
    return 'ok';
  }
  if (page.queue.length >= boot.maxQueuedEvents) return 'full';
  enqueue(page, () => hook(name, JSON.parse(dataJson)), 'EVENT_ERROR');
  return 'ok';
}

/** The page's mailbox: one task at a time, in order, an async task finishing before the next. */
function enqueue(page: PageState, task: Task, code: SandboxErrorCode): void {
  page.queue.push(() => guard(page, code, task));
  drain(page);
}

function drain(page: PageState): void {
  // Busy during sync tasks too: a task that publishes to its own page's channel, or pushes
  // into its own mailbox, only queues; it never runs a task inside another.
  if (page.busy) return;
  page.busy = true;
  while (page.queue.length > 0 && page.state !== 'closed') {
    const task = page.queue.shift() as Task;
    const result = task();
    if (isThenable(result)) {
      result.then(() => {
        page.busy = false;
        drain(page);
      });
      return;
    }
  }
  page.busy = false;
}

function unsubscribe(subscription: Subscription): void {
  subscription.page.subscriptions.delete(subscription);
  const subscribers = channels.get(subscription.channel);
  if (!subscribers) return;
  subscribers.delete(subscription);
  if (subscribers.size === 0) channels.delete(subscription.channel);
}

function disposerOf(resource: unknown): Task | undefined {
  if (typeof resource === 'function') return resource as Task;
  if (resource === null || typeof resource !== 'object') return undefined;
  const r = resource as Record<string | symbol, unknown>;
  for (const key of ['close', 'destroy', 'dispose', Symbol.for('nodejs.asyncDispose'), Symbol.for('nodejs.dispose')]) {
    const method = r[key];
    if (typeof method === 'function') return () => (method as Task).call(resource);
  }
  return undefined;
}

/**
 * Ends a page once: timers cleared, subscriptions ended, close hooks run in order, owned
 * resources closed last-in first-out. Returns true when that is all done now; otherwise
 * `closed` reaches the host through the port once every async hook settled.
 */
function closePage(page: PageState, reason: CloseReason): boolean {
  if (page.state === 'closed' && !pages.has(page.id)) return true;
  page.state = 'closed';
  pages.delete(page.id);
  page.queue.length = 0;
  for (const timer of page.timers) hostClearTimeout(timer);
  for (const timer of page.intervals) hostClearInterval(timer);
  page.timers.clear();
  page.intervals.clear();
  for (const subscription of [...page.subscriptions]) unsubscribe(subscription);
  const pending: unknown[] = [];
  for (const hook of page.closeHooks.splice(0)) pending.push(guard(page, 'CLOSE_ERROR', hook));
  for (const resource of page.owned.splice(0).reverse()) {
    const dispose = disposerOf(resource);
    if (dispose) pending.push(guard(page, 'CLOSE_ERROR', dispose));
  }
  if (!pending.some(isThenable)) return true;
  let timer: Timer | undefined;
  const late = new Promise<void>((resolve) => {
    timer = hostSetTimeout(() => {
      report(page, 'CLOSE_ERROR', new Error(`a close hook or owned resource of this page did not finish within ${CLOSE_TIMEOUT} ms`));
      resolve();
    }, CLOSE_TIMEOUT);
  });
  void Promise.race([Promise.allSettled(pending), late]).then(() => {
    hostClearTimeout(timer);
    port('closed', page.id, reason);
  });
  return false;
}

/** Closes a page and tells the host, now or when its async hooks settled. */
function closeAndTell(page: PageState, reason: CloseReason): void {
  if (closePage(page, reason)) port('closed', page.id, reason);
}

function deliver(channel: string, dataJson: string): void {
  const subscribers = channels.get(channel);
  if (!subscribers) return;
  for (const subscription of subscribers) {
    enqueue(subscription.page, () => subscription.fn(JSON.parse(dataJson)), 'CHANNEL_ERROR');
  }
}

const api: SandboxApi = {
  render,
  dispatch,
  closePages(pageIds, reason) {
    const done: string[] = [];
    for (const pageId of pageIds.split(',')) {
      const page = pages.get(pageId);
      if (!page) {
        done.push(pageId);
      } else if (reason === 'closed-by-client' && (page.busy || page.queue.length > 0)) {
        // The browser left after sending events: they run first (a save before the tab
        // closed), unless they take too long.
        const timer = hostSetTimeout(() => closeAndTell(page, reason), CLOSE_TIMEOUT);
        page.queue.push(() => {
          hostClearTimeout(timer);
          closeAndTell(page, reason);
        });
      } else if (closePage(page, reason)) {
        done.push(pageId);
      }
    }
    return done.join(',');
  },
  deliver,
  dispose() {
    for (const timer of moduleTimers) hostClearTimeout(timer);
    for (const timer of moduleIntervals) hostClearInterval(timer);
    moduleTimers.clear();
    moduleIntervals.clear();
  },
};
export default api;

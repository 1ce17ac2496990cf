/** The `ScriptGlobals` of one page: what its instance of the script sees as its own variables. */
import type { LogLevel, RequestData } from '../../messages.js';
import type { ScriptGlobals, ScriptResponse } from '../script-globals.js';
import { absolute, boot, dirnameOf, mainScript, port } from './boot.js';
import { inPage } from './current-page.js';
import { flushDomUpdates, holdDomUpdates } from './dom-updates.js';
import { guard } from './errors.js';
import { checkEventName, dataJson } from './event-data.js';
import { HtmlString } from './html.js';
import { inspect } from './inspect.js';
import { makePageApi } from './page-api.js';
import { fetchFor } from './page-fetch.js';
import type { Hook, PageState } from './pages.js';
import { makeRequire } from './require.js';
import { makeShared } from './shared.js';
import { makeInclude } from './include.js';
import { utf8Bytes } from '../utf8-bytes.js';
import { pageTimers, type Callback, type Timer } from './timers.js';

export function makePageGlobals(page: PageState, request: RequestData): ScriptGlobals {
  // vm2's own `module` would offer `module.require`, around the forbidden-module check.
  const scriptExports = {};
  const ensureRendering = (what: string) => {
    if (!page.rendering) {
      throw new Error(
        `${what} was used after the page was sent; a live page changes through server_socket_event(name, data)`,
      );
    }
  };

  const echo = (...parts: unknown[]) => {
    ensureRendering('echo()');
    if (page.overflow) throw page.overflow;
    for (const part of parts) {
      const text = part instanceof HtmlString ? part.value : part === null || part === undefined ? '' : String(part);
      page.outBytes += utf8Bytes(text);
      if (page.outBytes > boot.maxResponseBytes) overflowed(page);
      page.out.push(text);
    }
  };

  const response: ScriptResponse = {
    get status(): number {
      return page.status;
    },
    set status(code: number) {
      ensureRendering('response.status');
      if (!Number.isInteger(code) || code < 100 || code > 999) {
        throw new RangeError(`response.status must be an HTTP status code (100-999), got ${inspect(code)}`);
      }
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
    flushDomUpdates(page);
    port('push', page.id, name, dataJson(data, 'server_socket_event()'));
    return true;
  };

  const whileOpen = (what: string) => {
    // A timer started after the page died could never be cleared: refuse it.
    if (page.state === 'closed') throw new Error(`${what}: this page is closed`);
  };
  const pageSetTimeout = (fn: Callback, ms?: number, ...args: unknown[]): Timer => {
    if (typeof fn !== 'function') throw new TypeError('setTimeout() needs a function');
    whileOpen('setTimeout()');
    const timer: Timer = pageTimers.setTimeout(() => {
      page.timers.delete(timer);
      inPage(page, () => guard(page.id, 'TIMER_ERROR', () => timerTask(page, () => fn(...args))));
    }, ms);
    page.timers.add(timer);
    return timer;
  };
  const pageSetInterval = (fn: Callback, ms?: number, ...args: unknown[]): Timer => {
    if (typeof fn !== 'function') throw new TypeError('setInterval() needs a function');
    whileOpen('setInterval()');
    const tick = () => inPage(page, () => guard(page.id, 'TIMER_ERROR', () => timerTask(page, () => fn(...args))));
    const timer: Timer = pageTimers.setInterval(tick, ms);
    page.intervals.add(timer);
    return timer;
  };
  const pageClearTimeout = (timer: Timer | undefined) => {
    if (timer === undefined) return;
    if (page.timers.delete(timer)) pageTimers.clearTimeout(timer);
    else if (page.intervals.delete(timer)) pageTimers.clearInterval(timer);
  };

  const log =
    (level: LogLevel) =>
    (...parts: unknown[]) =>
      port('log', page.id, level, parts.map(inspect).join(' '));
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
    page: makePageApi(page),
    shared: makeShared(page),
    include: makeInclude(page),
    setTimeout: pageSetTimeout,
    setInterval: pageSetInterval,
    clearTimeout: pageClearTimeout,
    clearInterval: pageClearTimeout,
    fetch: fetchFor(page),
    console: pageConsole,
    require: makeRequire(mainScript),
    exports: scriptExports,
    module: { exports: scriptExports },
    __filename: absolute(mainScript),
    __dirname: absolute(dirnameOf(mainScript)),
    __pagewireHook: setHook,
  };
}

/**
 * The body passed `maxResponseBytes`: what it held is let go at once, and the render fails with
 * this error, thrown at the echo (its stack names the script's line) and again at every later one.
 */
/** A timer callback of the page: its updates held only while it runs synchronously (dom-updates.ts). */
const timerTask = (page: PageState, task: () => unknown) => holdDomUpdates(page, 'TIMER_ERROR', task, false);

function overflowed(page: PageState): never {
  page.out = [];
  page.overflow = new RangeError(
    `the response body passed maxResponseBytes (${boot.maxResponseBytes} bytes) at this echo(): ` +
      'the render fails rather than send it. Send less (paginate, or serve a file as a static one), ' +
      'or raise maxResponseBytes',
  );
  throw page.overflow;
}

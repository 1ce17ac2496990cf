/**
 * The end of a page, once: timers cleared, subscriptions ended, its fetches aborted, close hooks
 * run in order; once every hook settled, owned resources closed last-in first-out, each after the
 * one before settled; the host is told when all of that has settled.
 */
import type { CloseReason } from '../../messages.js';
import { port } from './boot.js';
import { unsubscribe } from './channels.js';
import { forget, inPage } from './current-page.js';
import { guard, report } from './errors.js';
import { isThenable } from './inspect.js';
import { abortFetches, endCloseFetches } from './page-fetch.js';
import { drainResources } from './page-resources.js';
import { pages, type PageState, type Task } from './pages.js';
import { endShared } from './shared.js';
import { hostClearTimeout, hostSetTimeout, pageTimers, type Timer } from './timers.js';

/** A close hook or disposer still running after this long no longer holds the page's end. */
const CLOSE_TIMEOUT = 10_000;

/** How `page.own(resource)` closes `resource`; undefined when it cannot. */
export function disposerOf(resource: unknown): Task | undefined {
  if (typeof resource === 'function') return resource as Task;
  if (resource === null || typeof resource !== 'object') return undefined;
  const r = resource as Record<string | symbol, unknown>;
  // `end()` last: pg's Client and pools, streams' writable side.
  const keys = ['close', 'destroy', 'dispose', Symbol.for('nodejs.asyncDispose'), Symbol.for('nodejs.dispose'), 'end'];
  for (const key of keys) {
    const method = r[key];
    if (typeof method === 'function') return () => (method as Task).call(resource);
  }
  return undefined;
}

/**
 * Closes owned resources in turn (`resources` is last-in first), each once the one before settled,
 * as an AsyncDisposableStack does: a cursor is closed before the connection it reads from ends.
 * Returns a promise while one is async; takes each resource out of `resources` as it starts.
 */
function disposeInTurn(page: PageState, resources: unknown[]): Promise<unknown> | undefined {
  while (resources.length > 0) {
    const dispose = disposerOf(resources.shift());
    if (!dispose) continue;
    const result = guard(page.id, 'CLOSE_ERROR', dispose);
    if (isThenable(result)) {
      return Promise.resolve(result).then(() => inPage(page, () => disposeInTurn(page, resources)));
    }
  }
  return undefined;
}

/**
 * Ends a page. Returns true when that is all done now; otherwise `closed` reaches the host
 * through the port once every async hook settled.
 */
export function closePage(page: PageState, reason: CloseReason): boolean {
  if (page.state === 'closed' && !pages.has(page.id)) return true;
  page.state = 'closed';
  pages.delete(page.id);
  page.queue.length = 0;
  for (const timer of page.timers) pageTimers.clearTimeout(timer);
  for (const timer of page.intervals) pageTimers.clearInterval(timer);
  page.timers.clear();
  page.intervals.clear();
  for (const subscription of [...page.subscriptions]) unsubscribe(subscription);
  // Its requests still running are aborted; its close hooks may start new ones.
  abortFetches(page);
  const owned = page.owned.splice(0).reverse();
  const pending = inPage(page, () => closeHooksAndResources(page, owned));
  if (!isThenable(pending)) {
    forget(page);
    endShared(page);
    return true;
  }
  let timer: Timer | undefined;
  const late = new Promise<void>((resolve) => {
    timer = hostSetTimeout(() => {
      const error = new Error(`a close hook or owned resource of this page did not finish within ${CLOSE_TIMEOUT} ms`);
      report(page.id, 'CLOSE_ERROR', error);
      endCloseFetches(page);
      // What waits behind a stuck resource is closed now: a connection outlives no page.
      inPage(page, () => {
        for (const resource of owned.splice(0)) {
          const dispose = disposerOf(resource);
          if (dispose) guard(page.id, 'CLOSE_ERROR', dispose);
        }
      });
      resolve();
    }, CLOSE_TIMEOUT);
  });
  void Promise.race([pending, late]).then(() => {
    hostClearTimeout(timer);
    forget(page);
    endShared(page);
    port('closed', page.id, reason);
  });
  return false;
}

/**
 * Runs the close hooks; once every one settled, ends the fetches they started and closes `owned`
 * one at a time: an async hook may still use what the page owns (`await client.query(...)` before
 * the client ends). Returns a promise while any of that is async.
 */
function closeHooksAndResources(page: PageState, owned: unknown[]): unknown {
  const hooks = page.closeHooks.splice(0).map((hook) => guard(page.id, 'CLOSE_ERROR', hook));
  const closeResources = () => {
    endCloseFetches(page);
    // What the hooks opened (through Node's modules) closes first, last opened first; page.owned
    // holds only that now, the rest was taken in order when the page closed.
    owned.unshift(...page.owned.splice(0).reverse());
    drainResources(page);
    return disposeInTurn(page, owned);
  };
  if (!hooks.some(isThenable)) return closeResources();
  // guard() turned every rejection into a report: these promises only fulfil.
  return Promise.all(hooks).then(() => inPage(page, closeResources));
}

/** Closes a page and tells the host, now or when its async hooks settled. */
export function closeAndTell(page: PageState, reason: CloseReason): void {
  if (closePage(page, reason)) port('closed', page.id, reason);
}

/**
 * The host closes pages (ids joined by `,`). Returns the ids, joined, that are closed now or
 * unknown; the others tell the host when they are.
 */
export function closePages(pageIds: string, reason: CloseReason): string {
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
}

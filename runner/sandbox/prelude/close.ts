/**
 * The end of a page, once: timers cleared, subscriptions ended, close hooks run in order, owned
 * resources closed last-in first-out; the host is told when all of that has settled.
 */
import type { CloseReason } from '../../messages.js';
import { port } from './boot.js';
import { unsubscribe } from './channels.js';
import { forget, inPage } from './current-page.js';
import { guard, report } from './errors.js';
import { isThenable } from './inspect.js';
import { abortFetches } from './page-fetch.js';
import { pages, type PageState, type Task } from './pages.js';
import { hostClearInterval, hostClearTimeout, hostSetTimeout, type Timer } from './timers.js';

/** A close hook or disposer still running after this long no longer holds the page's end. */
const CLOSE_TIMEOUT = 10_000;

/** How `page.own(resource)` closes `resource`; undefined when it cannot. */
export function disposerOf(resource: unknown): Task | undefined {
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
 * Ends a page. Returns true when that is all done now; otherwise `closed` reaches the host
 * through the port once every async hook settled.
 */
export function closePage(page: PageState, reason: CloseReason): boolean {
  if (page.state === 'closed' && !pages.has(page.id)) return true;
  page.state = 'closed';
  pages.delete(page.id);
  page.queue.length = 0;
  for (const timer of page.timers) hostClearTimeout(timer);
  for (const timer of page.intervals) hostClearInterval(timer);
  page.timers.clear();
  page.intervals.clear();
  for (const subscription of [...page.subscriptions]) unsubscribe(subscription);
  abortFetches(page);
  const pending = inPage(page, () => closeHooksAndResources(page));
  if (!pending.some(isThenable)) {
    forget(page);
    return true;
  }
  let timer: Timer | undefined;
  const late = new Promise<void>((resolve) => {
    timer = hostSetTimeout(() => {
      const error = new Error(`a close hook or owned resource of this page did not finish within ${CLOSE_TIMEOUT} ms`);
      report(page.id, 'CLOSE_ERROR', error);
      resolve();
    }, CLOSE_TIMEOUT);
  });
  void Promise.race([Promise.allSettled(pending), late]).then(() => {
    hostClearTimeout(timer);
    forget(page);
    port('closed', page.id, reason);
  });
  return false;
}

/** Runs the close hooks, then closes the owned resources: what each returned. */
function closeHooksAndResources(page: PageState): unknown[] {
  const pending: unknown[] = [];
  for (const hook of page.closeHooks.splice(0)) pending.push(guard(page.id, 'CLOSE_ERROR', hook));
  for (const resource of page.owned.splice(0).reverse()) {
    const dispose = disposerOf(resource);
    if (dispose) pending.push(guard(page.id, 'CLOSE_ERROR', dispose));
  }
  return pending;
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

/**
 * The page whose code runs now, for partials: a function in a partial, called by a page's render,
 * event, timer, channel delivery or close hook, sees that page's `request`, `response`, `page`,
 * `echo` and `server_socket_event`, across `await`s, as a PHP include would. The main script
 * gets its own as parameters (compile.ts); these are getters on the sandbox's global object.
 *
 * Every entry into a page's code runs in `inPage(page, ...)`. Across `await`s and timers the page
 * is kept by the host's `AsyncLocalStorage` (`boot.pageContext`), which holds its id. That storage
 * costs every promise of the thread a little once used, so it is used only from the first partial
 * loaded on: before, no code but the main script's could ask, and it has its own parameters.
 */
import type { ScriptGlobals } from '../script-globals.js';
import { boot, sandboxGlobals } from './boot.js';
import type { PageState } from './pages.js';

type PageName = 'request' | 'response' | 'page' | 'echo' | 'server_socket_event' | 'shared' | 'include';
const PAGE_NAMES: readonly PageName[] = [
  'request',
  'response',
  'page',
  'echo',
  'server_socket_event',
  'shared',
  'include',
];

interface KnownPage {
  page: PageState;
  globals: ScriptGlobals;
}

const { pageContext } = boot;
/** Pages that may still run code (rendering, live, closing), by id. */
const known = new Map<string, KnownPage>();
let tracking = false;
/** The page of the synchronous run now, while the storage is not used yet. */
let syncPage: PageState | undefined;

/** A page's code may run from now on (its render starts). */
export function track(page: PageState, globals: ScriptGlobals): void {
  known.set(page.id, { page, globals });
}

/** The page is closed and its close hooks settled: nothing of it runs any more. */
export function forget(page: PageState): void {
  known.delete(page.id);
}

/** Whether the page's code may still run: tracked, and not forgotten yet. */
export function isTracked(page: PageState): boolean {
  return known.get(page.id)?.page === page;
}

/** Called when a partial is loaded: from now on the page is kept across `await`s. */
export function trackAcrossAwaits(): void {
  if (tracking) return;
  tracking = true;
  // The render loading the partial continues with its page.
  if (syncPage) pageContext.enter(syncPage.id);
}

/** Runs `task` as code of `page`: what it calls, and what it starts, belongs to the page. */
export function inPage<T>(page: PageState, task: () => T): T {
  const outer = syncPage;
  syncPage = page;
  if (!tracking) {
    try {
      return task();
    } finally {
      syncPage = outer;
      if (tracking) pageContext.enter(outer?.id);
    }
  }
  const previous = pageContext.current();
  pageContext.enter(page.id);
  try {
    return task();
  } finally {
    syncPage = outer;
    pageContext.enter(previous);
  }
}

/**
 * Runs `task` outside any page: a partial's or a package's module-level code, which runs once per
 * thread, not for the page whose render happened to import it first. What it starts (a timer, a
 * socket) then calls back outside any page too, never into that page's context.
 */
export function outsidePages<T>(task: () => T): T {
  const outer = syncPage;
  syncPage = undefined;
  // The storage is the thread's, shared with the other scripts' sandboxes: a page may be in it
  // even while this sandbox does not use it yet.
  const previous = pageContext.current();
  if (previous !== undefined) pageContext.enter(undefined);
  try {
    return task();
  } finally {
    syncPage = outer;
    if (previous !== undefined) pageContext.enter(previous);
  }
}

/** The page whose code runs now, if any. */
export function currentPage(): PageState | undefined {
  return current()?.page;
}

function current(): KnownPage | undefined {
  const id = tracking ? pageContext.current() : syncPage?.id;
  return id === undefined ? undefined : known.get(id);
}

/** `request`, `response`, `page`, `echo`, `server_socket_event` on the global object. */
export function installPageGetters(): void {
  for (const name of PAGE_NAMES) {
    Object.defineProperty(sandboxGlobals, name, {
      configurable: true,
      enumerable: false,
      get() {
        const found = current();
        if (found) return found.globals[name];
        throw new ReferenceError(
          `${name} is used outside any page. A partial's module-level code runs once per worker thread, ` +
            `not once per page, so no page's ${name} exists there. Use ${name} inside a function that the ` +
            "page's script calls (while it renders, or in an event, a timer or a close hook).",
        );
      },
    });
  }
}

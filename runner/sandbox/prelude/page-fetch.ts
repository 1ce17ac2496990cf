/**
 * `fetch` per page: a request a page started is aborted when the page dies, like its timers
 * (close.ts calls `abortFetches`). Its close hooks may still fetch (tell an API the user left):
 * those requests are aborted when the hooks settled or the close timed out (`endCloseFetches`).
 * The script's own `signal` still works: either one aborts.
 * A fetch outside any page (a partial's module-level code) belongs to the sandbox: aborted when
 * the sandbox is let go (a new version of the script replaced it).
 */
import { boot } from './boot.js';
import { hostArguments } from './host-bytes.js';
import type { PageState } from './pages.js';

const { fetch: hostFetch, globals } = boot.web;
const HostAbortController = globals.AbortController as typeof AbortController;
const HostAbortSignal = globals.AbortSignal as typeof AbortSignal;
const HostDOMException = globals.DOMException as typeof DOMException;

const controllers = new WeakMap<PageState, AbortController>();
/** Closed pages whose close hooks still run: they may fetch. */
const closing = new WeakSet<PageState>();
let moduleController: AbortController | undefined;

export function fetchFor(page: PageState | undefined): typeof fetch {
  return (input, init) => {
    if (page?.state === 'closed' && !closing.has(page)) {
      return Promise.reject(
        new HostDOMException(
          'fetch(): this page is closed, and its close hooks have ended. A close hook may fetch while it runs: ' +
            'await the fetch in the hook.',
          'AbortError',
        ),
      );
    }
    let controller = page ? controllers.get(page) : moduleController;
    if (!controller) {
      controller = new HostAbortController();
      if (page) controllers.set(page, controller);
      else moduleController = controller;
    }
    const [request, options] = hostArguments([input, init]) as Parameters<typeof fetch>;
    const own = options?.signal;
    const signal = own ? HostAbortSignal.any([controller.signal, own]) : controller.signal;
    return hostFetch(request, { ...options, signal });
  };
}

/** The page died: its requests still running are aborted; its close hooks may start new ones. */
export function abortFetches(page: PageState): void {
  controllers.get(page)?.abort(new HostDOMException('the page that started this fetch closed', 'AbortError'));
  controllers.delete(page);
  closing.add(page);
}

/** The page's close hooks settled (or timed out): the requests they started are aborted. */
export function endCloseFetches(page: PageState): void {
  if (!closing.delete(page)) return;
  controllers
    .get(page)
    ?.abort(new HostDOMException('the close hooks of the page that started this fetch ended', 'AbortError'));
}

/** The sandbox is let go: requests module code started are aborted. */
export function abortModuleFetches(): void {
  moduleController?.abort(new HostDOMException('the script was reloaded', 'AbortError'));
}

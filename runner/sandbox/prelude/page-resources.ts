/**
 * What a page opened through Node's modules (node-modules.ts): each resource as the function
 * that closes it, kept by the page until it closed itself (`close` event, `clearInterval`...) or
 * the page dies. close.ts closes them after the page's close hooks, with its owned resources.
 */
import { guard } from './errors.js';
import type { PageState, Task } from './pages.js';

/** Pages whose resources close.ts took: what they open from now on is closed at once. */
const drained = new WeakSet<PageState>();
const forgetNothing = () => {};

/**
 * `dispose` closes a resource the page opened. It joins the page's owned resources (`page.own`),
 * so that both close in one last-in first-out order: a lock file's descriptor opened before the
 * `page.own` that closes it is still open when that runs. Returns the function that forgets it,
 * for when it closed by itself (then it is never closed again: its descriptor number may be
 * another file's by then). Outside any page (module-level code), nothing is tracked.
 */
export function trackResource(page: PageState | undefined, dispose: Task): () => void {
  if (!page) return forgetNothing;
  if (drained.has(page)) {
    guard(page.id, 'CLOSE_ERROR', dispose);
    return forgetNothing;
  }
  let open = true;
  const forget = () => {
    if (!open) return;
    open = false;
    page.resources.delete(entry);
    const index = page.owned.lastIndexOf(entry);
    if (index >= 0) page.owned.splice(index, 1);
  };
  const entry: Task = () => {
    if (!open) return undefined;
    forget();
    return dispose();
  };
  page.resources.add(entry);
  page.owned.push(entry);
  return forget;
}

/** Once the page's close hooks settled: what it opens from now on is closed at once. */
export function drainResources(page: PageState): void {
  drained.add(page);
}

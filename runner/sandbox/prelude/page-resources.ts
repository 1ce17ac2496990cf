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
 * `dispose` closes a resource the page opened. Returns the function that forgets it, for when it
 * closed by itself. Outside any page (module-level code), nothing is tracked.
 */
export function trackResource(page: PageState | undefined, dispose: Task): () => void {
  if (!page) return forgetNothing;
  if (drained.has(page)) {
    guard(page.id, 'CLOSE_ERROR', dispose);
    return forgetNothing;
  }
  page.resources.add(dispose);
  return () => page.resources.delete(dispose);
}

/** The page's resources, last opened first; any it opens after this is closed at once. */
export function takeResources(page: PageState): Task[] {
  drained.add(page);
  const taken = [...page.resources].reverse();
  page.resources.clear();
  return taken;
}

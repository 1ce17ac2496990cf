/**
 * Pages owned by another page: a component (`include()` in a script), a fragment or a separate
 * script a document asked for (`<pw-include>`, `serverSocket.load()`, `new ServerSocket(path)`).
 * Each is a page of its own (its instance, its numbering, its limits), with one more rule each
 * way: it joins only on the socket its owner is joined on (a document cannot join another
 * document's fragment, even of the same session), and it ends when its owner ends.
 */
import type { PageEntry, PageSocket } from './page-entry.js';
import type { PageTable } from './page-table.js';
import type { PageRefusal } from './render-tracker.js';

/** How deep components may include components: `a` includes `b` includes ... (8 pages in a chain). */
export const MAX_INCLUDE_DEPTH = 8;

/** Why `owner` cannot own a new page of `session`, or nothing: it must be a live page of that session. */
export function ownerRefusal(owner: PageEntry | undefined, session: string): PageRefusal | undefined {
  if (owner && owner.session === session && owner.state !== 'closing' && owner.kind === 'page') return undefined;
  const message = 'the page that asked for it is not a live page of this browser session (it closed, or expired)';
  return { status: 403, code: 'NO_OWNER', message };
}

/** Whether `entry` may join on `socket`: a page of its own, or one whose owner is joined there. */
export function joinsWithOwner(table: PageTable, entry: PageEntry, socket: PageSocket): boolean {
  if (entry.owner === undefined) return true;
  const owner = table.get(entry.owner);
  return owner !== undefined && owner.socket === socket && owner.state === 'connected';
}

/** `owner` is gone: the pages it owns that still live end with it (through `close`). */
export function closeOwned(table: PageTable, owner: PageEntry, close: (owned: PageEntry) => void): void {
  for (const entry of [...(table.ofSession(owner.session) ?? [])]) if (entry.owner === owner.id) close(entry);
}

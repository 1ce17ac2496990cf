import { sameContext } from '../context.js';
import { frame } from '../socket/frames.js';
import type { PageEntry, PageSocket } from './page-entry.js';
import type { Tombstone } from './tombstones.js';

/**
 * The page was rendered with another context than its socket has now (another user, signed
 * out). `socketContext` is undefined when sockets are not checked (no `socketMiddleware`).
 */
export function contextChanged(rendered: object, socketContext: object | undefined): boolean {
  return socketContext !== undefined && !sameContext(rendered, socketContext);
}

/** A tombstone's last pushes were made for another context: dropped, and its browser reloads. */
export function refuseFarewell(socket: PageSocket, tombstone: Tombstone): void {
  tombstone.pushes.clear();
  socket.send(frame({ t: 'closed', p: tombstone.id, reason: 'unauthorized' }));
}

/** Live script pages (not closing) whose context `match` accepts: all asked first, then closed. */
export function pagesMatching(entries: Iterable<PageEntry>, match: (context: object) => boolean): PageEntry[] {
  const pages: PageEntry[] = [];
  for (const entry of entries)
    if (entry.kind === 'page' && entry.state !== 'closing' && match(entry.context)) pages.push(entry);
  return pages;
}

/** Logged when a page's very first join finds another context: almost always a configuration slip. */
export const CHANGED_AT_FIRST_JOIN =
  "a page's socket joined with another context than the page rendered with, on its first join: " +
  'it closed (unauthorized) and reloads. If this repeats, socketMiddleware does not give the socket ' +
  "the session and user the app's middleware gave the render";

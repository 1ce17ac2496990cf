import { sameContext } from '../context.js';
import { frame } from '../socket/frames.js';
import type { PageEntry, PageSocket } from './page-entry.js';
import type { RegistrySettings } from './registry-settings.js';
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

/**
 * A page's very first join found another context than it rendered with: almost always a
 * configuration slip, not a sign-out between the render and the socket. Reloading would render
 * it again and fail again, for ever; so the page closes (`unauthorized`) without reloading (the
 * client reloads only a page that joined once), and the browser's console and the dev overlay
 * (an error frame) and the log (with the fields that differ) say what to fix.
 */
export function refuseFirstJoin(
  socket: PageSocket,
  entry: PageEntry,
  socketContext: object,
  logger: RegistrySettings['logger'],
): void {
  const differ = differingFields(entry.context, socketContext);
  logger.warn(`${CHANGED_AT_FIRST_JOIN} (fields that differ: ${differ.join(', ') || 'none by name'})`, {
    script: entry.script,
    pageId: entry.id,
  });
  socket.send(frame({ t: 'error', p: entry.id, code: 'CONTEXT_CHANGED', message: CHANGED_AT_FIRST_JOIN }));
}

/** The top-level fields of two contexts that differ: names only (their values may be secrets). */
function differingFields(a: object, b: object): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter(
    (name) => !sameContext({ v: (a as Record<string, unknown>)[name] }, { v: (b as Record<string, unknown>)[name] }),
  );
}

const CHANGED_AT_FIRST_JOIN =
  "a page's socket joined with another context than the page rendered with, on its first join: the page " +
  'closed (unauthorized) and does not reload, for it would fail again. Either socketMiddleware does not give ' +
  "the socket the session and user the app's middleware gave the render (give it the same middleware, " +
  'such as [session, passport.session()]), or the context function returns values that change from one ' +
  "request to the next (a rolling session's expiry, a request id, a time): return only what identifies " +
  'the user, such as { user: { id, name } }';

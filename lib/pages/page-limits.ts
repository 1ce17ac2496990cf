import type { ResolvedOptions } from '../options.js';
import type { PageEntry } from './page-entry.js';
import type { PageTable } from './page-table.js';
import type { PageRefusal } from './render-tracker.js';

export type PageLimits = Pick<ResolvedOptions, 'maxPagesPerSession' | 'maxPages'>;

/**
 * Frees room for one more page of `session` by evicting, through `evict`, the oldest pages nobody
 * connected to (and, for the global cap, the oldest disconnected one): rendering never fails
 * because of pages nobody opened. Returns a refusal when no page can give way.
 */
export function makeRoom(
  table: PageTable,
  limits: PageLimits,
  session: string,
  evict: (entry: PageEntry) => void,
): PageRefusal | undefined {
  const own = table.ofSession(session);
  if (own && own.size >= limits.maxPagesPerSession) {
    const oldestPending = oldestGiving(own, table, (entry) => entry.state === 'pending');
    if (!oldestPending) {
      const most = 'the most allowed (maxPagesPerSession)';
      // Its pages count each component and fragment: one dashboard can fill it, not only many tabs.
      const fix = 'close some tabs, include fewer components, or raise maxPagesPerSession';
      const message = `this browser session has ${own.size} open pages, ${most}: ${fix}`;
      return { status: 429, code: 'TOO_MANY_PAGES_IN_SESSION', message };
    }
    evict(oldestPending);
  }
  if (table.live >= limits.maxPages) {
    // The pending set's own oldest first: walking the set from its start costs more each time.
    const oldest = table.pending.oldest();
    const pending = oldest && !inRender(table, oldest) ? oldest : oldestGiving(table.pending, table);
    const victim = pending ?? table.disconnected.oldest();
    if (!victim) {
      const message = `the server holds ${table.live} live pages, the most allowed (maxPages)`;
      return { status: 503, code: 'TOO_MANY_PAGES', message };
    }
    evict(victim);
  }
  return undefined;
}

/**
 * The oldest of `entries` (in insertion order) that `may` allow to go and that is no component of a
 * page still rendering.
 */
function oldestGiving(
  entries: Iterable<PageEntry>,
  table: PageTable,
  may: (entry: PageEntry) => boolean = () => true,
): PageEntry | undefined {
  for (const entry of entries) if (may(entry) && !inRender(table, entry)) return entry;
  return undefined;
}

/**
 * Whether `entry` is a component of a page still rendering (at any depth): its HTML is not even
 * sent yet, and evicted now it would reach the browser dead. Such a page is never the one to go.
 */
function inRender(table: PageTable, entry: PageEntry): boolean {
  for (let owner = table.get(entry.owner ?? ''); owner; owner = table.get(owner.owner ?? '')) {
    if (owner.state === 'rendering') return true;
  }
  return false;
}

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
    const oldestPending = [...own].find((entry) => entry.state === 'pending' && !inRender(table, entry));
    if (!oldestPending) {
      const most = 'the most allowed (maxPagesPerSession)';
      const message = `this browser session has ${own.size} open pages, ${most}: close some tabs`;
      return { status: 429, code: 'TOO_MANY_PAGES_IN_SESSION', message };
    }
    evict(oldestPending);
  }
  if (table.live >= limits.maxPages) {
    const victim = table.pending.oldest() ?? table.disconnected.oldest();
    if (!victim) {
      const message = `the server holds ${table.live} live pages, the most allowed (maxPages)`;
      return { status: 503, code: 'TOO_MANY_PAGES', message };
    }
    evict(victim);
  }
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

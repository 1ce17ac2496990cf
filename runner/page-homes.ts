import { pageGone, type RunnerToHost } from './messages.js';

/**
 * Where each page lives (a sandbox, a worker thread) and which pages are still rendering. A
 * runner records a page when it starts rendering it and shows every message it sends the host to
 * `settle`, which forgets pages by the one rule of `pageGone`.
 */
export class PageHomes<Home> {
  readonly #homes = new Map<string, Home>();
  readonly #byHome = new Map<Home, Set<string>>();
  readonly #scripts = new Map<string, string>();
  readonly #rendering = new Set<string>();

  /** A render of `script` for `pageId` starts in `home`. */
  place(pageId: string, home: Home, script: string): void {
    this.#homes.set(pageId, home);
    this.#scripts.set(pageId, script);
    this.#rendering.add(pageId);
    const pages = this.#byHome.get(home);
    if (pages) pages.add(pageId);
    else this.#byHome.set(home, new Set([pageId]));
  }

  homeOf(pageId: string): Home | undefined {
    return this.#homes.get(pageId);
  }

  scriptOf(pageId: string): string | undefined {
    return this.#scripts.get(pageId);
  }

  /** How many pages live (or render) in `home`. */
  count(home: Home): number {
    return this.#byHome.get(home)?.size ?? 0;
  }

  pagesIn(home: Home): string[] {
    return [...(this.#byHome.get(home) ?? [])];
  }

  /** Every page, with its home. */
  entries(): IterableIterator<[string, Home]> {
    return this.#homes.entries();
  }

  /** `pageIds` grouped by home; those with none (closed already, unknown) apart. */
  group(pageIds: readonly string[]): { byHome: Map<Home, string[]>; homeless: string[] } {
    const byHome = new Map<Home, string[]>();
    const homeless: string[] = [];
    for (const pageId of pageIds) {
      const home = this.#homes.get(pageId);
      if (home === undefined) {
        homeless.push(pageId);
        continue;
      }
      const ids = byHome.get(home);
      if (ids) ids.push(pageId);
      else byHome.set(home, [pageId]);
    }
    return { byHome, homeless };
  }

  /** Shown every message the runner sends the host, before the host sees it. */
  settle(message: RunnerToHost): void {
    if (message.type === 'rendered' || message.type === 'render-failed') this.#rendering.delete(message.pageId);
    const gone = pageGone(message);
    if (gone !== undefined) this.#forget(gone);
  }

  /**
   * A home is gone (its worker stopped): its pages are forgotten, and returned as those that were
   * rendering and those that were live.
   */
  evict(home: Home): { rendering: string[]; live: string[] } {
    const rendering: string[] = [];
    const live: string[] = [];
    for (const pageId of this.pagesIn(home)) {
      (this.#rendering.has(pageId) ? rendering : live).push(pageId);
      this.#forget(pageId);
    }
    return { rendering, live };
  }

  #forget(pageId: string): void {
    const home = this.#homes.get(pageId);
    if (home === undefined) return;
    this.#homes.delete(pageId);
    this.#scripts.delete(pageId);
    this.#rendering.delete(pageId);
    const pages = this.#byHome.get(home);
    pages?.delete(pageId);
    if (pages?.size === 0) this.#byHome.delete(home);
  }
}

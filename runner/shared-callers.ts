/**
 * Where each page's `shared` calls came from (a sandbox, a worker), until they are answered: the
 * answer goes back there. Not `PageHomes`, which forgets a page once it rendered as a plain page,
 * while its close hooks may still await calls.
 */
export class SharedCallers<Home> {
  readonly #byPage = new Map<string, { home: Home; pending: number }>();

  /** A page in `home` made a call. */
  asked(pageId: string, home: Home): void {
    const caller = this.#byPage.get(pageId);
    if (caller && caller.home === home) caller.pending++;
    else this.#byPage.set(pageId, { home, pending: 1 });
  }

  /** Where the answer to one of the page's calls goes; undefined when nobody asked. */
  answered(pageId: string): Home | undefined {
    const caller = this.#byPage.get(pageId);
    if (!caller) return undefined;
    if (--caller.pending === 0) this.#byPage.delete(pageId);
    return caller.home;
  }

  /** A home is gone (its worker stopped): answers to its calls are dropped. */
  drop(home: Home): void {
    for (const [pageId, caller] of this.#byPage) if (caller.home === home) this.#byPage.delete(pageId);
  }
}

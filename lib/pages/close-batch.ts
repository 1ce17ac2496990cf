import type { CloseReason } from '../../protocol/wire.js';

/**
 * Instances to end, batched until the current turn of the event loop ends (its I/O callbacks
 * done): a sweep, an eviction or a shutdown closing thousands of pages makes one runner message
 * per reason, and one call into each sandbox. Under render load past `maxPendingPages`, every
 * render evicts a page: the renders of one turn (each request is its own task) then share one.
 */
export class CloseBatch {
  readonly #post: (pageIds: string[], reason: CloseReason) => void;
  readonly #batches = new Map<CloseReason, string[]>();
  #scheduled = false;

  constructor(post: (pageIds: string[], reason: CloseReason) => void) {
    this.#post = post;
  }

  add(pageId: string, reason: CloseReason): void {
    const batch = this.#batches.get(reason);
    if (batch) batch.push(pageId);
    else this.#batches.set(reason, [pageId]);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    // Taken before posting: what posting leads to may close more pages, in a new batch.
    const batches = [...this.#batches];
    this.#batches.clear();
    for (const [reason, pageIds] of batches) this.#post(pageIds, reason);
  }
}

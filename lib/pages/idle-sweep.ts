import type { PageEntry } from './page-entry.js';
import type { PageTable } from './page-table.js';

/**
 * `idleTimeout`: closes pages that had no client event (nor join) for that long. A sweep a
 * quarter of the timeout apart (between 50 ms and a minute) rather than a timer per page, reset
 * on every event. It reads `Date.now()`, as `lastActivity` is stamped.
 */
export class IdleSweep {
  readonly #timer: NodeJS.Timeout | undefined;

  /** `Infinity` (the default) sweeps nothing. */
  constructor(idleTimeout: number, table: PageTable, close: (entry: PageEntry) => void) {
    if (!Number.isFinite(idleTimeout)) return;
    const every = Math.max(50, Math.min(60_000, idleTimeout / 4));
    this.#timer = setInterval(() => {
      const deadline = Date.now() - idleTimeout;
      for (const entry of table.all()) {
        if (entry.state === 'rendering' || entry.state === 'closing') continue;
        if (entry.lastActivity < deadline) close(entry);
      }
    }, every).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

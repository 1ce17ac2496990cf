/** How a page counts the reloads it made in a row, across the reloads themselves. */

/**
 * Reloads in a row without a join that lasted a heartbeat, after which the client stops reloading (as LiveView's
 * MAX_RELOADS).
 */
export const MAX_RELOADS = 10;
/** Once stopped: one more try after this long, and again after as long (LiveView's FAILSAFE_JITTER). */
export const FAILSAFE_DELAY = 30_000;
/** The longest wait between two reloads in a row before the client stops. */
export const MAX_RELOAD_DELAY = 2000;

/** What the counter needs of `sessionStorage`. */
export type ReloadStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * The reloads this tab made of one page address in a row, in `sessionStorage` (per tab, it
 * survives the reload): a page that never joins (its socket refused, the server then saying the
 * page is gone) would otherwise reload for ever, and so would a page whose join ends its instance.
 * A join that lasts (a heartbeat's ping answered after it, the page still open) resets it. Where storage is refused (a
 * sandboxed frame), the count lives in memory, and only the backoff within a document holds.
 */
export class ReloadCount {
  readonly #storage: ReloadStorage;
  readonly #key: string;

  constructor(storage: ReloadStorage | undefined, address: string) {
    this.#storage = storage ?? tabStorage();
    this.#key = `pagewire-reloads ${address}`;
  }

  get value(): number {
    const stored = Number(attempt(() => this.#storage.getItem(this.#key)) ?? 0);
    return Number.isInteger(stored) && stored > 0 ? stored : 0;
  }

  /** One more reload in a row. */
  add(): void {
    const next = String(this.value + 1);
    attempt(() => this.#storage.setItem(this.#key, next));
  }

  /** The page joined, and lasted: its reloads are over. */
  reset(): void {
    attempt(() => this.#storage.removeItem(this.#key));
  }
}

/** The tab's `sessionStorage`, or a map when the page may not use it. */
function tabStorage(): ReloadStorage {
  const storage = attempt(() => globalThis.sessionStorage);
  if (storage) return storage;
  const memory = new Map<string, string>();
  return {
    getItem: (key) => memory.get(key) ?? null,
    setItem: (key, value) => void memory.set(key, value),
    removeItem: (key) => void memory.delete(key),
  };
}

/** Storage may throw (refused, full): the count is a safeguard, never a failure of its own. */
function attempt<T>(use: () => T): T | undefined {
  try {
    return use();
  } catch {
    return undefined;
  }
}

/** How long a script is first quarantined (ms); each new quarantine while it is remembered doubles it. */
export const QUARANTINE_FIRST = 30_000;
/** The longest quarantine: a script that keeps doing it is tried again this often (ms). */
export const QUARANTINE_MAX = 16 * 60_000;

interface Record {
  /** `performance.now()` when it ends. */
  until: number;
  /** Quarantines in a row, with no good render between them. */
  strikes: number;
}

/**
 * Scripts that made a worker stuck or pass its memory limit lately: their renders are refused
 * (503, `Retry-After`) and their events get an error, so that repeating the request cannot stop
 * the server's workers again and again. 30 s, then 60 s, 120 s... while the script fails again
 * after each; a good render forgets its strikes.
 */
export class Quarantine {
  readonly #scripts = new Map<string, Record>();

  /** Quarantines `script` now; returns for how long, in ms. */
  add(script: string, now = performance.now()): number {
    const strikes = (this.#scripts.get(script)?.strikes ?? 0) + 1;
    const ms = Math.min(QUARANTINE_MAX, QUARANTINE_FIRST * 2 ** (strikes - 1));
    this.#scripts.set(script, { until: now + ms, strikes });
    return ms;
  }

  /** Whole seconds of quarantine left (at least 1), or 0 when `script` is not quarantined. */
  retryAfter(script: string | undefined, now = performance.now()): number {
    if (script === undefined || this.#scripts.size === 0) return 0;
    const left = (this.#scripts.get(script)?.until ?? 0) - now;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** A render of `script` ended well: the next quarantine, if any, is a first one again. */
  forgive(script: string): void {
    if (this.#scripts.size > 0 && this.retryAfter(script) === 0) this.#scripts.delete(script);
  }

  /** Dev: files were edited, the fix may be among them. */
  clear(): void {
    this.#scripts.clear();
  }
}

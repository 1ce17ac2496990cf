/**
 * A token bucket of `rate` messages a second, holding at most one second's worth. Time comes
 * from `now` (ms), so tests can step it.
 */
export class TokenBucket {
  readonly rate: number;
  readonly #now: () => number;
  #tokens: number;
  #refilled: number;

  constructor(rate: number, now: () => number = Date.now) {
    this.rate = rate;
    this.#now = now;
    this.#tokens = rate;
    this.#refilled = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  /** Milliseconds until the next token. */
  wait(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.rate);
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.rate, this.#tokens + ((now - this.#refilled) * this.rate) / 1000);
    this.#refilled = now;
  }
}

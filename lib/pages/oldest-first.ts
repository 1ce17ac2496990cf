/**
 * A set that can give its oldest member cheaply, for evicting pages in the order they came.
 *
 * A plain Set's first member is found by stepping over the slot of every member deleted since
 * the Set last rebuilt its table, so taking the front again and again (a load test filling
 * maxPendingPages) costs more each time. A Set iterator kept between calls would skip them, but
 * while it waits it pins every table the Set has outgrown: memory without bound. Here the order
 * is an array read from a moving head; members deleted or added again are recognised by their
 * stamp and passed over once, and the array is rebuilt when dead entries outnumber live ones.
 */
export class OldestFirst<T> implements Iterable<T> {
  /** Member -> the stamp of its latest `add`. Iterates in insertion order, like a Set. */
  readonly #members = new Map<T, number>();
  #order: Array<{ value: T; stamp: number }> = [];
  #head = 0;
  #stamp = 0;

  get size(): number {
    return this.#members.size;
  }

  has(value: T): boolean {
    return this.#members.has(value);
  }

  /** Adds `value` as the newest member; a member already there keeps its place, as in a Set. */
  add(value: T): this {
    if (this.#members.has(value)) return this;
    const stamp = ++this.#stamp;
    this.#members.set(value, stamp);
    this.#order.push({ value, stamp });
    // Also drops what the head has passed: the array holds at most about twice the members.
    if (this.#order.length > 2 * this.#members.size + 64) this.#rebuild();
    return this;
  }

  delete(value: T): boolean {
    return this.#members.delete(value);
  }

  /** The member added longest ago, left in place. */
  oldest(): T | undefined {
    while (this.#head < this.#order.length) {
      const { value, stamp } = this.#order[this.#head] as { value: T; stamp: number };
      if (this.#members.get(value) === stamp) return value;
      this.#head++;
    }
    return undefined;
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.#members.keys();
  }

  #rebuild(): void {
    this.#order = Array.from(this.#members, ([value, stamp]) => ({ value, stamp }));
    this.#head = 0;
  }
}

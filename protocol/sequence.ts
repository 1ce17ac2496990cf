/**
 * Exactly-once delivery, written once for both sides: the sender numbers what it sends and keeps
 * it until the receiver acknowledges it (`Outbox`), the receiver takes each number once, in order
 * (`Inbox`). The browser's events and the server's pushes use the same two classes.
 */

/** A message kept until it is acknowledged. */
export interface Numbered<T> {
  readonly seq: number;
  readonly item: T;
  /** What it counts for against a byte bound (0 when the side does not bound bytes). */
  readonly size: number;
}

/**
 * Numbers outgoing messages from 1 and keeps each until the receiver acknowledges it, so a
 * reconnection can send again what the receiver has not seen.
 */
export class Outbox<T> {
  #kept: Array<Numbered<T>> = [];
  /** Index of the oldest kept message in `#kept` (acknowledging advances it; no splice each time). */
  #head = 0;
  #last = 0;
  #bytes = 0;
  readonly #onBytes: ((delta: number) => void) | undefined;

  /** `onBytes` hears every change of the kept bytes: a budget shared by many outboxes. */
  constructor(onBytes?: (delta: number) => void) {
    this.#onBytes = onBytes;
  }

  /** The number of the last message added (0 before the first). */
  get lastSeq(): number {
    return this.#last;
  }

  /** The last message added, if still kept. */
  get last(): Numbered<T> | undefined {
    return this.#kept.length > this.#head ? this.#kept[this.#kept.length - 1] : undefined;
  }

  /** Messages kept, not acknowledged yet. */
  get size(): number {
    return this.#kept.length - this.#head;
  }

  /** Their sizes added up. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Numbers and keeps a message; `make` gets its number. */
  add(make: (seq: number) => T, size = 0): Numbered<T> {
    const kept = { seq: ++this.#last, item: make(this.#last), size };
    this.#kept.push(kept);
    this.#grow(size);
    return kept;
  }

  /** Numbers and keeps a message that does not hold its own number; returns the number. */
  keep(item: T, size = 0): number {
    this.#kept.push({ seq: ++this.#last, item, size });
    this.#grow(size);
    return this.#last;
  }

  /** The receiver has every message up to `seq`: they are no longer kept. */
  acknowledge(seq: number): void {
    let freed = 0;
    while (this.#head < this.#kept.length && (this.#kept[this.#head] as Numbered<T>).seq <= seq) {
      freed += (this.#kept[this.#head] as Numbered<T>).size;
      this.#head++;
    }
    if (this.#head > 32 && this.#head * 2 > this.#kept.length) {
      this.#kept = this.#kept.slice(this.#head);
      this.#head = 0;
    }
    this.#grow(-freed);
  }

  /** The kept messages after `seq`, oldest first: what a receiver that has `seq` has not seen. */
  *after(seq = 0): Generator<Numbered<T>> {
    for (let i = this.#head; i < this.#kept.length; i++) {
      const kept = this.#kept[i] as Numbered<T>;
      if (kept.seq > seq) yield kept;
    }
  }

  /** Forgets every kept message (the conversation is over). */
  clear(): void {
    const freed = this.#bytes;
    this.#kept = [];
    this.#head = 0;
    this.#grow(-freed);
  }

  #grow(delta: number): void {
    if (delta === 0) return;
    this.#bytes += delta;
    this.#onBytes?.(delta);
  }
}

/** What the receiver makes of a numbered message. */
export type Arrival = 'new' | 'seen' | 'gap';

/** Takes each number once, in order: a number seen already is dropped, a skipped one refused. */
export class Inbox {
  #last = 0;

  /** The last number taken (0 before the first): what the receiver acknowledges. */
  get lastSeq(): number {
    return this.#last;
  }

  accept(seq: number): Arrival {
    if (seq <= this.#last) return 'seen';
    if (seq > this.#last + 1) return 'gap';
    this.#last = seq;
    return 'new';
  }
}

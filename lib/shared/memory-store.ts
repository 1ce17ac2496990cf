/**
 * The shared store of one process: a Map, with Redis's meaning for every operation (shared-op.ts)
 * and a bound on the bytes it holds. Keys with a TTL expire when they are next touched, and by a
 * periodic sweep (unref'd: it never holds the process open) that frees what nobody reads again.
 */
import { utf8Bytes } from '../../runner/sandbox/utf8-bytes.js';
import { callName, failure, type SharedAnswer, type SharedOp, type SharedStore } from './shared-op.js';
import { notInteger, pastSafeIntegers, storeFull, wrongType } from './store-failures.js';

/** Counted for every key beside its bytes: the Map's entry and the record (a rough V8 figure). */
export const KEY_OVERHEAD_BYTES = 64;
/** Counted for every list item beside its bytes: the array slot and the string's header. */
export const ITEM_OVERHEAD_BYTES = 16;

type Entry =
  | { kind: 'value'; text: string; bytes: number; expires: number | undefined }
  | { kind: 'list'; items: string[]; bytes: number; expires: number | undefined };

export interface MemoryStoreOptions {
  /** What the store may hold (keys, values, overheads), in bytes: `maxSharedBytes`. */
  maxBytes: number;
  /** The clock TTLs are judged by (ms). Default `Date.now`; tests give a fake one. */
  now?: () => number;
  /** How often expired keys nobody touched are swept, in ms. Default 10 s. */
  sweepInterval?: number;
}

export class MemoryStore implements SharedStore {
  readonly #entries = new Map<string, Entry>();
  /** Keys that have a TTL, with it: the sweep looks at these only. */
  readonly #expiring = new Map<string, number>();
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #sweep: NodeJS.Timeout;
  #bytes = 0;
  #closed = false;

  constructor(options: MemoryStoreOptions) {
    this.#maxBytes = options.maxBytes;
    // Read at each call, not kept: a clock faked later (tests) is the one TTLs follow.
    this.#now = options.now ?? (() => Date.now());
    this.#sweep = setInterval(() => this.sweep(), options.sweepInterval ?? 10_000).unref();
  }

  /** Bytes held now, as counted against `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Keys held now, expired ones not swept yet included. */
  get size(): number {
    return this.#entries.size;
  }

  run(op: SharedOp): Promise<SharedAnswer> {
    return Promise.resolve(this.apply(op));
  }

  /** `run`, synchronously: one operation, whole, before any other. */
  apply(op: SharedOp): SharedAnswer {
    if (this.#closed) return failure('SHARED_UNAVAILABLE', `${callName(op)}: the shared store is closed`);
    const entry = this.#live(op.key);
    switch (op.op) {
      case 'get':
        if (entry?.kind === 'list') return wrongType(op);
        return entry ? { ok: true, json: entry.text } : { ok: true };
      case 'set':
        return this.#set(op.key, op.value, entry, op.ttl === undefined ? undefined : this.#now() + op.ttl, op);
      case 'delete':
        if (entry) this.#remove(op.key, entry);
        return { ok: true, json: entry ? 'true' : 'false' };
      case 'incr':
        return this.#incr(op, entry);
      case 'push':
        return this.#push(op, entry);
      case 'list':
        if (entry?.kind === 'value') return wrongType(op);
        return { ok: true, json: `[${entry ? lrange(entry.items, op.start, op.end).join(',') : ''}]` };
      default: {
        const unknown: never = op;
        return failure('SHARED_BAD_CALL', `no shared operation ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Frees every key whose TTL passed. */
  sweep(): void {
    const now = this.#now();
    for (const [key, expires] of this.#expiring) {
      if (expires > now) continue;
      const entry = this.#entries.get(key);
      if (entry) this.#remove(key, entry);
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#entries.clear();
    this.#expiring.clear();
    this.#bytes = 0;
    return Promise.resolve();
  }

  /** The key's entry, unless it expired (then it is freed now). */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry?.expires !== undefined && entry.expires <= this.#now()) {
      this.#remove(key, entry);
      return undefined;
    }
    return entry;
  }

  #set(key: string, text: string, old: Entry | undefined, expires: number | undefined, op: SharedOp): SharedAnswer {
    const bytes = KEY_OVERHEAD_BYTES + utf8Bytes(key) + utf8Bytes(text);
    const full = this.#room(bytes - (old?.bytes ?? 0), op);
    if (full) return full;
    this.#put(key, { kind: 'value', text, bytes, expires }, old);
    return { ok: true };
  }

  #incr(op: Extract<SharedOp, { op: 'incr' }>, entry: Entry | undefined): SharedAnswer {
    if (entry?.kind === 'list') return wrongType(op);
    const now = entry ? integerOf(entry.text) : 0;
    if (now === undefined) return notInteger(op, entry?.text ?? '');
    const next = now + op.by;
    if (!Number.isSafeInteger(next)) return pastSafeIntegers(op);
    // INCRBY keeps the key's TTL.
    const answer = this.#set(op.key, String(next), entry, entry?.expires, op);
    return answer.ok ? { ok: true, json: String(next) } : answer;
  }

  #push(op: Extract<SharedOp, { op: 'push' }>, entry: Entry | undefined): SharedAnswer {
    if (entry?.kind === 'value') return wrongType(op);
    const items = entry?.items ?? [];
    const itemBytes = ITEM_OVERHEAD_BYTES + utf8Bytes(op.value);
    const dropped = op.max === undefined ? 0 : Math.max(0, items.length + 1 - op.max);
    let freed = 0;
    for (let i = 0; i < dropped && i < items.length; i++) freed += ITEM_OVERHEAD_BYTES + utf8Bytes(items[i] as string);
    const added = entry ? 0 : KEY_OVERHEAD_BYTES + utf8Bytes(op.key);
    const full = this.#room(added + itemBytes - freed, op);
    if (full) return full;
    // RPUSH, LTRIM -max -1, and PEXPIRE when given one (else the list keeps its TTL), in one step.
    items.push(op.value);
    if (dropped > 0) items.splice(0, dropped);
    const expires = op.ttl === undefined ? entry?.expires : this.#now() + op.ttl;
    const bytes = (entry?.bytes ?? added) + itemBytes - freed;
    this.#put(op.key, { kind: 'list', items, bytes, expires }, entry);
    return { ok: true, json: String(items.length) };
  }

  /** A failure when `delta` more bytes would pass `maxBytes` (after a sweep of what expired). */
  #room(delta: number, op: SharedOp): SharedAnswer | undefined {
    if (delta <= 0 || this.#bytes + delta <= this.#maxBytes) return undefined;
    this.sweep();
    if (this.#bytes + delta <= this.#maxBytes) return undefined;
    const why = `the shared store holds ${this.#bytes} bytes, and this would pass maxSharedBytes (${this.#maxBytes})`;
    return storeFull(op, why, 'raise maxSharedBytes');
  }

  #put(key: string, entry: Entry, old: Entry | undefined): void {
    this.#bytes += entry.bytes - (old?.bytes ?? 0);
    this.#entries.set(key, entry);
    if (entry.expires === undefined) this.#expiring.delete(key);
    else this.#expiring.set(key, entry.expires);
  }

  #remove(key: string, entry: Entry): void {
    this.#bytes -= entry.bytes;
    this.#entries.delete(key);
    this.#expiring.delete(key);
  }
}

/** The integer a stored JSON text is, as Redis reads one (digits, an optional minus), if it is one. */
function integerOf(text: string): number | undefined {
  if (!/^-?(0|[1-9]\d*)$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Redis's LRANGE: `end` inclusive, negative indexes from the end, out of range clamped. */
export function lrange<T>(items: readonly T[], start: number, end: number): T[] {
  const length = items.length;
  let from = start < 0 ? length + start : start;
  let to = end < 0 ? length + end : end;
  if (from < 0) from = 0;
  if (from > to || from >= length) return [];
  if (to >= length) to = length - 1;
  return items.slice(from, to + 1);
}

import { frame } from '../socket/frames.js';
import type { PageEntry } from './page-entry.js';

/**
 * Acknowledgements of client events, sent once the current burst of socket messages has been
 * read (`setImmediate`): a page that gets a hundred events in one read answers with one ack. A
 * push made meanwhile carries the ack itself, and none is sent apart.
 */
export class AckBatch {
  readonly #due = new Set<PageEntry>();
  #flush: NodeJS.Immediate | undefined;

  schedule(entry: PageEntry): void {
    this.#due.add(entry);
    this.#flush ??= setImmediate(() => this.#send());
  }

  /** The ack to carry on a push to `entry` now, if one is due: it is then not sent apart. */
  takeDue(entry: PageEntry): number | undefined {
    if (entry.events.lastSeq <= entry.ackedEvents) return undefined;
    entry.ackedEvents = entry.events.lastSeq;
    return entry.ackedEvents;
  }

  cancel(entry: PageEntry): void {
    this.#due.delete(entry);
  }

  clear(): void {
    if (this.#flush) clearImmediate(this.#flush);
    this.#flush = undefined;
    this.#due.clear();
  }

  #send(): void {
    this.#flush = undefined;
    for (const entry of this.#due) {
      const ack = entry.socket ? this.takeDue(entry) : undefined;
      if (ack !== undefined) entry.socket?.send(frame({ t: 'ack', p: entry.id, a: ack }));
    }
    this.#due.clear();
  }
}

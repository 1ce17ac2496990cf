import type { Outbox } from '../../protocol/sequence.js';
import type { ResolvedOptions } from '../options.js';
import { pushFrame, pushTail, type PushTail } from '../socket/frames.js';
import type { AckBatch } from './ack-batch.js';
import type { PageEntry, PageSocket } from './page-entry.js';
import type { PushBudget } from './push-budget.js';
import type { Tombstones } from './tombstones.js';

export type DeliverySettings = Pick<ResolvedOptions, 'maxBufferedPushes' | 'maxBufferedBytes'>;

/** While connected, this many times `maxBufferedBytes` may be in flight, unacknowledged. */
const IN_FLIGHT_FACTOR = 4;

/**
 * Pushes to pages: each is numbered and kept in the page's outbox until the browser acknowledges
 * it, sent at once to a connected page, and sent again after a reconnection.
 */
export class PushDelivery {
  readonly #settings: DeliverySettings;
  readonly #budget: PushBudget;
  readonly #tombstones: Tombstones;
  readonly #acks: AckBatch;

  constructor(settings: DeliverySettings, budget: PushBudget, tombstones: Tombstones, acks: AckBatch) {
    this.#settings = settings;
    this.#budget = budget;
    this.#tombstones = tombstones;
    this.#acks = acks;
  }

  /**
   * Numbers a push, keeps it, and sends it if the page is connected. Returns false when the page
   * overflows: the gap could no longer be filled, and the page must expire.
   */
  deliver(entry: PageEntry, name: string, dataJson: string): boolean {
    const tail = pushTail(name, dataJson);
    const { seq } = entry.pushes.add(() => tail, tail.length);
    if (this.#overflows(entry)) return false;
    entry.socket?.send(pushFrame(entry.id, seq, this.#acks.takeDue(entry), tail));
    return true;
  }

  /** Sends again the kept pushes a browser that has `acked` has not seen, in order. */
  replay(socket: PageSocket, pageId: string, pushes: Outbox<PushTail>, acked: number): void {
    for (const push of pushes.after(acked)) socket.send(pushFrame(pageId, push.seq, undefined, push.item));
  }

  /**
   * While connected the browser acknowledges as it reads: only bytes in flight are bounded (a
   * handler may push thousands of small messages at once). Without a socket, what was pushed
   * since the drop is bounded in count and bytes, and by the budget of all pages together.
   */
  #overflows(entry: PageEntry): boolean {
    if (entry.state === 'disconnected' && this.#budget.exceeded) {
      // Pushes kept for pages whose browser is away grow the budget for good. Tombstones (pages
      // already closed) give way first; a page not yet connected never has to.
      this.#tombstones.shed(() => this.#budget.exceeded);
      if (this.#budget.exceeded) {
        this.#budget.warnExceeded();
        return true;
      }
    }
    const { maxBufferedPushes, maxBufferedBytes } = this.#settings;
    if (entry.state !== 'disconnected') return entry.pushes.bytes > maxBufferedBytes * IN_FLIGHT_FACTOR;
    const pushedSinceDrop = entry.pushes.size - entry.pushesAtDrop;
    return pushedSinceDrop > maxBufferedPushes || entry.pushes.bytes - entry.bytesAtDrop > maxBufferedBytes;
  }
}

import type { Outbox } from '../../protocol/sequence.js';
import type { ResolvedOptions } from '../options.js';
import { frame, pushFrame, pushTail, type PushTail } from '../socket/frames.js';
import type { RunnerToHost } from '../../runner/messages.js';
import type { AckBatch } from './ack-batch.js';
import { eventDone, replayDones } from './event-done.js';
import { eventRefusedFrame } from './event-refused.js';
import type { PageEntry, PageSocket } from './page-entry.js';
import type { PushBudget } from './push-budget.js';
import type { Tombstone, Tombstones } from './tombstones.js';

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
    return this.#deliverTail(entry, pushTail(name, dataJson));
  }

  /**
   * A push to every page of `entries` (the error pages' watchers excepted). The tail is made once:
   * the frames differ only in their head (page id, number, ack). `overflowed` hears of each page
   * that overflows.
   */
  broadcast(entries: Iterable<PageEntry>, name: string, dataJson: string, overflowed: (entry: PageEntry) => void) {
    const tail = pushTail(name, dataJson);
    for (const entry of entries) {
      if (entry.kind === 'page' && !this.#deliverTail(entry, tail)) overflowed(entry);
    }
  }

  #deliverTail(entry: PageEntry, tail: PushTail): boolean {
    const seq = entry.pushes.keep(tail, tail.length);
    if (this.#overflows(entry)) return false;
    entry.socket?.send(pushFrame(entry.id, seq, this.#acks.takeDue(entry), tail));
    return true;
  }

  /** Sends again the kept pushes a browser that has `acked` has not seen, in order. */
  replay(socket: PageSocket, pageId: string, pushes: Outbox<PushTail>, acked: number): void {
    for (const push of pushes.after(acked)) socket.send(pushFrame(pageId, push.seq, undefined, push.item));
  }

  /** A browser joined a page on a new socket: the pushes and the `done`s it may have missed. */
  rejoin(socket: PageSocket, entry: PageEntry, acked: number): void {
    this.replay(socket, entry.id, entry.pushes, acked);
    replayDones(socket, entry);
  }

  /** A client event of the page is over: handled, or refused (the browser hears why, then `done`). */
  eventOver(entry: PageEntry | undefined, message: Extract<RunnerToHost, { type: 'event-done' | 'event-refused' }>) {
    // A page closed `unauthorized` sends nothing more to its socket.
    if (!entry || entry.closeReason === 'unauthorized') return;
    if (message.type === 'event-refused') entry.socket?.send(eventRefusedFrame(message));
    eventDone(entry, message.seq);
  }

  /**
   * A browser re-joins a page that closed while it was away: `joined` with `final` (the page is
   * not back, only its last pushes: the browser sends it nothing more), the pushes it missed,
   * then why the page closed. The tombstone's pushes are released.
   */
  farewell(socket: PageSocket, tombstone: Tombstone, acked: number): void {
    socket.send(frame({ t: 'joined', p: tombstone.id, a: tombstone.lastEvent, final: true }));
    this.replay(socket, tombstone.id, tombstone.pushes, acked);
    tombstone.pushes.clear();
    socket.send(frame({ t: 'closed', p: tombstone.id, reason: tombstone.reason }));
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

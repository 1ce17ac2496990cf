import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckBatch } from '../../lib/pages/ack-batch.js';
import { newPageEntry, type PageEntry, type PageSocket } from '../../lib/pages/page-entry.js';
import { PushBudget } from '../../lib/pages/push-budget.js';
import { PushDelivery } from '../../lib/pages/push-delivery.js';
import { Tombstones } from '../../lib/pages/tombstones.js';
import type { ServerMessage } from '../../protocol/wire.js';
import { memoryLogger } from '../helpers/fixtures.js';

function setup(limits: { maxBufferedPushes: number; maxBufferedBytes: number; total: number }) {
  const log = memoryLogger();
  const budget = new PushBudget(limits.total, log);
  const tombstones = new Tombstones(100);
  const delivery = new PushDelivery(limits, budget, tombstones, new AckBatch());
  const page = (id: string): PageEntry => newPageEntry('page', id.padEnd(22, 'x'), 's', 'a.ts', 60_000, budget.change);
  return { log, budget, tombstones, delivery, page };
}

function recorder(): PageSocket & { frames: ServerMessage[] } {
  const frames: ServerMessage[] = [];
  return { frames, send: (frame) => void frames.push(JSON.parse(frame) as ServerMessage) };
}

describe('PushDelivery', () => {
  it('sends to a connected page at once, carrying the ack due, and bounds only what is in flight', () => {
    const { delivery, page } = setup({ maxBufferedPushes: 2, maxBufferedBytes: 100, total: 1 << 20 });
    const entry = page('a');
    const socket = recorder();
    entry.state = 'connected';
    entry.socket = socket;
    entry.events.accept(1);
    assert.equal(delivery.deliver(entry, 'n', '1'), true);
    assert.deepEqual(socket.frames[0], { t: 'push', p: entry.id, s: 1, a: 1, n: 'n', d: 1 });
    // Many small pushes while connected: the count bound is for a page without its browser.
    for (let i = 2; i <= 10; i++) assert.equal(delivery.deliver(entry, 'n', String(i)), true);
    assert.equal(socket.frames.length, 10);
    // In flight: at most 4 x maxBufferedBytes unacknowledged.
    assert.equal(delivery.deliver(entry, 'big', JSON.stringify('x'.repeat(400))), false);
  });

  it('bounds what a disconnected page was pushed since the drop, in count and bytes', () => {
    const { delivery, page } = setup({ maxBufferedPushes: 2, maxBufferedBytes: 1000, total: 1 << 20 });
    const entry = page('b');
    entry.state = 'disconnected';
    entry.pushesAtDrop = entry.pushes.size;
    entry.bytesAtDrop = entry.pushes.bytes;
    assert.equal(delivery.deliver(entry, 'n', '1'), true);
    assert.equal(delivery.deliver(entry, 'n', '2'), true);
    assert.equal(delivery.deliver(entry, 'n', '3'), false, 'the third push since the drop overflows');
  });

  it('past the budget of all pages, tombstones give way before a disconnected page expires', () => {
    const { delivery, page, tombstones, budget, log } = setup({
      maxBufferedPushes: 100,
      maxBufferedBytes: 1 << 20,
      total: 60,
    });
    const closed = page('c');
    closed.state = 'disconnected';
    delivery.deliver(closed, 'n', JSON.stringify('y'.repeat(30)));
    tombstones.bury(closed, 'closed-by-script');
    const entry = page('d');
    entry.state = 'disconnected';
    // Over the budget with the tombstone's bytes: the tombstone is dropped, and the page lives.
    assert.equal(delivery.deliver(entry, 'n', JSON.stringify('z'.repeat(30))), true);
    assert.equal(tombstones.size, 0);
    assert.ok(!budget.exceeded);
    // Over it with its own pushes only: it expires, and the log says why once.
    assert.equal(delivery.deliver(entry, 'n', JSON.stringify('z'.repeat(30))), false);
    assert.equal(log.lines.filter((line) => line.includes('maxTotalBufferedBytes')).length, 1);
  });

  it('broadcasts one tail to every page, numbered per page, watchers left out and overflows told', () => {
    const { delivery, page } = setup({ maxBufferedPushes: 1, maxBufferedBytes: 1000, total: 1 << 20 });
    const [first, second, away] = [page('f'), page('g'), page('h')];
    const watcher = newPageEntry('watcher', 'w'.padEnd(22, 'x'), 's', 'a.ts', 60_000, () => {});
    const sockets = [recorder(), recorder(), recorder()];
    for (const [i, entry] of [first, second, watcher].entries()) {
      entry.state = 'connected';
      entry.socket = sockets[i];
    }
    second.events.accept(1);
    delivery.deliver(second, 'n', '0');
    away.state = 'disconnected';
    delivery.deliver(away, 'n', '0');
    const overflowed: PageEntry[] = [];
    delivery.broadcast([first, second, watcher, away], 'news', '{"k":1}', (entry) => overflowed.push(entry));
    assert.deepEqual(sockets[0]?.frames, [{ t: 'push', p: first.id, s: 1, n: 'news', d: { k: 1 } }]);
    assert.deepEqual(sockets[1]?.frames.at(-1), { t: 'push', p: second.id, s: 2, n: 'news', d: { k: 1 } });
    assert.deepEqual(sockets[2]?.frames, [], 'an error page watching its file gets no pushes');
    assert.deepEqual(overflowed, [away], 'a second push since the drop overflows maxBufferedPushes: 1');
    assert.deepEqual(
      [...away.pushes.after(0)].map((push) => push.seq),
      [1, 2],
    );
  });

  it('replays in order what a browser that has `acked` has not seen', () => {
    const { delivery, page } = setup({ maxBufferedPushes: 100, maxBufferedBytes: 1 << 20, total: 1 << 20 });
    const entry = page('e');
    entry.state = 'disconnected';
    for (let i = 1; i <= 4; i++) delivery.deliver(entry, 'n', String(i));
    const socket = recorder();
    delivery.replay(socket, entry.id, entry.pushes, 2);
    assert.deepEqual(
      socket.frames.map((frame) => (frame.t === 'push' ? [frame.s, frame.d] : frame.t)),
      [
        [3, 3],
        [4, 4],
      ],
    );
  });
});

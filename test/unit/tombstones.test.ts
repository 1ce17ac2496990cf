import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newPageEntry } from '../../lib/pages/page-entry.js';
import { PushBudget } from '../../lib/pages/push-budget.js';
import { Tombstones } from '../../lib/pages/tombstones.js';
import { pushTail } from '../../lib/socket/frames.js';
import { memoryLogger } from '../helpers/fixtures.js';

function closedPage(id: string, session: string, budget: PushBudget, pushes: number) {
  const entry = newPageEntry('page', id, session, 'a.ts', 60_000, budget.change);
  entry.events.accept(1);
  for (let i = 0; i < pushes; i++) {
    const tail = pushTail('n', String(i));
    entry.pushes.add(() => tail, tail.length);
  }
  return entry;
}

describe('Tombstones', () => {
  it('only farewells leave one: a script that closed its page, or idleTimeout', () => {
    assert.equal(Tombstones.wanted('closed-by-script'), true);
    assert.equal(Tombstones.wanted('idle'), true);
    for (const reason of ['closed-by-client', 'disconnected', 'overflow', 'evicted', 'shutdown', 'reloaded'] as const) {
      assert.equal(Tombstones.wanted(reason), false, reason);
    }
  });

  it("keeps a page's pushes for its own session, and releases their bytes exactly once", () => {
    const budget = new PushBudget(1 << 20, memoryLogger());
    const tombstones = new Tombstones(10);
    const entry = closedPage('p1', 's1', budget, 3);
    const bytes = budget.bytes;
    assert.ok(bytes > 0);
    tombstones.bury(entry, 'closed-by-script');
    assert.equal(budget.bytes, bytes, 'the outbox was handed over: its bytes are still counted');
    assert.notEqual(tombstones.mountOf('s1', ''), undefined, 'its session comes back for it under its mount');
    assert.equal(tombstones.mountOf('s1', '/other'), undefined);
    // The client asks which pages it should still connect to before it expires them: this one.
    assert.equal(tombstones.holds('p1', 's1'), true);
    assert.equal(tombstones.holds('p1', 's2'), false);
    assert.equal(tombstones.take('p1', 's2'), undefined, 'another session gets nothing');
    const tombstone = tombstones.take('p1', 's1');
    assert.ok(tombstone);
    assert.equal(tombstone.lastEvent, 1);
    assert.equal(tombstone.reason, 'closed-by-script');
    assert.deepEqual(
      [...tombstone.pushes.after(1)].map((push) => push.seq),
      [2, 3],
    );
    assert.equal(tombstones.mountOf('s1', ''), undefined);
    assert.equal(tombstones.holds('p1', 's1'), false);
    tombstone.pushes.clear();
    assert.equal(budget.bytes, 0);
    tombstones.drop('p1');
    assert.equal(budget.bytes, 0);
  });

  it('holds at most as many as allowed, and sheds the oldest first for the push budget', () => {
    const budget = new PushBudget(1 << 20, memoryLogger());
    const tombstones = new Tombstones(2);
    for (const id of ['p1', 'p2', 'p3']) tombstones.bury(closedPage(id, 's1', budget, 1), 'idle');
    assert.equal(tombstones.size, 2);
    assert.equal(tombstones.take('p1', 's1'), undefined);
    const perPage = budget.bytes / 2;
    tombstones.shed(() => budget.bytes > perPage);
    assert.equal(tombstones.size, 1);
    assert.ok(tombstones.take('p3', 's1'), 'the newest is kept');
    tombstones.clear();
  });
});

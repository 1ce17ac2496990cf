import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Inbox, Outbox } from '../../protocol/sequence.js';

describe('Outbox', () => {
  it('numbers from 1, keeps until acknowledged, and gives back what a receiver has not seen', () => {
    const outbox = new Outbox<string>();
    for (const text of ['a', 'b', 'c', 'd']) outbox.add((seq) => `${text}${seq}`, 10);
    assert.equal(outbox.lastSeq, 4);
    assert.deepEqual(
      [...outbox.after(0)].map((kept) => kept.item),
      ['a1', 'b2', 'c3', 'd4'],
    );
    assert.deepEqual(
      [...outbox.after(2)].map((kept) => kept.seq),
      [3, 4],
    );
    outbox.acknowledge(2);
    assert.equal(outbox.size, 2);
    assert.equal(outbox.bytes, 20);
    // An old or repeated ack changes nothing; numbering goes on after acknowledgements.
    outbox.acknowledge(1);
    assert.equal(outbox.size, 2);
    assert.equal(outbox.add(() => 'e', 10).seq, 5);
    assert.deepEqual(
      [...outbox.after(0)].map((kept) => kept.seq),
      [3, 4, 5],
    );
    // `keep`: the same numbering and bytes, for an item that does not hold its number.
    assert.equal(outbox.keep('f', 5), 6);
    assert.deepEqual([...outbox.after(5)], [{ seq: 6, item: 'f', size: 5 }]);
    assert.equal(outbox.bytes, 35);
  });

  it('reports every change of its bytes, so a shared budget stays exact', () => {
    let budget = 0;
    const outbox = new Outbox<string>((delta) => (budget += delta));
    for (let i = 0; i < 100; i++) outbox.add(() => 'x', i + 1);
    assert.equal(budget, 5050);
    outbox.acknowledge(50);
    assert.equal(budget, outbox.bytes);
    assert.equal(budget, 5050 - 1275);
    outbox.clear();
    assert.equal(budget, 0);
    assert.equal(outbox.size, 0);
    // A cleared outbox still numbers on: numbers are never given twice.
    assert.equal(outbox.add(() => 'y').seq, 101);
  });

  it('stays right through many acknowledgements (its array is compacted as it goes)', () => {
    const outbox = new Outbox<number>();
    let acked = 0;
    for (let round = 0; round < 1000; round++) {
      outbox.add((seq) => seq, 1);
      outbox.add((seq) => seq, 1);
      acked += round % 3 === 0 ? 2 : 1;
      acked = Math.min(acked, outbox.lastSeq);
      outbox.acknowledge(acked);
      assert.equal(outbox.size, outbox.lastSeq - acked);
      assert.equal(outbox.bytes, outbox.size);
      const first = outbox.after(0).next();
      if (outbox.size > 0) assert.equal(first.value?.item, acked + 1);
    }
  });
});

describe('Inbox', () => {
  it('takes each number once, in order, and refuses a skipped one', () => {
    const inbox = new Inbox();
    assert.equal(inbox.accept(1), 'new');
    assert.equal(inbox.accept(1), 'seen');
    assert.equal(inbox.accept(3), 'gap');
    assert.equal(inbox.lastSeq, 1);
    assert.equal(inbox.accept(2), 'new');
    assert.equal(inbox.accept(3), 'new');
    assert.equal(inbox.accept(2), 'seen');
    assert.equal(inbox.lastSeq, 3);
  });
});

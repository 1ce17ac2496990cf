import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { DeadlineSweep } from '../../lib/pages/deadline-sweep.js';
import { OldestFirst } from '../../lib/pages/oldest-first.js';

describe('DeadlineSweep', () => {
  it('expires items in order once their time passed on its clock, and leaves the others waiting', async () => {
    // The sweep's timers are unref'd, as in the server: this keeps the test's event loop alive.
    const keepAlive = setInterval(() => {}, 60_000);
    let now = 0;
    const queue = new OldestFirst<{ name: string; at: number }>();
    const expired: string[] = [];
    let heard: (name: string) => void = () => {};
    const sweep = new DeadlineSweep(
      1,
      queue,
      (item) => item.at,
      (item) => {
        expired.push(item.name);
        heard(item.name);
      },
      0,
      () => now,
    );
    const expiry = (name: string) => new Promise<void>((resolve) => (heard = (got) => got === name && resolve()));
    queue.add({ name: 'due', at: -5 });
    queue.add({ name: 'a', at: 0 });
    queue.add({ name: 'b', at: 0 });
    queue.add({ name: 'c', at: 10 });
    let next = expiry('due');
    sweep.arm();
    await next;
    // The sweep that expired `due` passed over the others: on its clock they are not due.
    assert.deepEqual(expired, ['due']);
    next = expiry('b');
    now = 1;
    await next;
    assert.deepEqual(expired, ['due', 'a', 'b']);
    assert.equal(queue.size, 1);
    next = expiry('c');
    now = 11;
    await next;
    assert.deepEqual(expired, ['due', 'a', 'b', 'c']);
    sweep.stop();
    clearInterval(keepAlive);
  });

  it('with a slack, expires an item never before its timeout and at most the slack after, a window at once', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let now = 0;
      const queue = new OldestFirst<{ name: string; at: number }>();
      const expired: string[] = [];
      const sweep = new DeadlineSweep(
        10,
        queue,
        (item) => item.at,
        (item) => expired.push(item.name),
        5,
        () => now,
      );
      // The clock first: the timers due run inside `tick`, and read it.
      const tick = (to: number) => {
        const by = to - now;
        now = to;
        mock.timers.tick(by);
      };
      for (const [name, at] of [
        ['a', 0],
        ['b', 3],
        ['c', 6],
      ] as const)
        queue.add({ name, at });
      sweep.arm();
      // `a` is due at 10: the sweep waits for the window's others, up to the slack.
      tick(10);
      assert.deepEqual(expired, []);
      tick(15);
      // `a` and `b` in one sweep; `c` (due at 16) is not closed early.
      assert.deepEqual(expired, ['a', 'b']);
      tick(16);
      assert.deepEqual(expired, ['a', 'b']);
      tick(21);
      assert.deepEqual(expired, ['a', 'b', 'c']);
      assert.equal(queue.size, 0);
      sweep.stop();
    } finally {
      mock.timers.reset();
    }
  });
});

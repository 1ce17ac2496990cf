import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});

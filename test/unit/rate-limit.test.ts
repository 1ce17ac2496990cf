import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../../lib/socket/rate-limit.js';

describe('TokenBucket', () => {
  it('gives a second of messages at once, then one per 1/rate s, on its own clock', () => {
    let now = 1000;
    const bucket = new TokenBucket(10, () => now);
    for (let i = 0; i < 10; i++) assert.equal(bucket.take(), true, `token ${i}`);
    assert.equal(bucket.take(), false);
    assert.equal(bucket.wait(), 100);
    now += 50;
    assert.equal(bucket.take(), false);
    assert.equal(bucket.wait(), 50);
    now += 50;
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    // Idle for a minute: still only one second's worth.
    now += 60_000;
    let taken = 0;
    while (bucket.take()) taken++;
    assert.equal(taken, 10);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OldestFirst } from '../lib/pages/oldest-first.js';
import { withSeededRandom } from './helpers/random.js';

describe('OldestFirst (the order pages are evicted in)', () => {
  it('gives the oldest member, skipping deleted ones, and a member added again is newest', () => {
    const set = new OldestFirst<string>();
    set.add('a').add('b').add('c').add('b');
    assert.equal(set.oldest(), 'a');
    set.delete('a');
    assert.equal(set.oldest(), 'b');
    set.delete('b');
    set.add('b');
    assert.equal(set.oldest(), 'c');
    set.delete('c');
    assert.equal(set.oldest(), 'b');
    assert.deepEqual([...set], ['b']);
    set.delete('b');
    assert.equal(set.oldest(), undefined);
    assert.equal(set.size, 0);
  });

  it('agrees with a plain Set through 200,000 random adds, deletes and evictions', (t) =>
    withSeededRandom(t, (seeded) => {
      const set = new OldestFirst<number>();
      const model = new Set<number>();
      const random = (n: number) => seeded.int(n);
      for (let step = 0; step < 200_000; step++) {
        const value = random(500);
        const op = random(10);
        if (op < 5) {
          set.add(value);
          model.add(value);
        } else if (op < 8) {
          assert.equal(set.delete(value), model.delete(value));
        } else {
          const expected = model.values().next().value;
          assert.equal(set.oldest(), expected, `step ${step}`);
          if (expected !== undefined) {
            set.delete(expected);
            model.delete(expected);
          }
        }
        assert.equal(set.size, model.size);
      }
      assert.deepEqual([...set], [...model]);
    }));
});

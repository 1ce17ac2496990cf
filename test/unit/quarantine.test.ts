import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FirstRenders, type RenderMessage } from '../../runner/pool/first-renders.js';
import { QUARANTINE_FIRST, QUARANTINE_MAX, Quarantine } from '../../runner/pool/quarantine.js';

describe('Quarantine (scripts that stopped a worker)', () => {
  it('refuses a script for 30 s, twice as long each time again, up to the most; a good render forgets', () => {
    const quarantine = new Quarantine();
    assert.equal(quarantine.retryAfter('loop.ts', 0), 0);
    assert.equal(quarantine.add('loop.ts', 0), QUARANTINE_FIRST);
    assert.equal(quarantine.retryAfter('loop.ts', 0), QUARANTINE_FIRST / 1000);
    assert.equal(quarantine.retryAfter('loop.ts', QUARANTINE_FIRST - 1), 1, 'whole seconds, at least 1');
    assert.equal(quarantine.retryAfter('loop.ts', QUARANTINE_FIRST), 0, 'over');
    assert.equal(quarantine.retryAfter('other.ts', 0), 0, 'only that script');
    assert.equal(quarantine.add('loop.ts', QUARANTINE_FIRST), 2 * QUARANTINE_FIRST);
    let ms = 0;
    for (let i = 0; i < 10; i++) ms = quarantine.add('loop.ts', 0);
    assert.equal(ms, QUARANTINE_MAX);
    // Forgiven only once it is over: a render cannot end while it is refused anyway.
    quarantine.forgive('loop.ts');
    assert.ok(quarantine.retryAfter('loop.ts') > 0);
    const later = new Quarantine();
    later.add('loop.ts', -QUARANTINE_FIRST);
    later.forgive('loop.ts');
    assert.equal(later.add('loop.ts'), QUARANTINE_FIRST, 'a first quarantine again');
    later.clear();
    assert.equal(later.retryAfter('loop.ts'), 0);
  });
});

describe('FirstRenders (an unproven script waits for its first render)', () => {
  const render = (script: string, pageId: string): RenderMessage => ({
    type: 'render',
    script,
    pageId,
    request: {
      method: 'GET',
      url: '/',
      path: '/',
      baseUrl: '',
      query: {},
      params: {},
      headers: {},
      cookies: {},
      body: undefined,
      context: {},
    },
  });

  it('holds the next renders of a script while its first runs; they go when it ends, and it is proven', () => {
    const firsts = new FirstRenders<string>();
    assert.equal(firsts.hold(render('a.ts', 'p1')), false, 'the first goes');
    firsts.sent('a.ts', 'p1', 'worker 1');
    assert.equal(firsts.hold(render('a.ts', 'p2')), true);
    assert.equal(firsts.hold(render('a.ts', 'p3')), true);
    assert.equal(firsts.hold(render('b.ts', 'q1')), false, 'another script is not held');
    firsts.drop(new Set(['p3']));
    assert.deepEqual(
      firsts.in('worker 1').map((first) => first.pageId),
      ['p1'],
    );
    assert.deepEqual(firsts.ended('a.ts', 'p2', true), [], 'not its first render');
    assert.deepEqual(
      firsts.ended('a.ts', 'p1', true).map((held) => held.pageId),
      ['p2'],
    );
    assert.equal(firsts.hold(render('a.ts', 'p4')), false, 'proven');
    firsts.sent('a.ts', 'p4', 'worker 1');
    assert.deepEqual(firsts.in('worker 1'), [], 'a proven script has no first render');
    firsts.unprove('a.ts');
    firsts.sent('a.ts', 'p5', 'worker 2');
    assert.equal(firsts.hold(render('a.ts', 'p6')), true, 'unproven again (quarantined)');
  });

  it('a first render whose worker stopped proves nothing; one seen yielding lets the others go', () => {
    const firsts = new FirstRenders<string>();
    firsts.sent('loop.ts', 'p1', 'worker 1');
    firsts.hold(render('loop.ts', 'p2'));
    assert.deepEqual(
      firsts.ended('loop.ts', 'p1', false).map((held) => held.pageId),
      ['p2'],
    );
    firsts.sent('loop.ts', 'p2', 'worker 2');
    assert.equal(firsts.hold(render('loop.ts', 'p3')), true, 'still unproven');
    const [waiting] = firsts.waiting();
    assert.ok(waiting);
    assert.deepEqual(
      firsts.release(waiting).map((held) => held.pageId),
      ['p3'],
    );
    assert.equal(firsts.hold(render('loop.ts', 'p4')), false);
  });
});

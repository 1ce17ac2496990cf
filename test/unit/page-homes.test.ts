import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pageGone } from '../../runner/messages.js';
import { PageHomes } from '../../runner/page-homes.js';

const rendered = (pageId: string, live: boolean) =>
  ({ type: 'rendered', pageId, status: 200, headers: {}, body: '', live }) as const;

describe('the rule that forgets a page', () => {
  it('a failed render, a plain page and a closed page are gone; a live page and pushes are not', () => {
    const error = { code: 'RENDER_ERROR', name: 'Error', message: 'x' } as const;
    assert.equal(pageGone({ type: 'render-failed', pageId: 'p', error }), 'p');
    assert.equal(pageGone(rendered('p', false)), 'p');
    assert.equal(pageGone({ type: 'page-closed', pageId: 'p', reason: 'idle' }), 'p');
    assert.equal(pageGone(rendered('p', true)), undefined);
    assert.equal(pageGone({ type: 'push', pageId: 'p', name: 'n', data: '1' }), undefined);
  });
});

describe('PageHomes', () => {
  it('knows where each page lives until a message says it is gone', () => {
    const homes = new PageHomes<string>();
    homes.place('p1', 'w1', 'a.ts');
    homes.place('p2', 'w1', 'b.ts');
    homes.place('p3', 'w2', 'a.ts');
    assert.equal(homes.count('w1'), 2);
    homes.settle(rendered('p1', true));
    homes.settle(rendered('p2', false));
    assert.equal(homes.homeOf('p1'), 'w1');
    assert.equal(homes.homeOf('p2'), undefined);
    assert.equal(homes.scriptOf('p1'), 'a.ts');
    const { byHome, homeless } = homes.group(['p1', 'p2', 'p3']);
    assert.deepEqual(
      [...byHome],
      [
        ['w1', ['p1']],
        ['w2', ['p3']],
      ],
    );
    assert.deepEqual(homeless, ['p2']);
  });

  it('a home that is gone gives back its pages: those rendering apart from those live', () => {
    const homes = new PageHomes<string>();
    homes.place('live', 'w1', 'a.ts');
    homes.place('rendering', 'w1', 'a.ts');
    homes.settle(rendered('live', true));
    assert.deepEqual(homes.evict('w1'), { rendering: ['rendering'], live: ['live'] });
    assert.equal(homes.count('w1'), 0);
    assert.equal(homes.homeOf('live'), undefined);
  });
});

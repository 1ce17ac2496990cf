import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newPageEntry, type PageEntry, type PageSocket } from '../../lib/pages/page-entry.js';
import { PageTable } from '../../lib/pages/page-table.js';

const socket = (): PageSocket => ({ send: () => {} });
const entry = (id: string, session = 's1', script = 'a.ts', kind: PageEntry['kind'] = 'page') =>
  newPageEntry(kind, id, session, script, 1000, () => {});

describe('PageTable', () => {
  it('keeps every index in step with the page state', () => {
    const table = new PageTable();
    const [a, b, c] = [entry('a'), entry('b'), entry('c', 's2', 'b.ts')];
    for (const page of [a, b, c]) table.add(page);
    assert.equal(table.live, 3);
    assert.deepEqual(table.ofScript('a.ts'), [a, b]);
    table.setPending(a);
    table.setPending(b);
    assert.deepEqual(table.stats(), { pages: 3, pending: 2, connected: 0, disconnected: 0 });
    assert.equal(table.pending.oldest(), a);

    const one = socket();
    table.setConnected(a, one);
    table.setConnected(b, one);
    assert.deepEqual(table.stats(), { pages: 3, pending: 0, connected: 2, disconnected: 0 });
    // Moving to another socket leaves the first.
    const two = socket();
    table.setConnected(b, two);
    assert.deepEqual(table.takeSocket(one), [a]);
    table.setDisconnected(a);
    assert.deepEqual(table.stats(), { pages: 3, pending: 0, connected: 1, disconnected: 1 });

    table.setClosing(a);
    assert.equal(a.state, 'closing');
    assert.equal(table.live, 2);
    assert.equal(table.disconnected.size, 0);
    assert.deepEqual(table.ofScript('a.ts'), [b]);
    // Closing twice counts once; the entry stays findable until removed.
    table.setClosing(a);
    assert.equal(table.live, 2);
    assert.equal(table.get('a'), a);
    assert.equal(table.remove(a), true);
    assert.equal(table.remove(a), false);
    assert.equal(table.get('a'), undefined);

    assert.equal(table.ofSession('s1')?.has(b), true);
    table.remove(b);
    assert.equal(table.ofSession('s1'), undefined);
    assert.deepEqual(table.stats(), { pages: 1, pending: 0, connected: 0, disconnected: 0 });
  });

  it('lists dev error pages apart, until they close', () => {
    const table = new PageTable();
    const watcher = entry('w', 's1', 'broken.ts', 'watcher');
    table.add(watcher);
    table.add(entry('p'));
    assert.deepEqual(table.watchers(), [watcher]);
    table.setClosing(watcher);
    assert.deepEqual(table.watchers(), []);
  });
});

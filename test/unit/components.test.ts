import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeOwned, joinsWithOwner, ownerRefusal } from '../../lib/pages/components.js';
import { newPageEntry, type PageEntry, type PageSocket } from '../../lib/pages/page-entry.js';
import { PageTable } from '../../lib/pages/page-table.js';

const socket = (): PageSocket => ({ send: () => {} });
const entry = (id: string, owner?: string, session = 's1', kind: PageEntry['kind'] = 'page') => {
  const page = newPageEntry(kind, id, session, 'a.ts', 1000, () => {});
  page.owner = owner;
  return page;
};

describe('owned pages (components.ts)', () => {
  it('an owner must be a live page of the same session', () => {
    const table = new PageTable();
    const owner = entry('o');
    table.add(owner);
    assert.equal(ownerRefusal(owner, 's1'), undefined);
    assert.equal(ownerRefusal(owner, 's2')?.code, 'NO_OWNER');
    assert.equal(ownerRefusal(undefined, 's1')?.status, 403);
    assert.equal(ownerRefusal(entry('w', undefined, 's1', 'watcher'), 's1')?.code, 'NO_OWNER');
    table.setClosing(owner);
    assert.equal(ownerRefusal(owner, 's1')?.code, 'NO_OWNER');
  });

  it('an owned page joins only on the socket its owner is joined on', () => {
    const table = new PageTable();
    const [owner, child, free] = [entry('o'), entry('c', 'o'), entry('f')];
    for (const page of [owner, child, free]) table.add(page);
    const [mine, theirs] = [socket(), socket()];
    assert.equal(joinsWithOwner(table, child, mine), false, 'the owner has not joined yet');
    table.setConnected(owner, mine);
    assert.equal(joinsWithOwner(table, child, mine), true);
    assert.equal(joinsWithOwner(table, child, theirs), false);
    assert.equal(joinsWithOwner(table, free, theirs), true, 'a page of its own joins anywhere its session can');
    table.setDisconnected(owner);
    assert.equal(joinsWithOwner(table, child, mine), false);
  });

  it("closeOwned closes the owner's pages, and no one else's", () => {
    const table = new PageTable();
    const pages = [entry('o'), entry('c1', 'o'), entry('c2', 'o'), entry('x', 'other'), entry('y', 'o', 's2')];
    for (const page of pages) table.add(page);
    const closed: string[] = [];
    closeOwned(table, pages[0] as PageEntry, (owned) => {
      closed.push(owned.id);
      table.setClosing(owned);
    });
    assert.deepEqual(closed, ['c1', 'c2']);
  });
});

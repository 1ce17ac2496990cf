import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from './helpers/fixtures.js';
import { type App, closedHook, folder, join, render, startApp } from './helpers/identity-app.js';

after(() => folder.remove());

describe('from the host app: wire.closePages and wire.publish', () => {
  let app: App;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  it('closePages closes the matching pages only (unauthorized, close hooks run), and says how many', async () => {
    const alice = await render(app, '/who', 'alice');
    const aliceAgain = await render(app, '/who', 'alice', alice.sid);
    const bob = await render(app, '/who', 'bob');
    const aliceSocket = await join(app, alice.pageId, alice.sid, 'alice');
    aliceSocket.send({ t: 'join', p: aliceAgain.pageId, a: 0 });
    const bobSocket = await join(app, bob.pageId, bob.sid, 'bob');
    await aliceSocket.next((f) => f.t === 'joined' && f.p === aliceAgain.pageId);
    await bobSocket.next((f) => f.t === 'joined');
    const seen: unknown[] = [];
    const closed = app.wire.closePages((context) => {
      seen.push(context);
      return (context as { user?: { id: string } | null }).user?.id === 'alice';
    });
    assert.equal(closed, 2);
    assert.ok(seen.length >= 3);
    for (const id of [alice.pageId, aliceAgain.pageId]) {
      assert.equal((await aliceSocket.next((f) => f.t === 'closed' && f.p === id)).reason, 'unauthorized');
    }
    await waitFor(() => closedHook(app, 'alice').length === 2, "alice's two close hooks");
    bobSocket.event(bob.pageId, 'who');
    assert.equal((await bobSocket.next((f) => f.n === 'who')).d, 'bob');
    assert.equal(closedHook(app, 'bob').length, 0);
    await aliceSocket.close();
    await bobSocket.close();
  });

  it('closePages checks its argument; a match that throws, or answers not true or false: none closes', async () => {
    const { pageId, sid } = await render(app, '/who', 'frank');
    const client = await join(app, pageId, sid, 'frank');
    await client.next((f) => f.t === 'joined');
    // Another page: match is asked about two pages at least.
    await render(app, '/who', 'frank', sid);
    const livePages = app.wire.pageCount;
    const closePages = app.wire.closePages as (match: unknown) => number;
    assert.throws(
      () => closePages('frank'),
      /wire\.closePages\(match\): match must be a function \(context\) => boolean, got 'frank'/,
    );
    assert.throws(
      () => closePages(async () => true),
      /match must return true \(close the page\) or false, got a Promise/,
    );
    assert.throws(() => closePages(() => 'yes'), /match must return true .* got 'yes'; no page was closed/);
    // The first page asked is answered true, then match throws: no page closes, not even that one.
    let asked = 0;
    assert.throws(
      () =>
        app.wire.closePages(() => {
          if (asked++ === 0) return true;
          throw new Error('match broke');
        }),
      /match broke/,
    );
    assert.ok(asked >= 2, 'the pages of the earlier tests are asked too');
    assert.equal(app.wire.pageCount, livePages);
    client.event(pageId, 'who');
    assert.equal((await client.next((f) => f.n === 'who')).d, 'frank');
    assert.equal(
      app.wire.closePages(() => false),
      0,
    );
    await client.close();
  });

  it("match is given a copy: changing it changes nothing of the page's context", async () => {
    const { pageId, sid } = await render(app, '/who', 'hana');
    const client = await join(app, pageId, sid, 'hana');
    await client.next((f) => f.t === 'joined');
    const closed = app.wire.closePages((context) => {
      const user = (context as { user?: { id: string } | null }).user;
      if (user?.id === 'hana') user.id = 'mallory';
      return false;
    });
    assert.equal(closed, 0);
    // Hana's page re-joins as hana: its context is still hers.
    await client.close();
    const again = await join(app, pageId, sid, 'hana');
    await again.next((f) => (f.t === 'joined' || f.t === 'closed') && f.p === pageId);
    assert.equal(again.frames[0]?.t, 'joined', JSON.stringify(again.frames));
    await again.close();
  });

  it("publish reaches the scripts' page.channel subscribers", async () => {
    const { pageId, sid } = await render(app, '/who', 'gina');
    const client = await join(app, pageId, sid, 'gina');
    await client.next((f) => f.t === 'joined');
    app.wire.publish('news', { headline: 'prices changed', at: 3 });
    assert.deepEqual((await client.next((f) => f.n === 'news')).d, { headline: 'prices changed', at: 3 });
    app.wire.publish('news');
    await client.next((f) => f.n === 'news' && f.d === null);
    await client.close();
  });

  it('publish checks its arguments', () => {
    const publish = app.wire.publish as (channel: unknown, data?: unknown) => void;
    assert.throws(() => publish('', 1), /wire\.publish\(channel, data\): channel must be a non-empty string.*got ''/);
    assert.throws(
      () => publish(7, 1),
      /channel must be a non-empty string, the name scripts pass to page\.channel\(name\), got 7/,
    );
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(
      () => publish('news', circular),
      /wire\.publish\('news', data\): the data must be JSON-serializable \(/,
    );
    assert.throws(() => publish('news', 1n), /the data must be JSON-serializable/);
  });
});

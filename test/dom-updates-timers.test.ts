/**
 * A page's timer callbacks and channel deliveries, and its DOM updates (runner/sandbox/prelude/
 * dom-updates.ts), through a real in-process runner: an async timer callback that waits (a polling
 * loop, a long job) must not hold the updates of the events handled meanwhile, nor its own updates
 * made after an await; a channel delivery renders the page's views again.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { scriptsFolder } from './helpers/fixtures.js';
import { RunnerHarness } from './helpers/runner.js';

describe('DOM updates while an async timer callback waits', () => {
  const folder = scriptsFolder({
    'poll.ts': `let count = 0;
let release = () => {};
echo(page.view(() => html\`<p>\${count}</p>\`));
setTimeout(async () => {
  server_socket_event('waiting');
  await new Promise<void>((resolve) => { release = resolve; });
  page.update('#t', 'after the wait');
  await new Promise(() => {});
}, 0);
function __serverSocketEvent(name: string) {
  if (name === 'inc') { count++; page.update('#e', 'event'); }
  if (name === 'release') release();
  if (name === 'later') setTimeout(async () => { await Promise.resolve(); count += 10; }, 0);
}`,
    'news.ts': `let last = '';
echo(page.view(() => html\`<p>\${last}</p>\`));
page.channel('news').subscribe(async (data: { text: string }) => { await Promise.resolve(); last = data.text; });
function __serverSocketEvent() {}`,
    'clock.ts': `let ticks = 0;
let started = false;
echo('clock');
setInterval(() => { if (started) page.update('#clock', String(++ticks)); }, 10);
async function __serverSocketEvent() {
  started = true;
  page.update('#slow', 'started');
  await new Promise(() => {});
}`,
  });
  const harness = new RunnerHarness(folder.dir);
  after(async () => {
    await harness.runner.close();
    folder.remove();
  });
  const domPushes = (pageId: string) => harness.pushes(pageId, 'pw:dom');

  it("sends an event's updates and view, and the timer's own after its await, while the timer waits", async () => {
    const { pageId } = await harness.render('poll.ts');
    // Whole views: the first after the render, and a later one as short as its edits would be.
    const view = (n: number) => ({ op: 'view', id: `pwv-${pageId.slice(0, 8)}-1`, html: `<p>${n}</p>` });
    await harness.next((m) => m.type === 'push' && m.pageId === pageId && m.name === 'waiting');
    harness.event(pageId, 'inc');
    await harness.next(() => domPushes(pageId).length === 1);
    assert.deepEqual(domPushes(pageId), [[{ op: 'update', selector: '#e', html: 'event' }, view(1)]]);
    harness.event(pageId, 'release');
    await harness.next(() => domPushes(pageId).length === 2);
    assert.deepEqual(domPushes(pageId)[1], [{ op: 'update', selector: '#t', html: 'after the wait' }]);
    // An async timer callback that ends: the view follows what it changed after its await.
    harness.event(pageId, 'later');
    await harness.next(() => domPushes(pageId).length === 3);
    assert.deepEqual(domPushes(pageId)[2], [view(11)]);
  });

  it("sends a timer's updates while a slow event of the page is handled, after the event's so far", async () => {
    const { pageId } = await harness.render('clock.ts');
    harness.event(pageId, 'slow');
    await harness.next(() => domPushes(pageId).length >= 1);
    assert.deepEqual(domPushes(pageId)[0], [
      { op: 'update', selector: '#slow', html: 'started' },
      { op: 'update', selector: '#clock', html: '1' },
    ]);
  });

  it('renders the view again after a channel delivery, once its async subscriber settled', async () => {
    const { pageId } = await harness.render('news.ts');
    harness.runner.post({ type: 'deliver', channel: 'news', data: JSON.stringify({ text: '<hot>' }) });
    await harness.next(() => domPushes(pageId).length === 1);
    assert.deepEqual(domPushes(pageId), [
      [{ op: 'view', id: `pwv-${pageId.slice(0, 8)}-1`, html: '<p>&lt;hot&gt;</p>' }],
    ]);
  });
});

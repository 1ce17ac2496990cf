import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RunnerToHost } from '../runner/messages.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { RunnerHarness } from './helpers/runner.js';

const folder = scriptsFolder({
  // Each event takes a turn of timers: every event posted in one synchronous run is queued first.
  'slow.ts': `async function __serverSocketEvent(name: string, value: string) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  server_socket_event('ran', value);
}`,
  'sync.ts': `function __serverSocketEvent(name: string, value: string) { server_socket_event('ran', value); }`,
  'no-hook.ts': `echo('plain but live'); setInterval(() => {}, 60_000);`,
  // An update and a view: both go out before the event's done (the browser clears its busy state after).
  'updates.ts': `let n = 0;
echo(html\`\${page.view(() => html\`<p>\${n}</p>\`)}<output id="o"></output>\`);
async function __serverSocketEvent(name: string, value: string) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  n++;
  page.update('#o', value);
}`,
});
const harness = new RunnerHarness(folder.dir);
after(async () => {
  await harness.runner.close();
  folder.remove();
});

/** The pushes (`ran <value>`) and dones (`done <seq>`) of a page, in the order the runner sent them. */
const story = (pageId: string) =>
  harness.messages
    .filter((m) => (m.type === 'push' || m.type === 'event-done') && m.pageId === pageId)
    .map((m) => (m.type === 'push' ? `ran ${JSON.parse(m.data)}` : `done ${(m as { seq: number }).seq}`));
const doneWith = (pageId: string, seq: number) => (m: RunnerToHost) =>
  m.type === 'event-done' && m.pageId === pageId && m.seq === seq;

describe("the page's mailbox: done, and latest wins", () => {
  it('reports done after the pushes of each event, a sync or an async handler', async () => {
    for (const script of ['slow.ts', 'sync.ts', 'no-hook.ts']) {
      const { pageId } = await harness.render(script);
      harness.event(pageId, 'x', 'a');
      harness.event(pageId, 'x', 'b');
      await harness.next(doneWith(pageId, 2));
      assert.deepEqual(
        story(pageId),
        script === 'no-hook.ts' ? ['done 1', 'done 2'] : ['ran a', 'done 1', 'ran b', 'done 2'],
      );
    }
  });

  it("sends an event's DOM updates, its view's new HTML included, before its done", async () => {
    const { pageId } = await harness.render('updates.ts');
    harness.event(pageId, 'x', 'a');
    await harness.next(doneWith(pageId, 1));
    const sent = harness.messages.filter((m) => (m.type === 'push' || m.type === 'event-done') && m.pageId === pageId);
    assert.deepEqual(
      sent.map((m) => (m.type === 'push' ? m.name : m.type)),
      ['pw:dom', 'event-done'],
    );
    const ops = JSON.parse((sent[0] as { data: string }).data) as Array<{ op: string; html: string }>;
    assert.deepEqual(
      ops.map((op) => [op.op, op.html]),
      [
        ['update', 'a'],
        ['view', '<p>1</p>'],
      ],
    );
  });

  it('replaces a queued event with the same key (never the running one), at the end of the queue', async () => {
    const { pageId } = await harness.render('slow.ts');
    harness.event(pageId, 'search', 'k', 'q');
    harness.event(pageId, 'search', 'ki', 'q');
    harness.event(pageId, 'other', 'other');
    harness.event(pageId, 'search', 'kiw', 'q');
    harness.event(pageId, 'search', 'kiwi', 'q');
    await harness.next(doneWith(pageId, 5));
    // 'k' was running: kept. 'ki' and 'kiw' were replaced (done at once); 'kiwi' runs after 'other'.
    assert.deepEqual(story(pageId), [
      'done 2',
      'done 4',
      'ran k',
      'done 1',
      'ran other',
      'done 3',
      'ran kiwi',
      'done 5',
    ]);
  });
});

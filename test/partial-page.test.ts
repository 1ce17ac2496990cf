/**
 * A function in a partial, called for a page (its render, an event, a timer, a channel delivery,
 * a close hook), uses that page's `request`, `echo`, `page` and `server_socket_event`, across
 * `await`s, as a PHP include would; a partial's module-level code, which runs once per thread,
 * gets a clear error instead.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RunnerToHost } from '../runner/messages.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { RunnerHarness } from './helpers/runner.js';

const folder = scriptsFolder({
  '_helper.ts': `const waiting: Array<() => void> = [];
const closed: string[] = [];

export function heading() {
  echo(html\`<h1>\${request.path}</h1>\`);
}

/** Reads the page before and after an await that another page ends. */
export async function report(tag: string) {
  const before = request.path;
  await new Promise<void>((resolve) => waiting.push(resolve));
  server_socket_event('report', { tag, before, after: request.path, page: page.id });
}

export function releaseAll() {
  for (const resolve of waiting.splice(0)) resolve();
}

export function who(tag: string) {
  server_socket_event('who', { tag, path: request.path });
}

export function noteClosed() {
  closed.push(request.path);
}

export function closedPaths() {
  return closed;
}`,
  'page.ts': `import { closedPaths, heading, noteClosed, releaseAll, report, who } from './_helper.ts';
heading();
void report('render');
page.onClose(noteClosed);
page.channel('all').subscribe(() => who('channel'));
async function __serverSocketEvent(name: string) {
  if (name === 'wait') await report('event');
  if (name === 'release') releaseAll();
  if (name === 'timer') setTimeout(() => who('timer'), 0);
  if (name === 'closed') server_socket_event('closed-paths', closedPaths());
  if (name === 'close') page.close();
}`,
  '_module-level.ts': `export const greeting = 'hello';

export const path = request.path;
`,
  'module-level.ts': `import { path } from './_module-level.ts';
echo(path);`,
});
const harness = new RunnerHarness(folder.dir);
after(async () => {
  await harness.runner.close();
  folder.remove();
});

type Push = Extract<RunnerToHost, { type: 'push' }>;
const pushed = (pageId: string, name: string, count: number) => (m: RunnerToHost) =>
  m.type === 'push' && m.pageId === pageId && m.name === name && harness.pushes(pageId).length >= count;
const data = (pageId: string, name: string) =>
  harness.messages
    .filter((m): m is Push => m.type === 'push' && m.pageId === pageId && m.name === name)
    .map((m) => JSON.parse(m.data) as unknown);

async function render(path: string): Promise<string> {
  const { pageId, result } = await harness.render('page.ts', { path, url: path });
  assert.equal(result.type, 'rendered', JSON.stringify(result));
  assert.equal((result as { body: string }).body, `<h1>${path}</h1>`);
  return pageId;
}

describe("partials see their page's globals", () => {
  it('in a render and in events, across awaits, two pages interleaved', async () => {
    const a = await render('/a');
    const b = await render('/b');
    // Both pages' events wait inside the partial at once; a third page's event ends the waits.
    harness.event(a, 'wait');
    harness.event(b, 'wait');
    const releaser = await render('/c');
    harness.event(releaser, 'release');
    const both = (pageId: string) => (m: RunnerToHost) =>
      m.type === 'push' && m.pageId === pageId && data(pageId, 'report').length === 2;
    await harness.next(both(a));
    await harness.next(both(b));
    const sorted = (pageId: string) =>
      (data(pageId, 'report') as Array<{ tag: string }>).sort((x, y) => x.tag.localeCompare(y.tag));
    assert.deepEqual(sorted(a), [
      { tag: 'event', before: '/a', after: '/a', page: a },
      { tag: 'render', before: '/a', after: '/a', page: a },
    ]);
    assert.deepEqual(sorted(b), [
      { tag: 'event', before: '/b', after: '/b', page: b },
      { tag: 'render', before: '/b', after: '/b', page: b },
    ]);
  });

  it('in a timer, a channel delivery and a close hook of the page', async () => {
    const a = await render('/timer-a');
    const b = await render('/timer-b');
    harness.event(a, 'timer');
    await harness.next(pushed(a, 'who', 1));
    assert.deepEqual(data(a, 'who'), [{ tag: 'timer', path: '/timer-a' }]);
    // What the host does with a publish (lib/): every sandbox gets it.
    harness.runner.post({ type: 'deliver', channel: 'all', data: 'null' });
    await harness.next((m) => m.type === 'push' && m.pageId === b && data(b, 'who').length === 1);
    assert.deepEqual(data(b, 'who'), [{ tag: 'channel', path: '/timer-b' }]);
    harness.event(a, 'close');
    await harness.next((m) => m.type === 'page-closed' && m.pageId === a);
    harness.event(b, 'closed');
    await harness.next(pushed(b, 'closed-paths', 1));
    assert.ok((data(b, 'closed-paths')[0] as string[]).includes('/timer-a'), JSON.stringify(data(b, 'closed-paths')));
  });

  it("a partial's module-level code gets a clear error, at its line", async () => {
    const { result } = await harness.render('module-level.ts', { path: '/m' });
    assert.equal(result.type, 'render-failed', JSON.stringify(result));
    const { error } = result as Extract<RunnerToHost, { type: 'render-failed' }>;
    assert.equal(error.name, 'ReferenceError');
    assert.match(error.message, /^request is used outside any page/);
    assert.match(error.message, /module-level code runs once per worker thread, not once per page/);
    assert.match(error.message, /inside a function that the page's script calls/);
    assert.deepEqual([error.file, error.line], ['_module-level.ts', 3]);
  });
});

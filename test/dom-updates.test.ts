/**
 * Server-driven DOM updates in the sandbox (runner/sandbox/prelude/dom-updates.ts), through a real
 * in-process runner: what one handled event sends, the checks that throw at the script's line, and
 * the reserved `pw:` names. The browser's side is dom-updates-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RunnerToHost } from '../runner/messages.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { RunnerHarness } from './helpers/runner.js';

type Push = Extract<RunnerToHost, { type: 'push' }>;
type ScriptError = Extract<RunnerToHost, { type: 'script-error' }>;

describe('page.update() and the other DOM updates, in the sandbox', () => {
  const folder = scriptsFolder({
    'ops.ts': `echo('ops');
async function __serverSocketEvent(name: string, data: { text: string }) {
  if (name === 'all') {
    page.update('#box', data.text);
    page.replace('li.x', html\`<li class="x">\${data.text}</li>\`);
    await Promise.resolve();
    page.append('#list', html\`<li>c</li>\`);
    page.prepend('#list', 42);
    page.remove('#list > li:nth-child(2n+1)');
    page.navigate('/next?x=1');
  }
  if (name === 'ordered') {
    page.update('#a', 'first');
    server_socket_event('between', 1);
    page.update('#a', 'second');
  }
}`,
    'timer.ts': `echo('timer');
setTimeout(() => { page.update('#t', 'one'); page.update('#t', 'two'); }, 0);
function __serverSocketEvent() {}`,
    'bad.ts': `echo('bad');
function __serverSocketEvent(name: string) {
  if (name === 'selector') page.update('##x', 'a');
  if (name === 'dangling') page.remove('#a >');
  if (name === 'js') page.navigate('javascript:alert(1)');
  if (name === 'other') page.navigate(' //evil.example/');
  if (name === 'push') server_socket_event('pw:dom', []);
  if (name === 'broadcast') page.broadcast('pw:mine', 1);
}`,
  });
  const harness = new RunnerHarness(folder.dir);
  after(async () => {
    await harness.runner.close();
    folder.remove();
  });

  const pushesOf = (pageId: string) =>
    harness.messages.filter((m): m is Push => m.type === 'push' && m.pageId === pageId);
  const errorOf = (pageId: string) =>
    harness.next((m): m is ScriptError => m.type === 'script-error' && m.pageId === pageId);

  it('sends the updates of one handled event, across its awaits, as one pw:dom push, escaped as a render', async () => {
    const { pageId } = await harness.render('ops.ts');
    harness.event(pageId, 'all', { text: '<b>&</b>' });
    const push = await harness.next((m): m is Push => m.type === 'push' && m.pageId === pageId);
    assert.equal(push.name, 'pw:dom');
    assert.deepEqual(JSON.parse(push.data), [
      { op: 'update', selector: '#box', html: '&lt;b&gt;&amp;&lt;/b&gt;' },
      { op: 'replace', selector: 'li.x', html: '<li class="x">&lt;b&gt;&amp;&lt;/b&gt;</li>' },
      { op: 'append', selector: '#list', html: '<li>c</li>' },
      { op: 'prepend', selector: '#list', html: '42' },
      { op: 'remove', selector: '#list > li:nth-child(2n+1)' },
      { op: 'navigate', url: '/next?x=1' },
    ]);
  });

  it('keeps the order of updates and pushes: a push sends the updates made before it first', async () => {
    const { pageId } = await harness.render('ops.ts');
    harness.event(pageId, 'ordered');
    await harness.next(() => pushesOf(pageId).length === 3);
    assert.deepEqual(
      pushesOf(pageId).map((p) => [p.name, JSON.parse(p.data)]),
      [
        ['pw:dom', [{ op: 'update', selector: '#a', html: 'first' }]],
        ['between', 1],
        ['pw:dom', [{ op: 'update', selector: '#a', html: 'second' }]],
      ],
    );
  });

  it("sends a timer's updates of one turn as one push", async () => {
    const { pageId } = await harness.render('timer.ts');
    const push = await harness.next((m): m is Push => m.type === 'push' && m.pageId === pageId);
    assert.deepEqual(JSON.parse(push.data), [
      { op: 'update', selector: '#t', html: 'one' },
      { op: 'update', selector: '#t', html: 'two' },
    ]);
  });

  const refusals: Array<[event: string, line: number, name: string, message: RegExp]> = [
    ['selector', 3, 'SyntaxError', /page\.update\(selector, html\): '##x' is not a valid CSS selector/],
    ['dangling', 4, 'SyntaxError', /'#a >' is not a valid CSS selector \(a combinator/],
    ['js', 5, 'TypeError', /page\.navigate\('javascript:alert\(1\)'\): only a URL of this site/],
    ['other', 6, 'TypeError', /page\.navigate\(' \/\/evil\.example\/'\): only a URL of this site/],
    ['push', 7, 'TypeError', /server_socket_event\(\): 'pw:dom' starts with 'pw:', which Pagewire keeps/],
    ['broadcast', 8, 'TypeError', /page\.broadcast\(\): 'pw:mine' starts with 'pw:'/],
  ];
  for (const [event, line, name, message] of refusals) {
    it(`refuses ${event} with a script error at the script's line (${line}), and sends nothing`, async () => {
      const { pageId } = await harness.render('bad.ts');
      harness.event(pageId, event);
      const { error } = await errorOf(pageId);
      assert.equal(error.code, 'EVENT_ERROR');
      assert.equal(error.name, name);
      assert.match(error.message, message);
      assert.deepEqual([error.file, error.line], ['bad.ts', line]);
      assert.equal(pushesOf(pageId).length, 0);
      assert.equal(
        harness.messages.some((m) => m.type === 'broadcast'),
        false,
      );
    });
  }
});

describe('page.view(), in the sandbox', () => {
  const folder = scriptsFolder({
    'view.ts': `let count = 0;
echo(html\`<main>\${page.view(() => html\`<p>\${count} &lt;\${'<'}</p>\`)}</main>\`);
setTimeout(() => {}, 600_000);
function __serverSocketEvent(name: string) {
  if (name === 'inc') count++;
  if (name === 'both') {
    page.update('#other', 'x');
    count++;
  }
  if (name === 'tick') setTimeout(() => { count += 10; }, 0);
  if (name === 'async') return Promise.resolve().then(() => { count += 100; });
}`,
    'bad-view.ts': `let broken = false;
echo(page.view(() => {
  if (broken) throw new Error('view broke');
  return html\`<p>fine</p>\`;
}));
function __serverSocketEvent() { broken = true; }`,
    'many-views.ts': `for (let i = 1; i <= 100; i++) echo(page.view(() => html\`<i>\${i}</i>\`));
function __serverSocketEvent() {
  echo(page.view(() => html\`<p>one too many</p>\`));
}`,
  });
  const harness = new RunnerHarness(folder.dir);
  after(async () => {
    await harness.runner.close();
    folder.remove();
  });
  const domPushes = (pageId: string) => harness.pushes(pageId, 'pw:dom');

  it('returns its first HTML wrapped, then sends it again after each task, only when it changed', async () => {
    const { pageId, result } = await harness.render('view.ts');
    assert.ok(result.type === 'rendered');
    const id = `pwv-${pageId.slice(0, 8)}-1`;
    assert.equal(result.body, `<main><pw-view id="${id}"><p>0 &lt;&lt;</p></pw-view></main>`);
    // Whole each time: edits of so small a view, with their hash, would be longer (view-diff.test.ts).
    const view = (n: number) => ({ op: 'view', id, html: `<p>${n} &lt;&lt;</p>` });
    harness.event(pageId, 'same');
    harness.event(pageId, 'inc');
    harness.event(pageId, 'both');
    await harness.next(() => domPushes(pageId).length === 2);
    // The timer's own callback is a task of the page too.
    harness.event(pageId, 'tick');
    await harness.next(() => domPushes(pageId).length === 3);
    harness.event(pageId, 'async');
    await harness.next(() => domPushes(pageId).length === 4);
    assert.deepEqual(domPushes(pageId), [
      [view(1)],
      [{ op: 'update', selector: '#other', html: 'x' }, view(2)],
      [view(12)],
      [view(112)],
    ]);
  });

  it("reports a throw in render as the task's error, and sends nothing for it", async () => {
    const { pageId } = await harness.render('bad-view.ts');
    harness.event(pageId, 'any');
    const { error } = await harness.next((m): m is ScriptError => m.type === 'script-error' && m.pageId === pageId);
    assert.deepEqual(
      [error.code, error.message, error.file, error.line],
      ['EVENT_ERROR', 'view broke', 'bad-view.ts', 3],
    );
    assert.deepEqual(domPushes(pageId), []);
  });

  it("refuses a page's 101st view at its line, saying to call page.view in top-level code", async () => {
    const { pageId, result } = await harness.render('many-views.ts');
    assert.equal(result.type, 'rendered', 'a hundred views are allowed');
    harness.event(pageId, 'more');
    const { error } = await harness.next((m): m is ScriptError => m.type === 'script-error' && m.pageId === pageId);
    assert.deepEqual(
      [error.code, error.name, error.file, error.line],
      ['EVENT_ERROR', 'RangeError', 'many-views.ts', 3],
    );
    assert.match(error.message, /this page has 100 views, the most it may have/);
    assert.match(error.message, /call page\.view in the script's top-level code, once per view/);
  });
});

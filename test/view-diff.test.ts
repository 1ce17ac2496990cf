/**
 * A view's updates sent as edits (runner/sandbox/prelude/view-diff.ts, protocol/view-edits.ts):
 * edits of seeded random changes always rebuild the new HTML from the base, a base that is not
 * the server's never passes the hash, and in the sandbox a view goes whole first, then as edits
 * when they are smaller, and whole again when the browser asks (`pw:view`). The browser's side is
 * view-diff-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { applyViewEdits, textHash } from '../protocol/view-edits.js';
import type { DomOp } from '../protocol/wire.js';
import type { RunnerToHost } from '../runner/messages.js';
import { viewEdits, viewUpdate } from '../runner/sandbox/prelude/view-diff.js';
import { ViewBases } from '../client/view-updates.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { type SeededRandom, withSeededRandom } from './helpers/random.js';
import { RunnerHarness } from './helpers/runner.js';

type Push = Extract<RunnerToHost, { type: 'push' }>;

const PIECES = ['<li class="done">', '<li>', '</li>', ' ', '\n  ', 'milk', 'é', '😀', '&lt;', '<b>', '</b>', 'x', '>'];

function randomHtml(random: SeededRandom, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += PIECES[random.int(PIECES.length)];
  return text;
}

/** `text` with a few pieces inserted, deleted or replaced at random places. */
function edited(random: SeededRandom, text: string): string {
  let out = text;
  for (let n = 1 + random.int(4); n > 0; n--) {
    const at = random.int(out.length + 1);
    const cut = random.int(3) === 0 ? 0 : random.int(Math.min(40, out.length - at) + 1);
    out = out.slice(0, at) + (random.int(3) === 0 ? '' : randomHtml(random, 1 + random.int(5))) + out.slice(at + cut);
  }
  return out;
}

describe('view edits', () => {
  it('rebuild the new HTML from the base, for seeded random changes', async (t) => {
    await withSeededRandom(t, (random) => {
      for (let round = 0; round < 500; round++) {
        const base = randomHtml(random, random.int(300));
        const next = random.int(10) === 0 ? randomHtml(random, random.int(300)) : edited(random, base);
        const edits = viewEdits(base, next);
        assert.ok(edits, `round ${round}: no edits for a small change`);
        assert.equal(applyViewEdits(base, edits), next, `round ${round}: ${JSON.stringify(edits)}`);
        // What is sent, whole or edits, always rebuilds the new HTML from the base.
        const op = viewUpdate('v', base, next) as Extract<DomOp, { op: 'view' }>;
        const rebuilt = 'html' in op ? op.html : applyViewEdits(base, op.edits);
        assert.equal(rebuilt, next);
        if (!('html' in op)) assert.equal(op.hash, textHash(next));
      }
    });
  });

  it('are smaller than the whole for one change in a large view, and not sent for a small one', () => {
    const items = (done: number) =>
      Array.from({ length: 200 }, (_, i) => `<li class="${i === done ? 'done' : ''}">item ${i}</li>`).join('');
    const op = viewUpdate('v', items(-1), items(120));
    assert.ok(!('html' in op) && op.op === 'view');
    // A tag changed: its characters are diffed again, and only the class goes.
    assert.deepEqual(op.edits.slice(1), ['done']);
    assert.ok(JSON.stringify(op).length < 100);
    assert.deepEqual(viewUpdate('v', '<p>1</p>', '<p>2</p>'), { op: 'view', id: 'v', html: '<p>2</p>' });
    assert.deepEqual(viewUpdate('v', undefined, items(3)), { op: 'view', id: 'v', html: items(3) });
  });

  it('rebuild a reordered list, where the diff may run out of its time and go coarse', () => {
    const items = (order: number[]) => `<ul>${order.map((i) => `<li id="i${i}">item ${i}</li>`).join('\n')}</ul>`;
    const ids = [...Array(400).keys()];
    const base = items(ids);
    for (const next of [items([...ids].reverse()), items(ids.map((i) => (i * 7) % 400))]) {
      assert.equal(applyViewEdits(base, viewEdits(base, next) ?? []), next);
    }
  });

  it('survive half an emoji (a string cut inside one), on which fast-diff 1.3.0 recursed without end', () => {
    const base = '<p>😀x😀</p>';
    for (const next of ['<p>😀x\ud83d \ude00</p>', '<p>\ude00x😀</p>']) {
      assert.equal(applyViewEdits(base, viewEdits(base, next) ?? []), next);
      assert.equal(applyViewEdits(next, viewEdits(next, base) ?? []), base);
    }
  });

  it('refuse a base that is not the one they were made from', () => {
    const base = '<p>a</p><p>b</p>';
    const next = '<p>a</p><p>c</p>';
    const edits = viewEdits(base, next) ?? [];
    assert.equal(applyViewEdits('<p>a</p>', edits), undefined, 'a shorter base reads past its end');
    const other = applyViewEdits('<p>z</p><p>b</p>', edits);
    assert.notEqual(other, undefined);
    assert.notEqual(textHash(other ?? ''), textHash(next), 'another base gives another hash');
    assert.equal(applyViewEdits(base, [1.5]), undefined);
  });

  it('are not made when too many tokens changed (the whole goes)', () => {
    const words = (tag: string) => Array.from({ length: 6000 }, (_, i) => `<${tag}>${i}`).join('');
    assert.equal(viewEdits(words('a'), words('b')), undefined);
    assert.deepEqual(viewUpdate('v', words('a'), words('b')), { op: 'view', id: 'v', html: words('b') });
  });
});

describe("the browser's view bases (client/view-updates.ts)", () => {
  it('apply edits to the last HTML received; one that does not apply is never shown, and asks once', () => {
    const asked: string[] = [];
    const views = new ViewBases((id) => asked.push(id));
    const edits = (base: string, next: string) =>
      ({ op: 'view', id: 'v', edits: viewEdits(base, next) ?? [], hash: textHash(next) }) as const;
    assert.equal(views.next({ op: 'view', id: 'v', html: '<p>a</p><p>b</p>' }, false), '<p>a</p><p>b</p>');
    assert.equal(views.next(edits('<p>a</p><p>b</p>', '<p>a</p><p>c</p>'), false), '<p>a</p><p>c</p>');
    // Made from another base: its result's hash is not the server's.
    assert.equal(views.next(edits('<p>z</p><p>b</p>', '<p>z</p><p>d</p>'), false), undefined);
    assert.equal(views.next(edits('<p>a</p><p>d</p>', '<p>a</p><p>e</p>'), false), undefined);
    assert.deepEqual(asked, ['v'], 'asked once, then waits for the whole view');
    assert.equal(views.next({ op: 'view', id: 'v', html: '<p>e</p>' }, false), '<p>e</p>');
    assert.equal(views.next(edits('<p>e</p>', '<p>f</p>'), false), '<p>f</p>');
    // A view it never received whole: asked for too.
    assert.equal(views.next({ ...edits('', 'x'), id: 'w' }, false), undefined);
    assert.deepEqual(asked, ['v', 'w']);
  });
});

describe('page.view() edits, in the sandbox', () => {
  const folder = scriptsFolder({
    'todo.ts': `const done = new Set<number>();
const seen: string[] = [];
const item = (i: number) => html\`<li class="\${done.has(i) ? 'done' : ''}">item \${i}</li>\`;
echo(page.view(() => html\`<ul>\${[...Array(50).keys()].map(item)}</ul>\`));
function __serverSocketEvent(name: string, data: { i: number }) {
  seen.push(name);
  if (name === 'toggle') done.add(data.i);
  if (name === 'seen') server_socket_event('seen', seen);
}`,
  });
  const harness = new RunnerHarness(folder.dir);
  after(async () => {
    await harness.runner.close();
    folder.remove();
  });
  const pushes = (pageId: string, name: string) =>
    harness.messages
      .filter((m): m is Push => m.type === 'push' && m.pageId === pageId && m.name === name)
      .map((m) => JSON.parse(m.data) as unknown);

  it('sends a view whole first, then edits, and whole again when the browser asks', async () => {
    const { pageId, result } = await harness.render('todo.ts');
    assert.ok(result.type === 'rendered');
    const id = `pwv-${pageId.slice(0, 8)}-1`;
    const first = result.body.slice(result.body.indexOf('>') + 1, -'</pw-view>'.length);
    harness.event(pageId, 'toggle', { i: 1 });
    harness.event(pageId, 'toggle', { i: 2 });
    harness.event(pageId, 'pw:view', { id });
    harness.event(pageId, 'pw:view', { id: 'nope' });
    harness.event(pageId, 'pw:other', 'x');
    harness.event(pageId, 'seen');
    await harness.next(() => pushes(pageId, 'seen').length === 1);
    const ops = pushes(pageId, 'pw:dom').map((push) => (push as DomOp[])[0]) as Extract<DomOp, { op: 'view' }>[];
    assert.equal(ops.length, 3);
    const [whole, diffed, again] = ops;
    assert.ok(whole && 'html' in whole && whole.id === id && whole.html !== first, 'the first update is whole');
    assert.ok(diffed && 'edits' in diffed, 'the next one, smaller as edits, is edits');
    const rebuilt = applyViewEdits(whole.html, diffed.edits) ?? '';
    assert.equal(textHash(rebuilt), diffed.hash);
    assert.ok(rebuilt.includes('<li class="done">item 2</li>'));
    assert.deepEqual(again, { op: 'view', id, html: rebuilt }, 'asked for, it goes whole though unchanged');
    // Pagewire's own names never reach the script.
    assert.deepEqual(pushes(pageId, 'seen'), [['toggle', 'toggle', 'seen']]);
  });
});

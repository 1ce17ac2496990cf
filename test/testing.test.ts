// pagewire/testing itself: what a script author's test relies on (samples: testing-samples.test.ts).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { open, UnexpectedScriptError } from '../testing/index.js';
import { scriptsFolder } from './helpers/fixtures.js';

const folder = scriptsFolder({
  'broken.ts': [
    'echo(html`<button id="go" pw-click="go">Go</button>`);',
    'function __serverSocketEvent(name: string) {',
    "  if (name === 'go') {",
    "    throw new Error('the handler broke');",
    '  }',
    '}',
  ].join('\n'),
  'render-fails.ts': [
    "echo('before');",
    'const missing: { x: number } | undefined = undefined;',
    'echo(missing!.x);',
  ].join('\n'),
  'form.ts': [
    'let last: unknown = null;',
    'echo(html`<form id="f" pw-submit="save" pw-value-source="form">',
    '  <input name="title" value="old"><input type="checkbox" name="done">',
    '  <input type="checkbox" name="tag" value="a"><input type="checkbox" name="tag" value="b">',
    '  <select name="size"><option>S</option><option>M</option></select>',
    '  <button>Save</button></form>',
    '<input id="q" name="q" pw-input="search">',
    '${page.view(() => html`<pre id="last">${JSON.stringify(last)}</pre>`)}`);',
    'function __serverSocketEvent(name: string, data: unknown) { last = { name, data }; }',
  ].join('\n'),
  'timer.ts': [
    'echo(html`<button id="later" pw-click="later">Later</button>`);',
    'let fired = 0;',
    'function __serverSocketEvent() {',
    "  setTimeout(() => server_socket_event('fired', { fired: ++fired, at: Date.now() }), 5000);",
    '}',
  ].join('\n'),
  'request.ts': [
    'echo(JSON.stringify({ method: request.method, body: request.body, context: request.context,',
    "  visits: (request.cookies.visits ?? '') }));",
    "response.setHeader('content-type', 'application/json');",
  ].join('\n'),
  'typing.ts': [
    'let q = "";',
    'echo(html`<input id="q" name="q" pw-input="q" pw-debounce="30">`);',
    'echo(page.view(() => html`<p id="q-seen">${q}</p>`));',
    'function __serverSocketEvent(name: string, data: { value: string }) { q = data.value; }',
  ].join('\n'),
  'tick-fails.ts': [
    'echo(html`<p>tick</p>`);',
    'setTimeout(() => {',
    "  throw new RangeError('late');",
    '}, 100);',
  ].join('\n'),
  'required.ts': [
    'let sent = "";',
    'echo(html`<form id="f" pw-submit="s"><input name="title" required><button>Send</button></form>`);',
    'echo(page.view(() => html`<p id="sent">${sent}</p>`));',
    'function __serverSocketEvent(name: string, data: { title: string }) { sent = data.title; }',
  ].join('\n'),
  'go.ts': [
    'echo(html`<button id="go" pw-click="go">Go</button>`);',
    "function __serverSocketEvent() { page.navigate('/form?from=go'); }",
  ].join('\n'),
  'session.ts': [
    "const hits = await shared.incr('hits');",
    "echo(html`<p id=\"visit\">${request.cookies.pagewire_sid ? 'known' : 'new'} ${hits}</p>`);",
    'function __serverSocketEvent() {}',
  ].join('\n'),
});
after(() => folder.remove());

test("a script error in an event rejects the next action with the script's file:line", async () => {
  const page = await open(folder.dir, '/broken');
  const click = page.click('#go');
  await assert.rejects(click, (error: unknown) => {
    assert.ok(error instanceof UnexpectedScriptError);
    assert.match(error.message, /broken\.ts:4:\d+ Error: the handler broke/);
    assert.match(error.message, /expectErrors: true/);
    return true;
  });
  assert.equal(page.errors[0]?.file, 'broken.ts');
  assert.equal(page.errors[0]?.line, 4);
  assert.equal(page.errors[0]?.code, 'EVENT_ERROR');
  // Reported once: the page goes on, and closes cleanly.
  await page.close();
});

test('expectErrors: the errors are only in page.errors', async () => {
  const page = await open(folder.dir, '/broken', { expectErrors: true });
  await page.click('#go');
  await page.click('#go');
  assert.deepEqual(
    page.errors.map((error) => `${error.code} ${error.file}:${error.line}`),
    ['EVENT_ERROR broken.ts:4', 'EVENT_ERROR broken.ts:4'],
  );
  await page.close();
});

test('a render that throws: open rejects with its file:line, or gives the 500 when expected', async () => {
  await assert.rejects(open(folder.dir, '/render-fails'), /render-fails\.ts:3:\d+ TypeError/);
  const page = await open(folder.dir, '/render-fails', { expectErrors: true });
  assert.equal(page.status, 500);
  assert.equal(page.errors[0]?.code, 'RENDER_ERROR');
  assert.equal(page.errors[0]?.line, 3);
  await page.close();
});

test('submit and input send what the browser client sends; the view follows', async () => {
  const page = await open(folder.dir, '/form');
  assert.equal(page.$('#last')?.textContent, 'null');
  await page.submit('#f', { title: 'new', done: true, tag: ['b'], size: 'M' });
  const expected = { title: 'new', done: true, tag: ['b'], size: 'M', source: 'form' };
  assert.deepEqual(JSON.parse(page.$('#last')?.textContent ?? ''), { name: 'save', data: expected });
  await page.input('#q', 'kiwi');
  assert.deepEqual(JSON.parse(page.$('#last')?.textContent ?? ''), {
    name: 'search',
    data: { value: 'kiwi', name: 'q' },
  });
  // The busy state the client set while the event was in flight is cleared by its `done`.
  assert.equal(page.$('#q')?.hasAttribute('aria-busy'), false);
  await page.send('raw', { n: 1 });
  assert.deepEqual(JSON.parse(page.$('#last')?.textContent ?? ''), { name: 'raw', data: { n: 1 } });
  assert.match(page.html, /<pw-view id="pwv-[^"]+"><pre id="last">/);
  await page.close();
});

test("the fake clock runs an event's timer, and Date.now() follows it", async () => {
  const page = await open(folder.dir, '/timer');
  await page.click('#later');
  await page.clock.tick(4999);
  assert.deepEqual(page.pushes, []);
  const start = page.clock.now();
  await page.clock.tick(1);
  assert.deepEqual(await page.next('fired'), { fired: 1, at: start + 1 });
  await page.click('#later');
  await page.clock.tick(5000);
  assert.deepEqual(await page.next('fired'), { fired: 2, at: start + 5001 });
  // Every push, in order; pw:dom updates are the client's business, not listed.
  assert.deepEqual(page.pushes, [
    { name: 'fired', data: { fired: 1, at: start + 1 } },
    { name: 'fired', data: { fired: 2, at: start + 5001 } },
  ]);
  await page.close();
});

test('a request: method, form body, context, cookies; a page that is not HTML', async () => {
  const page = await open(folder.dir, '/request', {
    body: { a: '1', b: ['x', 'y'] },
    context: { user: 'ada' },
    cookies: { visits: '3' },
  });
  assert.equal(page.status, 200);
  assert.deepEqual(JSON.parse(page.body), {
    method: 'POST',
    body: { a: '1', b: ['x', 'y'] },
    context: { user: 'ada' },
    visits: '3',
  });
  assert.throws(() => page.document, /not HTML/);
  await page.close();
});

test("page.cookies opens another page in the same session; pages share the folder's store", async () => {
  const first = await open(folder.dir, '/session');
  const again = await open(folder.dir, '/session', { cookies: first.cookies });
  const other = await open(folder.dir, '/session');
  assert.equal(first.$('#visit')?.textContent, 'new 1');
  assert.equal(again.$('#visit')?.textContent, 'known 2');
  assert.equal(other.$('#visit')?.textContent, 'new 3');
  await Promise.all([first.close(), again.close(), other.close()]);
});

test('input on a pw-debounce field waits for the event the client sends when the typing stops', async () => {
  const page = await open(folder.dir, '/typing');
  await page.input('#q', 'k');
  await page.input('#q', 'kiwi');
  assert.equal(page.$('#q-seen')?.textContent, 'kiwi');
  await page.close();
});

test("a timer's error rejects the tick that ran it, with its file:line", async () => {
  const page = await open(folder.dir, '/tick-fails');
  await assert.rejects(page.clock.tick(100), /tick-fails\.ts:3:\d+ RangeError: late/);
  assert.equal(page.errors[0]?.code, 'TIMER_ERROR');
  await page.close();
});

test('page.navigate(url) from the script changes page.url; the test opens the next page itself', async () => {
  const page = await open(folder.dir, '/go');
  assert.equal(page.url, 'http://localhost/go');
  await page.click('#go');
  assert.equal(page.url, 'http://localhost/form?from=go');
  assert.ok(page.$('#go'), 'still the first page: nothing was loaded');
  await page.close();
});

test('an action on a closed page, or on an element that is not there, says so', async () => {
  const page = await open(folder.dir, '/form');
  await assert.rejects(page.click('#nothing'), /click\('#nothing'\): no element matches it/);
  await page.close();
  assert.equal(page.closed, true);
  await assert.rejects(page.click('#q'), /the page is closed/);
});

test('submit refuses, as a browser would, a form whose fields are not valid', async () => {
  const page = await open(folder.dir, '/required');
  await assert.rejects(page.submit('#f'), /submit\('#f'\): a browser would not submit this form \(title: /);
  await page.submit('#f', { title: 'Tea' });
  assert.equal(page.$('#sent')?.textContent, 'Tea');
  await page.close();
});

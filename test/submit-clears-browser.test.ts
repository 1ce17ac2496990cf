/**
 * A form submitted with Enter keeps the focus in its field; when the server's view renders that
 * field again (cleared after the todo was added), the field shows what the server says: the value
 * the person typed was sent. While it is typed in (pw-input), the field keeps what is typed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { scriptsFolder } from './helpers/fixtures.js';

const TODO = `let todos: string[] = [];
let typed = 0;
echo(html\`<!doctype html><body>\${page.view(() => html\`<form id="add" pw-submit="add">
<input id="text" name="text" value="" pw-input="typing"><button>Add</button></form>
<ul id="todos">\${todos.map((todo) => html\`<li>\${todo}</li>\`)}</ul><p id="typed">\${typed}</p>\`)}</body>\`);
function __serverSocketEvent(name: string, data: { text?: string }) {
  if (name === 'add' && data.text) todos.push(data.text);
  if (name === 'typing') typed++;
}`;

/** Two `pw-disable-with` buttons holding markup: one the server never renders again, one in the view. */
const BUTTONS = `let saved = 0;
echo(html\`<!doctype html><body><form id="still" pw-submit="save">
<button pw-disable-with="Saving…"><b>Save</b></button></form>
\${page.view(() => html\`<form id="viewed" pw-submit="save">
<button pw-disable-with="Saving…"><b>Save</b> \${saved}</button></form>\`)}</body>\`);
function __serverSocketEvent() { saved++; }`;

/** A slow click, then a slow submit: the click's view renders the form again while the submit is in flight. */
const SLOW = `let n = 0;
echo(html\`<!doctype html><body><button id="first" pw-click="first">first</button>
\${page.view(() => html\`<form id="slow" pw-submit="save">
<button pw-disable-with="Saving…">Save \${n}</button></form>\`)}
</body>\`);
async function __serverSocketEvent(name: string) {
  if (name === 'first') n++;
  while (!(await shared.get(name))) await new Promise((r) => setTimeout(r, 20));
}`;

describe('a field of a submitted form, morphed by its view', { timeout: 180_000 }, () => {
  const served = servedInBrowser(scriptsFolder({ 'todo.ts': TODO, 'buttons.ts': BUTTONS, 'slow.ts': SLOW }));

  it('is cleared by the view after Enter submitted it, and keeps what is typed in it otherwise', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/todo`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    await page.type('#text', 'milk');
    // Each keystroke re-rendered the view: the focused field kept what was typed.
    await page.waitForFunction(() => document.getElementById('typed')?.textContent === '4', undefined, {
      polling: 20,
    });
    assert.equal(await page.inputValue('#text'), 'milk');
    await page.press('#text', 'Enter');
    await page.waitForFunction(() => document.querySelector('#todos li')?.textContent === 'milk', undefined, {
      polling: 20,
    });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'text');
    assert.equal(await page.inputValue('#text'), '');
    await page.close();
  });

  it('pw-disable-with gives a button back its markup, or leaves what the server rendered in it meanwhile', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/buttons`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    const idle = (form: string) =>
      page.waitForFunction((f) => !document.getElementById(f)?.hasAttribute('aria-busy'), form, { polling: 20 });
    const button = (form: string) =>
      page.$eval(`#${form} button`, (b) => [b.innerHTML, (b as HTMLButtonElement).disabled]);
    await page.click('#still button');
    await page.waitForFunction(() => document.querySelector('#viewed button')?.textContent === 'Save 1');
    await idle('still');
    assert.deepEqual(await button('still'), ['<b>Save</b>', false]);
    await page.click('#viewed button');
    await page.waitForFunction(() => document.querySelector('#viewed button')?.textContent === 'Save 2');
    await idle('viewed');
    assert.deepEqual(await button('viewed'), ['<b>Save</b> 2', false]);
    await page.close();
  });

  it('stays busy, its pw-disable-with button disabled, when the server renders it again while in flight', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/slow`);
    await page.waitForFunction(() => document.serverSocket?.closed === false);
    await page.click('#first');
    await page.click('#slow button');
    await page.waitForFunction(() => document.getElementById('slow')?.getAttribute('aria-busy') === 'true');
    await served.server.wire.shared.set('first', true);
    // The first event's view: the form is rendered again ("Save 1") with the submit still in flight.
    await page.waitForFunction(() => !document.getElementById('first')?.hasAttribute('aria-busy'), undefined, {
      polling: 20,
    });
    const state = () =>
      page.$eval('#slow', (form) => [
        form.getAttribute('aria-busy'),
        form.classList.contains('pw-loading'),
        (form.querySelector('button') as HTMLButtonElement).disabled,
        form.querySelector('button')?.textContent,
      ]);
    assert.deepEqual(await state(), ['true', true, true, 'Saving…']);
    await served.server.wire.shared.set('save', true);
    await page.waitForFunction(() => !document.getElementById('slow')?.hasAttribute('aria-busy'), undefined, {
      polling: 20,
    });
    assert.deepEqual(await state(), [null, false, false, 'Save 1']);
    await page.close();
  });
});

/**
 * A form submitted with Enter keeps the focus in its field; when the server's view renders that
 * field again (cleared after the todo was added), the field shows what the server says: the value
 * the person typed was sent. While it is typed in (pw-input), the field keeps what is typed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

const TODO = `let todos: string[] = [];
let typed = 0;
echo(html\`<!doctype html><body>\${page.view(() => html\`<form id="add" pw-submit="add">
<input id="text" name="text" value="" pw-input="typing"><button>Add</button></form>
<ul id="todos">\${todos.map((todo) => html\`<li>\${todo}</li>\`)}</ul><p id="typed">\${typed}</p>\`)}</body>\`);
function __serverSocketEvent(name: string, data: { text?: string }) {
  if (name === 'add' && data.text) todos.push(data.text);
  if (name === 'typing') typed++;
}`;

describe('a field of a submitted form, morphed by its view', { timeout: 180_000 }, () => {
  const folder = scriptsFolder({ 'todo.ts': TODO });
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startServer({ dir: folder.dir });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    folder.remove();
  });

  it('is cleared by the view after Enter submitted it, and keeps what is typed in it otherwise', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/todo`);
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
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { samplesInBrowser } from './helpers/samples-browser.js';

/** The todo list as a person sees it: each item's text and whether its box is ticked. */
const items = (page: Page) =>
  page.$$eval('#todos li', (lis) =>
    lis.map(
      (li) => `${li.querySelector('input')?.checked ? '[x]' : '[ ]'} ${li.querySelector('label')?.textContent?.trim()}`,
    ),
  );
const countSays = (page: Page, text: string) =>
  page.waitForFunction((t) => document.getElementById('count')?.textContent === t, text, { polling: 20 });

describe('sample todo.ts in Chromium, driven with the keyboard and the mouse', { timeout: 180_000 }, () => {
  const samples = samplesInBrowser();

  it('adds three, ticks one, removes one, and the count follows; the page has no code of its own', async () => {
    const page = await samples.open('/todo');
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    assert.equal(await page.textContent('#count'), 'Nothing to do.');
    // Added as a person does: click into the field, type, press Enter; then again.
    await page.click('#new-todo');
    for (const [n, text] of ['milk', 'bread', 'eggs'].entries()) {
      await page.keyboard.type(text);
      await page.keyboard.press('Enter');
      await countSays(page, `${n + 1} of ${n + 1} left`);
    }
    assert.deepEqual(await items(page), ['[ ] milk', '[ ] bread', '[ ] eggs']);
    // The field is still focused, and emptied by the server's view, ready for the next one.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'new-todo');
    assert.equal(await page.inputValue('#new-todo'), '');

    await page.getByRole('checkbox', { name: 'bread' }).click();
    await countSays(page, '2 of 3 left');
    assert.deepEqual(await items(page), ['[ ] milk', '[x] bread', '[ ] eggs']);

    await page.click('button[aria-label="Remove milk"]');
    await countSays(page, '1 of 2 left');
    assert.deepEqual(await items(page), ['[x] bread', '[ ] eggs']);

    // Unticked again with the keyboard: focus the box, press Space.
    await page.focus('#todos li:first-child input[type=checkbox]');
    await page.keyboard.press('Space');
    await countSays(page, '2 of 2 left');
    assert.deepEqual(await items(page), ['[ ] bread', '[ ] eggs']);
    assert.equal(await page.evaluate(() => document.querySelectorAll('body script:not([src])').length), 0);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('each page has its own list', async () => {
    const [a, b] = [await samples.open('/todo'), await samples.open('/todo')];
    await a.bringToFront();
    await a.fill('#new-todo', 'only in a');
    await a.press('#new-todo', 'Enter');
    await countSays(a, '1 of 1 left');
    await b.bringToFront();
    await b.fill('#new-todo', 'only in b');
    await b.press('#new-todo', 'Enter');
    await countSays(b, '1 of 1 left');
    assert.deepEqual(await items(a), ['[ ] only in a']);
    assert.deepEqual(await items(b), ['[ ] only in b']);
    await a.context().close();
    await b.context().close();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { samplesInBrowser } from './helpers/samples-browser.js';

/** Waits until the error beside `field` says `text` (the server's view has been morphed in). */
const errorSays = (page: Page, field: string, text: string) =>
  page.waitForFunction(([f, t]) => document.getElementById(`${f}-error`)?.textContent === t, [field, text] as const, {
    polling: 20,
  });

/** Where the person is: the focused field's id, its value and caret. */
const focus = (page: Page) =>
  page.evaluate(() => {
    const active = document.activeElement as HTMLInputElement | null;
    return { id: active?.id, value: active?.value, caret: active?.selectionStart ?? null };
  });

describe('sample signup.ts in Chromium: checked as you type, errors beside each field', { timeout: 180_000 }, () => {
  const samples = samplesInBrowser();

  it('shows each error beside the field typed in; focus, value and caret stay; Tab moves on', async () => {
    const page = await samples.open('/signup');
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.click('#name');
    await page.keyboard.type('A');
    await errorSays(page, 'name', 'At least 2 characters.');
    assert.deepEqual(await focus(page), { id: 'name', value: 'A', caret: 1 });
    // Untouched fields show nothing yet.
    assert.equal(await page.textContent('#email-error'), '');
    await page.keyboard.type('da');
    await errorSays(page, 'name', '');
    assert.deepEqual(await focus(page), { id: 'name', value: 'Ada', caret: 3 });

    await page.keyboard.press('Tab');
    assert.equal((await focus(page)).id, 'email');
    await page.keyboard.type('ada@examplecom');
    await errorSays(page, 'email', 'Not an email address yet.');
    assert.deepEqual(await focus(page), { id: 'email', value: 'ada@examplecom', caret: 14 });
    // A caret moved back into the middle stays there while the view changes around it.
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.type('.');
    await errorSays(page, 'email', '');
    assert.deepEqual(await focus(page), { id: 'email', value: 'ada@example.com', caret: 12 });
    assert.equal(await page.inputValue('#name'), 'Ada', 'a field left keeps its value');

    await page.keyboard.press('Tab');
    await page.keyboard.type('secret');
    await errorSays(page, 'password', 'At least 8 characters.');
    assert.deepEqual(await focus(page), { id: 'password', value: 'secret', caret: 6 });
    await page.keyboard.type('-word');
    await errorSays(page, 'password', '');
    await page.keyboard.press('Tab');
    await page.keyboard.type('secret-wor');
    await errorSays(page, 'confirm', 'Not the same as the password.');
    assert.deepEqual(await focus(page), { id: 'confirm', value: 'secret-wor', caret: 10 });
    assert.equal(await page.getAttribute('#confirm', 'aria-invalid'), 'true');
    await page.keyboard.type('d');
    await errorSays(page, 'confirm', '');
    assert.equal(await page.inputValue('#password'), 'secret-word', 'the password field keeps its value');

    await page.keyboard.press('Enter');
    await page.waitForSelector('#welcome');
    assert.equal(await page.textContent('#welcome'), 'Welcome, Ada!');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('a submit with fields left empty or wrong shows every error beside its field, and no welcome', async () => {
    const page = await samples.open('/signup');
    await page.click('#email');
    await page.keyboard.type('nobody');
    await page.click('button');
    await errorSays(page, 'name', 'At least 2 characters.');
    assert.equal(await page.textContent('#email-error'), 'Not an email address yet.');
    assert.equal(await page.textContent('#password-error'), 'At least 8 characters.');
    assert.equal(await page.textContent('#confirm-error'), '');
    assert.equal(await page.inputValue('#email'), 'nobody');
    assert.equal(await page.$('#welcome'), null);
    await page.context().close();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { samplesInBrowser } from './helpers/samples-browser.js';

const posts = (page: Page) => page.locator('#posts li').allTextContents();
const postCount = (page: Page, n: number) =>
  page.waitForFunction((count) => document.querySelectorAll('#posts li').length === count, n, { polling: 20 });

describe('sample chat.ts in Chromium: two pages, no client code', { timeout: 180_000 }, () => {
  const samples = samplesInBrowser();

  it('a post typed in one page appears in both; the app posts too (wire.publish)', async () => {
    const [a, b] = [await samples.open('/chat'), await samples.open('/chat')];
    const errors: string[] = [];
    for (const page of [a, b]) page.on('pageerror', (error) => errors.push(error.message));
    await a.bringToFront();
    // As a person: click the name field, type, Tab to the message, type, Enter.
    await a.click('#name');
    await a.keyboard.type('Ada');
    await a.keyboard.press('Tab');
    await a.keyboard.type('hello <b>Bob</b>');
    await a.keyboard.press('Enter');
    await postCount(a, 1);
    // The message field is emptied for the next one; the name stays, and so does the focus.
    assert.equal(await a.inputValue('#text'), '');
    assert.equal(await a.inputValue('#name'), 'Ada');
    assert.equal(await a.evaluate(() => document.activeElement?.id), 'text');
    await b.bringToFront();
    await postCount(b, 1);
    assert.deepEqual(await posts(b), ['Ada: hello <b>Bob</b>']);

    await b.fill('#name', 'Bob');
    await b.fill('#text', 'hi Ada');
    await b.click('text=Send');
    await postCount(b, 2);
    await a.bringToFront();
    await postCount(a, 2);
    assert.deepEqual(await posts(a), ['Ada: hello <b>Bob</b>', 'Bob: hi Ada']);

    // The host app announces a post: every open chat page shows it (it is not kept in the history).
    samples.server.wire.publish('chat', { name: 'server', text: 'maintenance at noon' });
    await postCount(a, 3);
    await b.bringToFront();
    await postCount(b, 3);
    assert.deepEqual(await posts(b), ['Ada: hello <b>Bob</b>', 'Bob: hi Ada', 'server: maintenance at noon']);
    assert.equal((await samples.server.wire.shared.list('chat:history')).length, 2);
    assert.deepEqual(errors, []);
    await a.context().close();
    await b.context().close();
  });
});

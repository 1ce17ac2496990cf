import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Example, start } from '../examples/passport/server.js';
import { launchBrowser } from './helpers/browser.js';
import { memoryLogger, waitFor, waitForAsync } from './helpers/fixtures.js';

// examples/passport/, as a reader would run it: Express 5, express-session, passport-local, and
// Pagewire scripts that see the user; in Chromium, two users, two tabs, a logout.
describe('the passport example, in Chromium', { timeout: 180_000 }, () => {
  const log = memoryLogger();
  let example: Example;
  let browser: Browser;
  before(async () => {
    example = await start(0, '127.0.0.1', log);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await example?.close();
  });

  async function signIn(context: BrowserContext, name: string): Promise<Page> {
    const tab = await context.newPage();
    await tab.goto(`${example.url}/`);
    assert.equal(new URL(tab.url()).pathname, '/login', 'a visitor is sent to the login page');
    await tab.fill('input[name=username]', name);
    await tab.fill('input[name=password]', name);
    await Promise.all([tab.waitForURL(`${example.url}/`), tab.click('button')]);
    return tab;
  }

  /** The page's socket works: a ping brings its pong (the event reached the page's instance). */
  async function pings(tab: Page, expected: string): Promise<void> {
    await tab.bringToFront();
    await tab.click('#ping');
    await tab.waitForFunction((text) => document.getElementById('pong')?.textContent === text, expected, {
      polling: 50,
    });
  }

  const pageIdOf = (tab: Page) => tab.locator('script[data-pagewire-page]').getAttribute('data-pagewire-page');

  it("shows the user; a logout closes the user's other pages only; wire.publish reaches an open page", async () => {
    const alice = await browser.newContext();
    const bob = await browser.newContext();
    // Patient on a loaded machine: every wait is for an element or an event, however long it takes.
    for (const context of [alice, bob]) context.setDefaultTimeout(120_000);
    const errors: string[] = [];
    try {
      const first = await signIn(alice, 'alice');
      assert.equal(await first.textContent('#user'), 'Alice');
      const second = await alice.newPage();
      for (const tab of [first, second]) tab.on('pageerror', (error) => errors.push(error.message));
      await second.goto(`${example.url}/`);
      assert.equal(await second.textContent('#user'), 'Alice');
      await pings(second, 'pong 1 for Alice');
      const secondId = await pageIdOf(second);
      assert.ok(secondId);

      const bobs = await signIn(bob, 'bob');
      bobs.on('pageerror', (error) => errors.push(error.message));
      assert.equal(await bobs.textContent('#user'), 'Bob');
      await pings(bobs, 'pong 1 for Bob');

      // Alice logs out in her first tab: her second tab's page closes (its close hook runs) and
      // reloads, to the login page; Bob's page is not touched.
      // Two navigations race in that tab: the logout form's, and the reload of its own page, which
      // the logout closed too (a reload that aborts the form's navigation ends on /login all the
      // same). So no wait on one navigation: on the page the tab ends up showing.
      await first.bringToFront();
      await first.click('#logout');
      const signInShown = async () =>
        first.url() === `${example.url}/login` &&
        (await first
          .locator('h1')
          .textContent({ timeout: 1000 })
          .catch(() => null)) === 'Sign in';
      await waitForAsync(signInShown, 'the login page in the tab that logged out');
      await waitFor(() => log.lines.some((l) => l.endsWith(`page ${secondId} of alice closed`)), 'its close hook');
      await second.waitForURL(`${example.url}/login`);
      assert.equal(await second.locator('h1').textContent(), 'Sign in');
      await pings(bobs, 'pong 2 for Bob');
      assert.equal(log.lines.filter((l) => / of bob closed$/.test(l)).length, 0);

      // An Express route (POST /announce, wire.publish) tells Bob's open page.
      const response = await bob.request.post(`${example.url}/announce`, {
        form: { text: 'lunch is ready' },
        maxRedirects: 0,
      });
      assert.equal(response.status(), 302);
      await bobs.waitForFunction(
        () => document.getElementById('announcements')?.textContent === 'Bob: lunch is ready',
        undefined,
        { polling: 50 },
      );
      assert.deepEqual(errors, []);
      // Each socket had the user its page rendered with (socketMiddleware ran passport on it).
      assert.equal(log.lines.filter((l) => l.includes('unauthorized')).length, 0, log.lines.join('\n'));
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it("needed no client-side code for identity: the one inline script is the page's ping and announcements", () => {
    const scripts = path.join(import.meta.dirname, '..', 'examples', 'passport', 'scripts');
    const index = readFileSync(path.join(scripts, 'index.ts'), 'utf8');
    const login = readFileSync(path.join(scripts, 'login.ts'), 'utf8');
    assert.equal(login.includes('<script'), false);
    const inline = [...index.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
    assert.equal(inline.length, 1);
    const code = (inline[0] as string).split('\n').filter((line) => line.trim() !== '');
    // The page's own features only: nothing about sessions, users, logout or reloading.
    assert.equal(code.length, 7, code.join('\n'));
    assert.equal(/logout|login|reload|location|user/i.test(code.join('\n')), false);
  });
});

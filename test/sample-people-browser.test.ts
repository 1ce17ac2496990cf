import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { appFolder } from './helpers/fixtures.js';
import { type Postgres, startPostgres } from './helpers/postgres.js';
import { servedInBrowser } from './helpers/proxied-browser.js';

const samples = path.join(import.meta.dirname, '..', 'sample-scripts');
const sample = (name: string) => readFileSync(path.join(samples, name), 'utf8');

const shownIds = (page: Page) =>
  page.$$eval('#rows tr', (rows) => rows.map((row) => Number(row.querySelector('td')?.textContent)));
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('sample people.ts in Chromium, on a real PostgreSQL', { timeout: 180_000 }, () => {
  const app = appFolder({
    scripts: { 'people.ts': sample('people.ts'), '_layout.ts': sample('_layout.ts') },
    linked: ['pg', 'pg-cursor'],
  });
  let db: Postgres | undefined;
  const previousUrl = process.env.DATABASE_URL;
  // Before the server starts (the inner describe's hooks run after): its threads copy the environment.
  before(async () => {
    db = await startPostgres();
    process.env.DATABASE_URL = db.url;
  });
  after(async () => {
    if (previousUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previousUrl;
    await db?.stop();
  });
  // Inside: its server closes before the database stops.
  describe('served', () => {
    const served = servedInBrowser({ dir: app.scripts, remove: app.remove }, { server: { env: ['DATABASE_URL'] } });

    it('each click on More adds the next rows below, from where the cursor stopped', async () => {
      const page = await served.browser.newPage();
      await page.goto(`${served.server.url}/people`);
      await page.waitForFunction(() => document.serverSocket?.closed === false, undefined, { polling: 20 });
      assert.deepEqual(await shownIds(page), range(1, 20));
      await page.click('#more');
      await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 40, undefined, { polling: 20 });
      await page.getByRole('button', { name: 'More' }).press('Enter');
      await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 60, undefined, { polling: 20 });
      assert.deepEqual(await shownIds(page), range(1, 60));
      assert.equal(await page.isDisabled('#more'), false);
      await page.close();
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { sampleScripts } from './helpers/fixtures.js';
import { mulberry32, TEST_SEED } from './helpers/random.js';
import { startServer, type TestServer } from './helpers/server.js';

const random = mulberry32(TEST_SEED);
const png = (n: number) =>
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256))),
  ]);

describe('the photos sample, in Chromium', { timeout: 180_000 }, () => {
  const samples = sampleScripts();
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startServer({ dir: samples.dir });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    samples.remove();
  });

  it('uploads several images with progress, shows each thumbnail as it arrives, has no script of its own', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(`${server.url}/photos`);
    await page.waitForFunction(
      () => document.serverSocket && !document.documentElement.classList.contains('pw-disconnected'),
    );
    const inline = await page.$$eval('script', (scripts) => scripts.filter((s) => !s.src).length);
    assert.equal(inline, 0, 'no hand-written JavaScript');
    const before = await page.locator('#gallery img').count();
    await page.setInputFiles(
      'input[pw-upload=photos]',
      [300_000, 5000, 120_000].map((n, i) => ({ name: `p${i}.png`, mimeType: 'image/png', buffer: png(n) })),
    );
    await page.waitForFunction((n) => document.querySelectorAll('#gallery img').length === n, before + 3, {
      polling: 20,
    });
    const sources = await page.$$eval('#gallery img', (images) => images.map((img) => img.getAttribute('src') ?? ''));
    assert.ok(sources.slice(0, 3).every((src) => src.startsWith('data:image/png;base64,iVBORw0KGg')));
    // Every progress bar went once its file arrived; the input's own bar is full.
    await page.waitForFunction(() => document.querySelectorAll('progress').length === 0, undefined, { polling: 20 });
    const full = await page.$eval('input[pw-upload]', (el) =>
      (el as HTMLElement).style.getPropertyValue('--pw-progress'),
    );
    assert.equal(full, '1');
    // Past its limit: said on the page, by the script's view.
    await page.setInputFiles('input[pw-upload=photos]', {
      name: 'big.png',
      mimeType: 'image/png',
      buffer: png(2_100_000),
    });
    await page.locator('.error').waitFor();
    assert.match((await page.locator('.error').textContent()) ?? '', /'big\.png' is 2100008 bytes, more than 2000000/);
    await page.close();
  });

  it('takes a photo from a plain form with JavaScript off', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(`${server.url}/photos`);
    const before = await page.locator('#gallery img').count();
    await page.setInputFiles('input[name=photo]', { name: 'plain.png', mimeType: 'image/png', buffer: png(2000) });
    await Promise.all([page.waitForURL(`${server.url}/photos`), page.click('form button')]);
    await page.waitForLoadState();
    assert.equal(await page.locator('#gallery img').count(), before + 1);
    await context.close();
  });
});

/**
 * Leaving a page in the middle of a live upload ends it at once, as leaving any page does: its
 * goodbye is not lost behind the upload's chunks in the socket's buffer, and its temporary
 * folder goes with it. The grace is ten minutes here: only the goodbye can end it within the test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

const BULK = `page.onClose(() => console.log('bulk page closed'));
page.allowUpload('bulk', { maxFileSize: 100_000_000 });
echo('<!doctype html><input type="file" id="bulk" pw-upload="bulk">' +
  '<script>window.loaded = 0; document.getElementById("bulk").addEventListener("progress", ' +
  '(e) => { window.loaded = e.loaded; });</script>');`;

describe('leaving a page during a live upload', { timeout: 300_000 }, () => {
  const folder = scriptsFolder({ 'bulk.ts': BULK, 'other.ts': `echo('<p>elsewhere</p>');` });
  const files = mkdtempSync(path.join(tmpdir(), 'pagewire-leave-'));
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startServer({ dir: folder.dir, disconnectTimeout: 600_000 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    folder.remove();
    rmSync(files, { recursive: true, force: true });
  });

  it('ends the page at once (its close hook runs), not at the end of its grace', async () => {
    // Zeros: their bytes do not matter, only that they are many.
    const file = path.join(files, 'big.bin');
    writeFileSync(file, Buffer.alloc(60_000_000));
    const page = await browser.newPage();
    await page.goto(`${server.url}/bulk`);
    await page.setInputFiles('#bulk', file);
    await page.waitForFunction(() => (window as unknown as { loaded: number }).loaded > 2_000_000, null, {
      polling: 10,
      timeout: 120_000,
    });
    await page.goto(`${server.url}/other`);
    const closed = () => server.log.lines.some((line) => /bulk page closed/.test(line));
    await new Promise<void>((resolve, reject) => {
      const failAt = setTimeout(() => reject(new Error('the page did not end within 120 s of leaving')), 120_000);
      const check = setInterval(() => {
        if (!closed()) return;
        clearInterval(check);
        clearTimeout(failAt);
        resolve();
      }, 50);
    });
    assert.equal(server.wire.stats().uploads.active, 0);
    await page.close();
  });
});

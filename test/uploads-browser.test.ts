import assert from 'node:assert/strict';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { mulberry32, TEST_SEED } from './helpers/random.js';

/** The script hears each upload: its files pushed back to the page, its errors too. */
const PHOTOS = `let progress = 0;
page.allowUpload('files', {
  maxFileSize: 10_000_000,
  onProgress() { progress++; },
  onFile(file) { server_socket_event('file', { ...file, progress }); },
  onError(error) { server_socket_event('upload-error', error); },
});
page.allowUpload('bulk', { maxFileSize: 50_000_000, onFile(file) { server_socket_event('bulk', file.size); } });
function __serverSocketEvent(name) { if (name === 'ping') server_socket_event('pong'); }
page.allowUpload('photos', {
  accept: ['image/*'],
  maxFiles: 3,
  onFile(file) { server_socket_event('file', file); },
  onError(error) { server_socket_event('upload-error', error); },
});
echo('<!doctype html><input type="file" id="files" pw-upload="files" multiple>' +
  '<input type="file" id="photos" pw-upload="photos" multiple accept="image/*">' +
  '<script>window.files = []; window.errors = []; window.progress = [];' +
  'document.serverSocket.addEventListener("file", (e) => files.push(e.data));' +
  'document.serverSocket.addEventListener("upload-error", (e) => errors.push(e.data));' +
  'for (const id of ["files", "photos"]) document.getElementById(id).addEventListener("progress", ' +
  '(e) => progress.push([id, e.loaded, e.total]));</script>');`;

/** Chunks of at most this many bytes (maxMessageBytes): a 5 MB file is many chunks, several windows. */
const MESSAGE_BYTES = 16 * 1024;
const CHUNK = MESSAGE_BYTES - 512;

const random = mulberry32(TEST_SEED);
const bytesOf = (n: number) => {
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) bytes.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.min(i, n - 4));
  return bytes;
};
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const png = (n: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytesOf(n)]);

type Seen = { name: string; size: number; type: string; sha256: string; path: string; progress?: number };

describe('live uploads (pw-upload) in Chromium', { timeout: 300_000 }, () => {
  const folder = scriptsFolder({ 'photos.ts': PHOTOS });
  const served = servedInBrowser(folder, { proxied: true, server: { maxMessageBytes: MESSAGE_BYTES } });

  const chunks = () => served.server.wire.stats().uploads.chunks;
  // A page's files, in its server's own folder (`.uploads/<host>-<pid>-<tokens>/page-<id>`).
  const filesOfPage = (pageId: string) => {
    const uploads = path.join(folder.dir, '_data', '.uploads');
    const own = existsSync(uploads) ? readdirSync(uploads) : [];
    return own.flatMap((name) => {
      const dir = path.join(uploads, name, `page-${pageId}`);
      return existsSync(dir) ? readdirSync(dir) : [];
    });
  };
  const filesSeen = (page: Page, n: number) =>
    page.waitForFunction((count) => (window as unknown as { files: unknown[] }).files.length >= count, n, {
      polling: 20,
      timeout: 120_000,
    });
  const seen = (page: Page) => page.evaluate(() => (window as unknown as { files: Seen[] }).files);
  const open = async (base: string) => {
    const page = await served.browser.newPage();
    // Patient on a loaded machine: every wait is for an event, however long it takes.
    page.setDefaultTimeout(120_000);
    await page.goto(`${base}/photos`);
    await page.waitForFunction(
      () => document.serverSocket && !document.documentElement.classList.contains('pw-disconnected'),
      undefined,
      { polling: 20, timeout: 120_000 },
    );
    return page;
  };

  it('uploads a 5 MB file and three images: progress both ways, the SHA-256 of each original', async () => {
    const page = await open(served.server.url);
    const big = bytesOf(5_000_000);
    const images = [png(3000), png(40_000), png(100_000)];
    const before = chunks();
    await page.setInputFiles('#files', { name: 'big.bin', mimeType: 'application/octet-stream', buffer: big });
    await filesSeen(page, 1);
    await page.setInputFiles(
      '#photos',
      images.map((buffer, i) => ({ name: `p${i}.png`, mimeType: 'image/png', buffer })),
    );
    await filesSeen(page, 4);
    const files = await seen(page);
    assert.deepEqual(
      files.map((f) => [f.name, f.size, f.sha256]),
      [['big.bin', big.length, sha256(big)], ...images.map((image, i) => [`p${i}.png`, image.length, sha256(image)])],
    );
    assert.ok((files[0]?.progress ?? 0) >= 10, `the script heard progress (${files[0]?.progress} times)`);
    const progress = await page.evaluate(
      () => (window as unknown as { progress: [string, number, number][] }).progress,
    );
    const ofBig = progress.filter(([id]) => id === 'files');
    assert.ok(ofBig.length > 10, `the element heard progress events (${ofBig.length})`);
    assert.deepEqual(ofBig.at(-1), ['files', big.length, big.length]);
    const css = await page.$eval('#files', (el) => (el as HTMLElement).style.getPropertyValue('--pw-progress'));
    assert.equal(css, '1');
    const bigChunks = Math.ceil(big.length / CHUNK);
    const imageChunks = images.reduce((n, image) => n + Math.ceil(image.length / CHUNK), 0);
    assert.equal(chunks() - before, bigChunks + imageChunks, 'each chunk once');
    await page.close();
  });

  it('lets events and pushes pass while a large file is on its way', async () => {
    const page = await open(served.server.url);
    const order = await page.evaluate(async () => {
      const socket = document.serverSocket as NonNullable<Document['serverSocket']>;
      const seen: string[] = [];
      const pong = new Promise((resolve) => socket.addEventListener('pong', resolve));
      const bulk = new Promise((resolve) => socket.addEventListener('bulk', resolve));
      const input = document.getElementById('files') as HTMLElement;
      // The event goes once the upload has begun: its first acknowledged bytes.
      input.addEventListener('progress', (e) => (e as ProgressEvent).loaded > 0 && socket.send('ping'), {
        once: false,
      });
      const file = new File([new Uint8Array(30_000_000)], 'zeros.bin');
      const uploaded = socket.upload('bulk', [file], input).then(() => seen.push('uploaded'));
      await pong.then(() => seen.push('pong'));
      await Promise.all([uploaded, bulk]);
      return seen;
    });
    assert.deepEqual(order, ['pong', 'uploaded'], 'the push came back before the file was through');
    await page.close();
  });

  it('goes on across two cuts of its socket: intact, no chunk twice', async () => {
    const page = await open(served.proxy.url);
    const big = bytesOf(5_000_000);
    const total = Math.ceil(big.length / CHUNK);
    const before = chunks();
    const refusedBefore = served.server.wire.stats().uploads.refusedChunks;
    await page.setInputFiles('#files', { name: 'cut.bin', mimeType: 'application/octet-stream', buffer: big });
    // Looked at every turn of the event loop: between two looks at most a window or two of chunks arrive.
    for (const at of [Math.floor(total / 5), Math.floor(total / 2)]) {
      while (chunks() - before < at) await new Promise((resolve) => setImmediate(resolve));
      assert.ok(chunks() - before < total, 'cut in the middle of the upload');
      assert.ok(served.proxy.cut('client') > 0);
    }
    await filesSeen(page, 1);
    const [file] = await seen(page);
    assert.equal(file?.sha256, sha256(big));
    assert.equal(file?.size, big.length);
    assert.equal(chunks() - before, total, 'no chunk sent twice');
    assert.equal(served.server.wire.stats().uploads.refusedChunks, refusedBefore);
    await page.close();
  });

  it('refuses a 20 MB file past maxFileSize before any of its bytes is sent', async () => {
    const page = await open(served.server.url);
    const before = chunks();
    await page.setInputFiles('#files', {
      name: 'huge.bin',
      mimeType: 'application/octet-stream',
      buffer: bytesOf(20_000_000),
    });
    await page.waitForFunction(() => (window as unknown as { errors: unknown[] }).errors.length > 0, undefined, {
      polling: 20,
    });
    const errors = await page.evaluate(
      () => (window as unknown as { errors: { code: string; message: string }[] }).errors,
    );
    assert.equal(errors[0]?.code, 'UPLOAD_REFUSED');
    assert.match(errors[0]?.message ?? '', /'huge\.bin' is 20000000 bytes, more than 10000000 \(maxFileSize/);
    const shown = await page.$eval('#files', (el) => el.getAttribute('pw-upload-error'));
    assert.equal(shown, errors[0]?.message);
    assert.equal(chunks(), before, 'no chunk sent');
    assert.equal(served.server.wire.stats().uploads.reservedBytes, 0);
    // An image whose bytes are not one: refused by its first chunk.
    await page.setInputFiles('#photos', {
      name: 'fake.png',
      mimeType: 'image/png',
      buffer: Buffer.from('<svg onload=alert(1)>'),
    });
    await page.waitForFunction(() => (window as unknown as { errors: unknown[] }).errors.length > 1, undefined, {
      polling: 20,
    });
    const [, fake] = await page.evaluate(
      () => (window as unknown as { errors: { code: string; message: string }[] }).errors,
    );
    assert.equal(fake?.code, 'UPLOAD_FAILED');
    assert.match(
      fake?.message ?? '',
      /'fake\.png' was refused: its bytes are no image the server knows, not image\/png/,
    );
    await page.close();
  });

  it('cancels an upload under way (an AbortSignal): the server drops its bytes, the script hears it', async () => {
    const page = await open(served.server.url);
    // Aborted from its element's first progress under half the file: the server cannot have it all.
    const outcome = await page.evaluate(async () => {
      const element = document.createElement('div');
      const controller = new AbortController();
      element.addEventListener('progress', (e) => {
        const { loaded, total } = e as ProgressEvent;
        if (loaded > 0 && loaded < total / 2) controller.abort();
      });
      const file = new File([new Uint8Array(5_000_000)], 'cancelled.bin');
      try {
        await document.serverSocket?.upload('files', [file], element, controller.signal);
        return 'resolved';
      } catch (error) {
        return `${(error as Error).name} ${element.classList.contains('pw-loading')}`;
      }
    });
    assert.equal(outcome, 'AbortError false', 'the promise rejects with the abort, the element is no longer loading');
    await page.waitForFunction(() => (window as unknown as { errors: unknown[] }).errors.length > 0, undefined, {
      polling: 20,
    });
    const [error] = await page.evaluate(
      () => (window as unknown as { errors: { code: string; message: string; file: string }[] }).errors,
    );
    assert.deepEqual(error, {
      name: 'files',
      code: 'UPLOAD_CANCELLED',
      message: 'cancelled by the browser',
      file: 'cancelled.bin',
    });
    assert.equal(served.server.wire.stats().uploads.active, 0);
    assert.equal(served.server.wire.stats().uploads.reservedBytes, 0);
    const pageId = await page.evaluate(() => document.serverSocket?.pageId ?? '');
    await waitFor(() => filesOfPage(pageId).length === 0, "the cancelled upload's file removed");
    await page.close();
  });

  it("lets go of its signal once over: a long-lived AbortSignal keeps no finished upload's files", async () => {
    const page = await open(served.server.url);
    await page.evaluate(async () => {
      const signal = new AbortController().signal;
      (window as unknown as { signal: AbortSignal }).signal = signal;
      const file = new File([new Uint8Array(1000)], 'kept.bin');
      await document.serverSocket?.upload('files', [file], undefined, signal);
    });
    // The listeners the page holds on the signal, as DevTools sees them.
    const cdp = await page.context().newCDPSession(page);
    const { result } = await cdp.send('Runtime.evaluate', { expression: 'window.signal' });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId ?? '' });
    assert.deepEqual(
      listeners.map((listener) => listener.type),
      [],
    );
    await page.close();
  });
});

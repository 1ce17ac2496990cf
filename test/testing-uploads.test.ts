// pagewire/testing drives live uploads (pw-upload) through the page's real client and the host's
// real upload hub: chunks, acks, SHA-256, limits, image signatures, temporary files.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { open, UnexpectedScriptError, UploadError } from '../testing/index.js';
import { sampleScripts, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { mulberry32, TEST_SEED } from './helpers/random.js';

const random = mulberry32(TEST_SEED);
const bytesOf = (n: number) => {
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) bytes.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.min(i, n - 4));
  return bytes;
};
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const png = (n: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytesOf(n)]);

/**
 * Each file the script was handed, shown by its view once read back from where it arrived (an
 * async handler: an action waits for it); its errors too. Files stay where they arrived.
 */
const FILES = `import fs from 'node:fs';
const got: { name: string; size: number; type: string; sha256: string; path: string; read: number }[] = [];
let problem = '';
page.allowUpload('files', {
  maxFileSize: 2_000_000,
  async onFile(file) { got.push({ ...file, read: (await fs.promises.readFile(file.path, 'latin1')).length }); },
  onError({ code, message }) { problem = code + ': ' + message; },
});
const shown = (f: (typeof got)[number]) =>
  html\`<li data-path="\${f.path}">\${f.name} \${f.read} \${f.type} \${f.sha256}</li>\`;
page.allowUpload('broken', { onFile() { throw new Error('onFile broke'); } });
echo(html\`<input type="file" id="files" pw-upload="files" multiple>
<input type="file" id="one" pw-upload="files">
<input type="file" id="broken" pw-upload="broken">
<input type="file" id="plain">
<button id="send" onclick="document.serverSocket.upload('files', [new File(['from code'], 'code.txt')])">Send</button>
\${page.view(() => html\`<ul id="got">\${got.map(shown)}</ul>
<p id="problem">\${problem}</p>\`)}\`);`;

/** The files of page `pageId` in the site's uploads folder (`<dir>/_data/.uploads/<server>/page-<id>`). */
function pageFolders(dir: string, pageId: string | undefined): string[] {
  const uploads = path.join(dir, '_data', '.uploads');
  const servers = existsSync(uploads) ? readdirSync(uploads) : [];
  return servers.map((server) => path.join(uploads, server, `page-${pageId}`)).filter((folder) => existsSync(folder));
}

describe('page.upload: live uploads without a browser', { timeout: 120_000 }, () => {
  const folder = scriptsFolder({
    'files.ts': FILES,
    'host.ts': "echo(html`<!doctype html><body>${await include('/files')}</body>`);",
    'closing.ts': `page.allowUpload('files', { onFile() { page.close(); } });
echo(html\`<input type="file" id="in" pw-upload="files" multiple>\`);`,
    'closing-host.ts': "echo(html`<!doctype html><body>${await include('/closing')}</body>`);",
  });
  // Small messages: a file of a megabyte and a half is many chunks, past the client's window of unacknowledged ones.
  const options = { maxMessageBytes: 16 * 1024 };
  after(() => folder.remove());

  it("sends the files through the client and the server: the script's SHA-256 is the original's", async () => {
    const page = await open(folder.dir, '/files', { options });
    try {
      const big = bytesOf(1_500_000);
      const image = png(3000);
      const progress: number[] = [];
      page
        .$('#files')
        ?.addEventListener('progress', (event) => progress.push((event as unknown as ProgressEvent).loaded));
      await page.upload('#files', [
        { name: 'big.bin', type: 'application/octet-stream', content: big },
        { name: 'note.txt', type: 'text/plain', content: 'héllo' },
        new File([image], 'p.png', { type: 'image/png' }),
      ]);
      assert.deepEqual(
        page.$$('#got li').map((li) => li.textContent),
        [
          `big.bin ${big.length} application/octet-stream ${sha256(big)}`,
          `note.txt 6 text/plain ${sha256(Buffer.from('héllo'))}`,
          `p.png ${image.length} image/png ${sha256(image)}`,
        ],
      );
      const kept = page.$$('#got li').map((li) => readFileSync(li.getAttribute('data-path') ?? ''));
      assert.equal(sha256(kept[0] as Buffer), sha256(big));
      assert.equal(page.$('#files')?.hasAttribute('pw-upload-error'), false);
      assert.equal(page.$('#files')?.classList.contains('pw-loading'), false);
      // The client's progress, as a browser shows it: acknowledged in many steps, up to every byte.
      const total = big.length + 6 + image.length;
      assert.ok(progress.length > 2, `${progress.length} progress events`);
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
      );
      assert.equal(progress.at(-1), total);
      assert.equal((page.$('#files') as unknown as HTMLElement).style.getPropertyValue('--pw-progress'), '1');
      // The same name takes another upload after it.
      await page.upload('#one', [{ name: 'empty.txt', content: '' }]);
      assert.equal(page.$$('#got li')[3]?.textContent, `empty.txt 0  ${sha256(Buffer.alloc(0))}`);
    } finally {
      await page.close();
    }
  });

  it("refuses a file past the name's maxFileSize before its bytes: the element and the script say why", async () => {
    const page = await open(folder.dir, '/files', { options });
    try {
      await assert.rejects(page.upload('#one', [{ name: 'huge.bin', content: bytesOf(2_000_001) }]), (error) => {
        assert.ok(error instanceof UploadError);
        assert.equal(error.code, 'UPLOAD_REFUSED');
        assert.equal(error.upload, 'files');
        assert.match(error.message, /^upload\('#one'\): upload 'files' UPLOAD_REFUSED: .*2000001.*maxFileSize/);
        return true;
      });
      const said = page.$('#one')?.getAttribute('pw-upload-error') ?? '';
      assert.match(said, /maxFileSize/);
      assert.equal(page.$('#problem')?.textContent, `UPLOAD_REFUSED: ${said}`);
      assert.equal(page.$$('#got li').length, 0);
      assert.deepEqual(pageFolders(folder.dir, page.id), [], 'no byte of it was written');
    } finally {
      await page.close();
    }
  });

  it('two uploads at once: each action waits for its own, and fails only with its own refusal', async () => {
    const page = await open(folder.dir, '/files', { options });
    try {
      const fine = page.upload('#files', [{ name: 'fine.bin', content: bytesOf(300_000) }]);
      const huge = page.upload('#one', [{ name: 'huge.bin', content: bytesOf(2_000_001) }]);
      const [first, second] = await Promise.allSettled([fine, huge]);
      assert.equal(first.status, 'fulfilled');
      assert.equal(second.status === 'rejected' && (second.reason as UploadError).code, 'UPLOAD_REFUSED');
      assert.equal(page.$$('#got li')[0]?.textContent?.split(' ')[0], 'fine.bin');
      assert.match(page.$('#problem')?.textContent ?? '', /^UPLOAD_REFUSED: .*maxFileSize/);
    } finally {
      await page.close();
    }
  });

  it("removes the page's files when the page closes (its instance's folder), the site still open", async () => {
    const page = await open(folder.dir, '/files', { options });
    const other = await open(folder.dir, '/files', { options });
    try {
      await page.upload('#one', [{ name: 'a.txt', content: 'kept until the page goes' }]);
      const file = page.$('#got li')?.getAttribute('data-path') ?? '';
      assert.ok(existsSync(file), file);
      assert.equal(pageFolders(folder.dir, page.id).length, 1);
      await page.close();
      await waitFor(() => pageFolders(folder.dir, page.id).length === 0, "the closed page's folder removed");
      assert.equal(existsSync(file), false);
      assert.equal(other.closed, false);
    } finally {
      await page.close();
      await other.close();
    }
  });

  it("document.serverSocket.upload from the page's own code: the action that started it waits for it", async () => {
    const page = await open(folder.dir, '/files', { options });
    try {
      await page.click('#send');
      assert.equal(page.$('#got li')?.textContent, `code.txt 9  ${sha256(Buffer.from('from code'))}`);
    } finally {
      await page.close();
    }
  });

  it('an input inside a component: its instance takes the files, and the action waits for its handlers', async () => {
    const page = await open(folder.dir, '/host', { options });
    try {
      await page.upload('pw-component #one', [{ name: 'c.txt', type: 'text/plain', content: 'component' }]);
      assert.equal(
        page.$('pw-component #got li')?.textContent,
        `c.txt 9 text/plain ${sha256(Buffer.from('component'))}`,
      );
    } finally {
      await page.close();
    }
  });

  it('a component that closes during its upload: the action rejects with PAGE_CLOSED', async () => {
    const page = await open(folder.dir, '/closing-host', { options });
    try {
      // Its first file closes it: the server drops the second, mid-way, and says nothing of it.
      const upload = page.upload('pw-component #in', [
        { name: 'a.txt', content: 'a' },
        { name: 'b.txt', content: bytesOf(200_000) },
      ]);
      await assert.rejects(upload, (error: Error) => {
        assert.ok(error instanceof UploadError);
        assert.equal(error.code, 'PAGE_CLOSED');
        assert.match(error.message, /its instance \([\w-]+\) closed first/);
        return true;
      });
    } finally {
      await page.close();
    }
  });

  it('a script error in a handler fails the action, with its file:line, as elsewhere', async () => {
    const page = await open(folder.dir, '/files', { options });
    try {
      await assert.rejects(page.upload('#broken', [{ name: 'b.txt', content: 'b' }]), (error) => {
        assert.ok(error instanceof UnexpectedScriptError);
        assert.match(error.message, /files\.ts:\d+:\d+ Error: onFile broke/);
        return true;
      });
    } finally {
      await page.close();
    }
  });

  it('what a file picker would not let a person do is refused, saying why', async () => {
    const page = await open(folder.dir, '/files', { options });
    try {
      const two = [
        { name: 'a', content: 'a' },
        { name: 'b', content: 'b' },
      ];
      await assert.rejects(page.upload('#one', two), /upload\('#one'\): 2 files, but the input takes one/);
      await assert.rejects(page.upload('#got', two), /not an <input type="file">/);
      await assert.rejects(page.upload('#one', []), /no files given/);
      await assert.rejects(page.upload('#plain', [{ name: 'a', content: 'a' }]), /started no upload/);
      assert.equal(page.$$('#got li').length, 0);
    } finally {
      await page.close();
    }
  });
});

describe('sample-scripts/photos.ts through page.upload', { timeout: 120_000 }, () => {
  const samples = sampleScripts();
  after(() => samples.remove());
  const gallery = path.join(samples.dir, '_data', 'photos');

  it('shows a thumbnail of each photo as it arrives, kept byte for byte', async () => {
    const page = await open(samples.dir, '/photos');
    try {
      const photos = [png(5000), png(70_000)];
      await page.upload('input[pw-upload="photos"]', [
        { name: 'one.png', type: 'image/png', content: photos[0] as Buffer },
        { name: 'two.png', type: 'image/png', content: photos[1] as Buffer },
      ]);
      // Each kept as `<time>-<its SHA-256's first 12>.png`, shown newest first.
      const shown = page.$$('#gallery img').map((img) => img.getAttribute('alt') ?? '');
      assert.equal(shown.length, 2);
      assert.ok(shown[0]?.includes(sha256(photos[1] as Buffer).slice(0, 12)), shown[0]);
      assert.ok(shown[1]?.includes(sha256(photos[0] as Buffer).slice(0, 12)), shown[1]);
      const kept = readdirSync(gallery).map((name) => sha256(readFileSync(path.join(gallery, name))));
      assert.deepEqual(kept.sort(), photos.map((photo) => sha256(photo)).sort());
      assert.equal(page.$('.error'), null);
    } finally {
      await page.close();
    }
  });

  it('refuses a photo whose bytes are not the image its type claims, and one past 2 MB: the page says so', async () => {
    const page = await open(samples.dir, '/photos');
    try {
      const before = page.$$('#gallery img').length;
      const input = 'input[pw-upload="photos"]';
      const fake = { name: 'fake.png', type: 'image/png', content: 'GIF89a, or rather some text' };
      await assert.rejects(page.upload(input, [fake]), { name: 'UploadError', code: 'UPLOAD_FAILED' });
      assert.match(page.$('.error')?.textContent ?? '', /'fake\.png' was refused: its bytes are .*not image\/png/);
      assert.equal(page.$(input)?.getAttribute('pw-upload-error'), page.$('.error')?.textContent);
      const big = { name: 'big.png', type: 'image/png', content: png(2_000_000) };
      await assert.rejects(page.upload(input, [big]), { name: 'UploadError', code: 'UPLOAD_REFUSED' });
      assert.match(page.$('.error')?.textContent ?? '', /maxFileSize/);
      assert.equal(page.$$('#gallery img').length, before);
    } finally {
      await page.close();
    }
  });
});

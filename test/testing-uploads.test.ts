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

/** Each file the script was handed, shown by its view; its errors too. Files stay where they arrived. */
const FILES = `const got: { name: string; size: number; type: string; sha256: string; path: string }[] = [];
let problem = '';
page.allowUpload('files', {
  maxFileSize: 2_000_000,
  onFile(file) { got.push(file); },
  onError({ code, message }) { problem = code + ': ' + message; },
});
page.allowUpload('broken', { onFile() { throw new Error('onFile broke'); } });
echo(html\`<input type="file" id="files" pw-upload="files" multiple>
<input type="file" id="one" pw-upload="files">
<input type="file" id="broken" pw-upload="broken">
<input type="file" id="plain">
<button id="send" onclick="document.serverSocket.upload('files', [new File(['from code'], 'code.txt', { type: 'text/plain' })])">Send</button>
\${page.view(() => html\`<ul id="got">\${got.map((f) => html\`<li data-path="\${f.path}">\${f.name} \${f.size} \${f.type} \${f.sha256}</li>\`)}</ul>
<p id="problem">\${problem}</p>\`)}\`);`;

describe('page.upload: live uploads without a browser', { timeout: 120_000 }, () => {
  const folder = scriptsFolder({ 'files.ts': FILES });
  // Small messages: a file of a megabyte is many chunks, past the client's window of unacknowledged ones.
  const options = { maxMessageBytes: 16 * 1024 };
  after(() => folder.remove());

  it("sends the files through the client and the server: the script's SHA-256 is the original's", async () => {
    const page = await open(folder.dir, '/files', { options });
    try {
      const big = bytesOf(1_500_000);
      await page.upload('#files', [
        { name: 'big.bin', type: 'application/octet-stream', content: big },
        { name: 'note.txt', type: 'text/plain', content: 'héllo' },
        new File([png(3000)], 'p.png', { type: 'image/png' }),
      ]);
      const shown = page.$$('#got li').map((li) => li.textContent);
      assert.deepEqual(shown, [
        `big.bin ${big.length} application/octet-stream ${sha256(big)}`,
        `note.txt 6 text/plain ${sha256(Buffer.from('héllo'))}`,
        `p.png 3008 image/png ${shown[2]?.split(' ')[3]}`,
      ]);
      const kept = page.$$('#got li').map((li) => readFileSync(li.getAttribute('data-path') ?? ''));
      assert.equal(sha256(kept[0] as Buffer), sha256(big));
      assert.equal(page.$('#files')?.hasAttribute('pw-upload-error'), false);
      assert.equal(page.$('#files')?.classList.contains('pw-loading'), false);
    } finally {
      await page.close();
    }
  });
});

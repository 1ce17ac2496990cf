import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeFileName } from '../../lib/uploads/file-names.js';
import { imageSignatureProblem } from '../../lib/uploads/image-signature.js';
import { parseChunk, parseUploadStart } from '../../lib/uploads/upload-messages.js';
import { accepted, parseRules } from '../../lib/uploads/upload-rules.js';
import { chunkHead } from '../../protocol/uploads.js';

describe('upload checks', () => {
  it('makes a browser file name safe', () => {
    assert.equal(safeFileName('../../etc/passwd'), 'passwd');
    assert.equal(safeFileName('..\\..\\boot.ini'), 'boot.ini');
    assert.equal(safeFileName('a\u0000b\u001f\u007f.txt'), 'ab.txt');
    assert.equal(safeFileName('...hidden'), 'hidden');
    assert.equal(safeFileName('../'), 'file');
    assert.equal(safeFileName(''), 'file');
    const long = safeFileName(`${'ü'.repeat(300)}.jpeg`);
    assert.ok(Buffer.byteLength(long) <= 200 && long.endsWith('.jpeg'), long);
  });

  it("checks an image's bytes against its type", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    assert.equal(imageSignatureProblem('image/png', png), undefined);
    assert.equal(imageSignatureProblem('IMAGE/JPG', Buffer.from([0xff, 0xd8, 0xff, 0xe0])), undefined);
    assert.equal(imageSignatureProblem('image/webp', Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ')), undefined);
    assert.match(imageSignatureProblem('image/jpeg', png) ?? '', /a image\/png image, not image\/jpeg/);
    assert.match(
      imageSignatureProblem('image/svg+xml', Buffer.from('<svg/>')) ?? '',
      /not an image type the server can check/,
    );
  });

  it('matches accept rules as the HTML attribute does, and bounds rules by the options', () => {
    const file = { name: 'Photo.JPG', type: 'image/jpeg' };
    assert.ok(accepted([], file));
    assert.ok(accepted(['image/*'], file));
    assert.ok(accepted(['.jpg'], file));
    assert.ok(!accepted(['image/png', '.png'], file));
    const bounds = { maxUploadFileBytes: 1000, maxUploadFiles: 5 };
    assert.deepEqual(parseRules('{"maxFileSize":5000,"maxFiles":2,"accept":["IMAGE/*"]}', bounds), {
      maxFileSize: 1000,
      maxFiles: 2,
      accept: ['image/*'],
    });
    assert.equal(parseRules('{"maxFiles":-1}', bounds), 'maxFiles must be a whole number > 0');
  });

  it('refuses declarations and chunks that are not well formed', () => {
    const p = 'A'.repeat(22);
    assert.match(String(parseUploadStart(p, 'short', 'n', [])), /'u' must be an upload id/);
    assert.match(String(parseUploadStart(p, 'abcdefgh', 'a b', [])), /'n' must be an upload name/);
    assert.match(String(parseUploadStart(p, 'abcdefgh', 'n', [])), /'f' must list 1 to 1000 files/);
    assert.match(String(parseUploadStart(p, 'abcdefgh', 'n', [{ n: 'a', s: -1, t: '' }])), /'s' must be its size/);
    assert.match(String(parseChunk(Buffer.from([0]))), /header length/);
    assert.match(String(parseChunk(Buffer.from([0, 200, 1, 2]))), /must fit in the frame/);
    const frame = Buffer.concat([chunkHead({ p, u: 'abcdefgh', f: 0, o: 3 }), Buffer.from('xyz')]);
    const parsed = parseChunk(frame);
    assert.ok(typeof parsed !== 'string');
    assert.deepEqual(parsed.header, { p, u: 'abcdefgh', f: 0, o: 3 });
    assert.equal(parsed.bytes.toString(), 'xyz');
  });
});

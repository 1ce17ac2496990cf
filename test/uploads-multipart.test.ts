import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { pagewire, type Pagewire } from '../lib/index.js';
import { memoryLogger, scriptsFolder } from './helpers/fixtures.js';
import { mulberry32, TEST_SEED } from './helpers/random.js';

const folder = scriptsFolder({
  // Reads each file back through its jailed fs, as base64: the bytes the script got.
  'form.ts': `import fs from 'fs';
const files = {};
for (const [field, list] of Object.entries(request.files)) {
  files[field] = list.map((f) =>
    ({ ...f, base64: fs.readFileSync(f.path, 'base64'), inside: f.path.startsWith(__dirname) }));
}
response.headers['content-type'] = 'application/json';
echo(JSON.stringify({ body: request.body ?? null, files }));`,
  // Keeps the file it was sent by moving it into dataDir.
  'keep.ts': `import fs from 'fs';
const file = request.files.doc?.[0];
fs.mkdirSync(__dirname + '/_data/kept', { recursive: true });
if (file) fs.renameSync(file.path, __dirname + '/_data/kept/' + file.name);
echo(file ? 'kept ' + file.name : 'none');`,
});
after(() => folder.remove());
const uploads = path.join(folder.dir, '_data', '.uploads');
// The request folders in each server's own folder (`<host>-<pid>-<tokens>`, kept while it runs).
const leftovers = () =>
  existsSync(uploads) ? readdirSync(uploads).flatMap((own) => readdirSync(path.join(uploads, own))) : [];

const random = mulberry32(TEST_SEED);
const bytesOf = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytesOf(100)]);

interface Seen {
  body: Record<string, unknown>;
  files: Record<
    string,
    { name: string; size: number; type: string; sha256: string; base64: string; inside: boolean }[]
  >;
}

describe('multipart POST (busboy): request.body and request.files', () => {
  let wire: Pagewire;
  let app: express.Express;
  before(() => {
    wire = pagewire({
      dir: folder.dir,
      workers: 0,
      maxUploadFileBytes: 200_000,
      maxUploadFiles: 3,
      logger: memoryLogger(),
    });
    app = express();
    app.use(wire);
  });
  after(() => wire.close());

  it('gives a binary file byte for byte, with its hash, beside the fields; then removes it', async () => {
    const binary = bytesOf(10_000);
    const res = await request(app)
      .post('/form')
      .field('title', 'été')
      .field('tag', 'a')
      .field('tag', 'b')
      .attach('doc', binary, { filename: `../../etc/${'x'.repeat(300)}.bin`, contentType: 'application/octet-stream' })
      .attach('pics', PNG, { filename: 'a.png', contentType: 'image/png' })
      .attach('pics', PNG, { filename: 'b.png', contentType: 'image/png' })
      .expect(200);
    const seen = res.body as Seen;
    assert.deepEqual(seen.body, { title: 'été', tag: ['a', 'b'] });
    const doc = seen.files.doc?.[0];
    assert.ok(doc);
    assert.equal(Buffer.from(doc.base64, 'base64').compare(binary), 0, 'the bytes arrived intact');
    assert.equal(doc.size, 10_000);
    assert.equal(doc.sha256, sha256(binary));
    assert.equal(doc.name, `${'x'.repeat(196)}.bin`, 'no folder; 200 bytes at most, the extension kept');
    assert.equal(doc.inside, true, 'the temporary file is inside the scripts folder (its dataDir)');
    assert.deepEqual(
      seen.files.pics?.map((f) => [f.name, f.type, f.size]),
      [
        ['a.png', 'image/png', PNG.length],
        ['b.png', 'image/png', PNG.length],
      ],
    );
    assert.deepEqual(leftovers(), [], 'the request folder is removed once answered');
  });

  it('keeps a file the script moved', async () => {
    const bytes = bytesOf(5000);
    await request(app).post('/keep').attach('doc', bytes, 'report.pdf').expect(200, 'kept report.pdf');
    assert.equal(readFileSync(path.join(folder.dir, '_data', 'kept', 'report.pdf')).compare(bytes), 0);
    assert.deepEqual(leftovers(), []);
  });

  it('answers 413 past maxUploadFileBytes or maxUploadFiles, 415 for an image whose bytes are not one', async () => {
    const big = await request(app).post('/form').attach('doc', bytesOf(200_001), 'big.bin').expect(413);
    assert.match(big.text, /'big\.bin' is larger than 200000 bytes \(maxUploadFileBytes\)/);
    const many = request(app).post('/form');
    for (let i = 0; i < 4; i++) many.attach('doc', bytesOf(10), `f${i}.bin`);
    assert.match((await many.expect(413)).text, /more than 3 files \(maxUploadFiles\)/);
    const fake = await request(app)
      .post('/form')
      .attach('pic', Buffer.from('<script>alert(1)</script>'), { filename: 'x.png', contentType: 'image/png' })
      .expect(415);
    assert.match(fake.text, /'x\.png' was refused: its bytes are no image the server knows, not image\/png/);
    const jpeg = await request(app)
      .post('/form')
      .attach('pic', PNG, { filename: 'x.jpg', contentType: 'image/jpeg' })
      .expect(415);
    assert.match(jpeg.text, /a image\/png image, not image\/jpeg/);
    const nul = await request(app).post('/form').attach('doc', bytesOf(10), 'a\u0000b.bin').expect(400);
    assert.match(nul.text, /the multipart body is not valid: Malformed part header/);
    // A multipart type without its boundary is a malformed body too, never a text body to render.
    const unbounded = await request(app)
      .post('/form')
      .set('content-type', 'multipart/form-data')
      .send('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--')
      .expect(400);
    assert.match(unbounded.text, /not a multipart body: .*[Bb]oundary/);
    assert.deepEqual(leftovers(), [], 'nothing left of refused requests');
  });

  it('counts its bytes in the uploads under way of its session, and gives them back', async () => {
    const bounded = pagewire({ dir: folder.dir, workers: 0, maxUploadSessionBytes: 50_000, logger: memoryLogger() });
    try {
      const refused = await request(bounded).post('/form').attach('doc', bytesOf(60_000), 'big.bin').expect(413);
      assert.match(
        refused.text,
        /bytes of uploads under way for this session, more than 50000 \(maxUploadSessionBytes\)/,
      );
      for (let i = 0; i < 3; i++)
        await request(bounded).post('/form').attach('doc', bytesOf(40_000), 'ok.bin').expect(200);
      assert.equal(bounded.stats().uploads.reservedBytes, 0);
      assert.deepEqual(leftovers(), []);
    } finally {
      await bounded.close();
    }
  });

  it("uses the files an earlier middleware (multer's shape) already parsed", async () => {
    const bytes = bytesOf(3000);
    const withMulter = express();
    withMulter.use((req, _res, next) => {
      const parsed = req as unknown as { body: unknown; file: unknown };
      parsed.body = { note: 'from multer' };
      parsed.file = { fieldname: 'doc', originalname: 'm.bin', mimetype: 'application/octet-stream', buffer: bytes };
      req.resume();
      next();
    });
    withMulter.use(wire);
    const res = await request(withMulter).post('/form').send('x').expect(200);
    const seen = res.body as Seen;
    assert.deepEqual(seen.body, { note: 'from multer' });
    assert.equal(Buffer.from(seen.files.doc?.[0]?.base64 ?? '', 'base64').compare(bytes), 0);
    assert.equal(seen.files.doc?.[0]?.sha256, sha256(bytes));
  });
});

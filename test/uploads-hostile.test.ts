import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_FILES_PER_PAGE } from '../lib/uploads/upload-hub.js';
import { chunkHead } from '../protocol/uploads.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { mulberry32, TEST_SEED } from './helpers/random.js';
import { joinPage, renderLive, type SocketClient, startServer, type TestServer } from './helpers/server.js';

const UP = `const tell = (name) => (data) => server_socket_event(name, data);
page.allowUpload('docs', { maxFileSize: 100_000, maxFiles: 2, onFile: tell('file'), onError: tell('upload-error') });
page.allowUpload('pics', { accept: ['image/*'], onFile: tell('file'), onError: tell('upload-error') });
page.allowUpload('quiet', { maxFiles: 20 });
echo('<p>uploads</p>');`;

const random = mulberry32(TEST_SEED);
const bytesOf = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
let ids = 0;
const newId = () => `upload${String(++ids).padStart(4, '0')}`;

describe('live uploads: hostile chunks, names and limits (a real ws client)', { timeout: 120_000 }, () => {
  const folder = scriptsFolder({ 'up.ts': UP });
  const uploads = path.join(folder.dir, '_data', '.uploads');
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: folder.dir, maxUploadSessionBytes: 150_000 });
  });
  after(async () => {
    await server?.close();
    folder.remove();
  });

  const open = async (on: TestServer = server) => {
    const { pageId, cookie } = await renderLive(on.url, '/up');
    return { pageId, cookie, client: await joinPage(on.origin, pageId, cookie) };
  };
  const declare = (client: SocketClient, p: string, n: string, files: [string, number, string][], u = newId()) => {
    client.send({ t: 'up', p, u, n, f: files.map(([name, s, t]) => ({ n: name, s, t })) });
    return u;
  };
  const chunk = (client: SocketClient, p: string, u: string, f: number, o: number, bytes: Buffer) =>
    client.ws.send(Buffer.concat([chunkHead({ p, u, f, o }), bytes]), { binary: true });
  const answer = (client: SocketClient, u: string) => client.next((f) => f.u === u && (f.t === 'up' || f.t === 'upx'));
  const pushed = (client: SocketClient, n: string, index = 0) =>
    client
      .next(() => client.frames.filter((f) => f.t === 'push' && f.n === n).length > index)
      .then(() => client.frames.filter((f) => f.t === 'push' && f.n === n)[index]?.d as Record<string, unknown>);
  // A page's folder is in its server's own (`<host>-<pid>-<tokens>`), the one folder in `.uploads` here.
  const pageFolder = (pageId: string) =>
    path.join(uploads, existsSync(uploads) ? (readdirSync(uploads)[0] ?? '-') : '-', `page-${pageId}`);
  const filesOf = (pageId: string) => {
    const dir = pageFolder(pageId);
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it("makes hostile names safe, keeps every byte inside the page's folder, and removes it with the page", async () => {
    const { pageId, client } = await open();
    const bytes = bytesOf(70_000);
    const long = `${'é'.repeat(150)}.txt`;
    const u = declare(client, pageId, 'docs', [
      ['../../etc/pass\u0000wd', bytes.length, ''],
      [long, 10, 'text/plain'],
    ]);
    assert.deepEqual((await answer(client, u)).o, [0, 0]);
    chunk(client, pageId, u, 0, 0, bytes.subarray(0, 40_000));
    chunk(client, pageId, u, 0, 40_000, bytes.subarray(40_000));
    chunk(client, pageId, u, 1, 0, Buffer.from('0123456789'));
    const first = await pushed(client, 'file', 0);
    const second = await pushed(client, 'file', 1);
    assert.equal(first.name, 'passwd');
    assert.equal(first.sha256, sha256(bytes));
    assert.ok(Buffer.byteLength(String(second.name)) <= 200 && String(second.name).endsWith('.txt'));
    for (const file of [first, second]) {
      assert.equal(path.dirname(String(file.path)), pageFolder(pageId));
    }
    assert.equal(filesOf(pageId).length, 2);
    client.send({ t: 'bye', p: pageId });
    await waitFor(() => !existsSync(pageFolder(pageId)), "the page's folder removed");
    await client.close();
  });

  it('refuses chunks of an upload never started, or of another page', async () => {
    const mine = await open();
    const theirs = await open();
    const before = server.wire.stats().uploads.chunks;
    chunk(mine.client, mine.pageId, newId(), 0, 0, Buffer.from('x'));
    const refused = await mine.client.next((f) => f.code === 'BAD_MESSAGE');
    assert.match(String(refused.message), /no upload under way by that id on this socket/);
    const u = declare(theirs.client, theirs.pageId, 'docs', [['a.txt', 5, 'text/plain']]);
    await answer(theirs.client, u);
    // Their page and upload id, on my socket: not mine to write.
    chunk(mine.client, theirs.pageId, u, 0, 0, Buffer.from('stolen'));
    await mine.client.next(() => mine.client.frames.filter((f) => f.code === 'BAD_MESSAGE').length === 2);
    // A declaration for their page on my socket is refused too.
    const v = declare(mine.client, theirs.pageId, 'docs', [['b.txt', 5, 'text/plain']]);
    assert.match(String((await answer(mine.client, v)).message), /the page has not joined this socket/);
    assert.equal(server.wire.stats().uploads.chunks, before);
    assert.deepEqual(filesOf(theirs.pageId), []);
    // Their page ends: its upload under way gives back the bytes it reserved.
    theirs.client.send({ t: 'bye', p: theirs.pageId });
    await waitFor(() => server.wire.stats().uploads.reservedBytes === 0, 'the bytes reserved given back');
    await mine.client.close();
    await theirs.client.close();
  });

  it('fails an upload whose chunk is out of order, or whose bytes pass its declared size; its file goes', async () => {
    const { pageId, client } = await open();
    const u = declare(client, pageId, 'docs', [['a.bin', 1000, '']]);
    await answer(client, u);
    chunk(client, pageId, u, 0, 0, bytesOf(100));
    chunk(client, pageId, u, 0, 500, bytesOf(100));
    const failed = await client.next((f) => f.t === 'upx' && f.u === u);
    assert.equal(failed.code, 'UPLOAD_FAILED');
    assert.equal(failed.message, 'chunk out of order: expected file 0 at byte 100');
    assert.equal((await pushed(client, 'upload-error')).message, failed.message);
    const v = declare(client, pageId, 'docs', [['b.bin', 100, '']]);
    await answer(client, v);
    chunk(client, pageId, v, 0, 0, bytesOf(150));
    const lied = await client.next((f) => f.t === 'upx' && f.u === v);
    assert.equal(lied.message, "'b.bin' sent more bytes than its declared size (100)");
    await waitFor(() => filesOf(pageId).length === 0, 'the failed uploads removed');
    assert.equal(server.wire.stats().uploads.reservedBytes, 0);
    await client.close();
  });

  it('fails an upload whose client stopped sending (uploadStallTimeout), and removes its file', async () => {
    // Its own server: a stall this short would fail the other tests' uploads on a loaded machine.
    const stalling = await startServer({ dir: folder.dir, uploadStallTimeout: 300 });
    try {
      const { pageId, client } = await open(stalling);
      const u = declare(client, pageId, 'docs', [['slow.bin', 1000, '']]);
      await answer(client, u);
      // Its first bytes, then nothing (they may even come after the stall: refused then).
      chunk(client, pageId, u, 0, 0, bytesOf(100));
      const stalled = await client.next((f) => f.t === 'upx' && f.u === u);
      assert.equal(stalled.message, 'no bytes for 300 ms (uploadStallTimeout)');
      assert.equal((await pushed(client, 'upload-error')).file, 'slow.bin');
      await waitFor(() => filesOf(pageId).length === 0, 'the stalled upload removed');
      await client.close();
    } finally {
      await stalling.close();
    }
  });

  it('refuses past its limits before any byte: name, count, size, type, bytes under way', async () => {
    const { pageId, client } = await open();
    const refusals: [string, [string, number, string][], RegExp][] = [
      ['nope', [['a', 1, '']], /the page allows no upload named 'nope'/],
      [
        'docs',
        [
          ['a', 1, ''],
          ['b', 1, ''],
          ['c', 1, ''],
        ],
        /3 files, more than 2 \(maxFiles/,
      ],
      ['docs', [['big', 100_001, '']], /'big' is 100001 bytes, more than 100000/],
      [
        'pics',
        [['a.pdf', 10, 'application/pdf']],
        /'a\.pdf' \(application\/pdf\) is not among the accepted types \(image\/\*\)/,
      ],
    ];
    for (const [name, files, reason] of refusals) {
      const u = declare(client, pageId, name, files);
      const refused = await answer(client, u);
      assert.equal(refused.code, 'UPLOAD_REFUSED');
      assert.match(String(refused.message), reason);
    }
    const held = declare(client, pageId, 'docs', [['one', 90_000, '']]);
    assert.equal((await answer(client, held)).t, 'up');
    const over = declare(client, pageId, 'docs', [['two', 90_000, '']]);
    assert.match(
      String((await answer(client, over)).message),
      /180000 bytes of uploads under way for this session, more than 150000 \(maxUploadSessionBytes\)/,
    );
    // An image whose bytes are not its type: refused by its first chunk.
    const fake = declare(client, pageId, 'pics', [['x.png', 40, 'image/png']]);
    await answer(client, fake);
    chunk(client, pageId, fake, 0, 0, Buffer.from('GIF89a'.padEnd(40, '\u0000')));
    const failed = await client.next((f) => f.t === 'upx' && f.u === fake);
    assert.equal(failed.message, "'x.png' was refused: its bytes are a image/gif image, not image/png as claimed");
    await client.close();
  });

  it('fails a declaration it cannot read (bad name, a file without a name, no files): the browser hears', async () => {
    const { pageId, client } = await open();
    const malformed: [unknown, unknown, RegExp][] = [
      ['../x', [{ n: 'a', s: 1, t: '' }], /'n' must be an upload name/],
      ['docs', [{ s: 3, t: '' }], /each file's 'n' must be a name .*a Blob has not/],
      ['docs', [], /'f' must list 1 to 1000 files/],
    ];
    for (const [n, f, reason] of malformed) {
      const u = newId();
      client.send({ t: 'up', p: pageId, u, n, f });
      // Answered for that upload (`upx`): a plain refusal would leave its promise waiting for ever.
      const refused = await answer(client, u);
      assert.equal(refused.t, 'upx');
      assert.equal(refused.code, 'UPLOAD_REFUSED');
      assert.match(String(refused.message), reason);
    }
    await client.close();
  });

  it('cancels an upload from its own socket only (upc): its partial file goes, the script hears it', async () => {
    const mine = await open();
    const theirs = await open();
    const bytes = bytesOf(50_000);
    // Other tests' pages still hold theirs: this upload's bytes are given back to what was reserved before.
    const reserved = server.wire.stats().uploads.reservedBytes;
    const u = declare(theirs.client, theirs.pageId, 'docs', [['a.bin', bytes.length, '']]);
    await answer(theirs.client, u);
    chunk(theirs.client, theirs.pageId, u, 0, 0, bytes.subarray(0, 10_000));
    await theirs.client.next((f) => f.t === 'upa' && f.o === 10_000);
    // Their page and upload, cancelled from my socket: nothing happens; a malformed id is refused.
    mine.client.send({ t: 'upc', p: theirs.pageId, u });
    mine.client.send({ t: 'upc', p: mine.pageId, u: '../x' });
    assert.match(String((await mine.client.next((f) => f.code === 'BAD_MESSAGE')).message), /'u' must be an upload id/);
    chunk(theirs.client, theirs.pageId, u, 0, 10_000, bytes.subarray(10_000, 20_000));
    await theirs.client.next((f) => f.t === 'upa' && f.o === 20_000);
    assert.equal(filesOf(theirs.pageId).length, 1);
    theirs.client.send({ t: 'upc', p: theirs.pageId, u });
    const cancelled = await theirs.client.next((f) => f.t === 'upx' && f.u === u);
    assert.equal(cancelled.code, 'UPLOAD_CANCELLED');
    const heard = await pushed(theirs.client, 'upload-error');
    assert.deepEqual([heard.code, heard.file], ['UPLOAD_CANCELLED', 'a.bin']);
    await waitFor(() => filesOf(theirs.pageId).length === 0, 'the partial file removed');
    assert.equal(server.wire.stats().uploads.reservedBytes, reserved, 'the bytes reserved given back');
    await mine.client.close();
    await theirs.client.close();
  });

  it("takes a cancel from the page's new socket after a reconnection, before it is declared again", async () => {
    const { pageId, cookie, client } = await open();
    const reserved = server.wire.stats().uploads.reservedBytes;
    const u = declare(client, pageId, 'docs', [['cut.bin', 50_000, '']]);
    await answer(client, u);
    chunk(client, pageId, u, 0, 0, bytesOf(10_000));
    await client.next((f) => f.t === 'upa' && f.o === 10_000);
    // The page comes back on a new socket; the page's code aborts the upload before it is declared again.
    const back = await joinPage(server.origin, pageId, cookie);
    back.send({ t: 'upc', p: pageId, u });
    assert.equal((await back.next((f) => f.t === 'upx' && f.u === u)).code, 'UPLOAD_CANCELLED');
    assert.equal(server.wire.stats().uploads.reservedBytes, reserved, 'the bytes reserved given back');
    await waitFor(() => filesOf(pageId).length === 0, 'the partial file removed');
    await client.close();
    await back.close();
  });

  it("removes a whole file cancelled while it was flushed: not the script's, and no longer counted", async () => {
    const { pageId, client } = await open();
    // Other tests' pages still hold theirs: each cancel gives back what this upload reserved.
    const reserved = server.wire.stats().uploads.reservedBytes;
    // The last chunk and the cancel together: the file is complete, not yet handed to the script.
    for (let round = 0; round < 3; round++) {
      const u = declare(client, pageId, 'docs', [
        [`whole${round}.bin`, 90_000, ''],
        ['next.bin', 10, ''],
      ]);
      assert.equal((await answer(client, u)).t, 'up');
      chunk(client, pageId, u, 0, 0, bytesOf(45_000));
      chunk(client, pageId, u, 0, 45_000, bytesOf(45_000));
      client.send({ t: 'upc', p: pageId, u });
      assert.equal((await client.next((f) => f.t === 'upx' && f.u === u)).code, 'UPLOAD_CANCELLED');
      assert.equal(server.wire.stats().uploads.reservedBytes, reserved);
    }
    // Left in the page's folder: only files the script was handed (their pushes may come later).
    const handed = () =>
      client.frames
        .filter((f) => f.t === 'push' && f.n === 'file')
        .map((f) => path.basename(String((f.d as { path?: string } | undefined)?.path)));
    await waitFor(() => filesOf(pageId).every((name) => handed().includes(name)), 'the cancelled files removed');
    client.send({ t: 'bye', p: pageId });
    await client.close();
  });

  it('counts maxFiles per upload: the same name takes another upload of as many files', async () => {
    const { pageId, client } = await open();
    const two: [string, number, string][] = [
      ['a', 1, ''],
      ['b', 1, ''],
    ];
    for (let i = 0; i < 3; i++) {
      const u = declare(client, pageId, 'docs', two);
      assert.deepEqual(await answer(client, u), { t: 'up', p: pageId, u, o: [0, 0] }, `upload ${i + 1} of two files`);
      chunk(client, pageId, u, 0, 0, Buffer.from('1'));
      chunk(client, pageId, u, 1, 0, Buffer.from('2'));
      await pushed(client, 'file', 2 * i + 1);
    }
    client.send({ t: 'bye', p: pageId });
    await waitFor(() => !existsSync(pageFolder(pageId)), "the page's folder removed");
    await client.close();
  });

  it('refuses more than MAX_FILES_PER_PAGE files to one page, empty ones too', async () => {
    const { pageId, client } = await open();
    const empties = Array.from({ length: 20 }, (_, i): [string, number, string] => [`e${i}`, 0, '']);
    for (let i = 0; i < MAX_FILES_PER_PAGE / 20; i++) {
      const u = declare(client, pageId, 'quiet', empties);
      assert.equal((await answer(client, u)).t, 'up');
    }
    const u = declare(client, pageId, 'quiet', [['one-more', 0, '']]);
    assert.equal((await answer(client, u)).message, `more than ${MAX_FILES_PER_PAGE} files sent to this page`);
    client.send({ t: 'bye', p: pageId });
    await waitFor(() => !existsSync(pageFolder(pageId)), "the page's folder removed");
    await client.close();
  });

  it('refuses client events named pw:, and ends a socket that sends many refused chunks', async () => {
    const { pageId, client } = await open();
    client.send({ t: 'ev', p: pageId, s: 1, n: 'pw:upload', d: { kind: 'file', name: 'docs' } });
    const refused = await client.next((f) => f.code === 'BAD_MESSAGE');
    assert.match(String(refused.message), /'n' must not start with 'pw:'/);
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    for (let i = 0; i < 20; i++) chunk(client, pageId, newId(), 0, 0, Buffer.from('x'));
    assert.equal(await closed, 1008);
  });
});

import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { chunkHead } from '../protocol/uploads.js';
import { FAILURE_REPORT_MS, scriptsFolder, waitFor } from './helpers/fixtures.js';
import { mulberry32, TEST_SEED } from './helpers/random.js';
import { joinPage, renderLive, type SocketClient } from './helpers/server.js';

const root = path.join(import.meta.dirname, '..');
const UP = `import fs from 'fs';
page.allowUpload('docs', {
  onFile(file) {
    if (file.name === 'keep.bin') fs.renameSync(file.path, __dirname + '/_data/kept.bin');
    server_socket_event('file', file);
  },
});
echo('<p>uploads</p>');`;

const random = mulberry32(TEST_SEED);
const bytesOf = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  origin: string;
  output: () => string;
  exited: Promise<unknown>;
}

/** `pagewire serve dir` as a child process, once it printed its URL (its start's sweep is done by then). */
async function serve(dir: string): Promise<Served> {
  const child = spawn(process.execPath, ['bin/pagewire.js', 'serve', dir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: root,
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL after ${FAILURE_REPORT_MS} ms: ${output}`)),
      FAILURE_REPORT_MS,
    );
    child.stdout.on('data', () => {
      const found = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
  return { child, url, origin: url, output: () => output, exited };
}

/** Declares an upload of one file and sends its first chunk; resolves once its bytes are on disk. */
async function startUpload(on: Served, name: string, bytes: Buffer, sent: number): Promise<SocketClient> {
  const { pageId, cookie } = await renderLive(on.url, '/up');
  const client = await joinPage(on.origin, pageId, cookie);
  const u = `upload-${name.replace('.', '_')}`;
  client.send({ t: 'up', p: pageId, u, n: 'docs', f: [{ n: name, s: bytes.length, t: '' }] });
  await client.next((f) => f.t === 'up' && f.u === u);
  const head = chunkHead({ p: pageId, u, f: 0, o: 0 });
  client.ws.send(Buffer.concat([head, bytes.subarray(0, sent)]), { binary: true });
  if (sent < bytes.length) await client.next((f) => f.t === 'upa' && f.u === u);
  else await client.next((f) => f.t === 'push' && f.n === 'file');
  return client;
}

/** Every file under `folder`, by its path relative to it. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)));
}

describe('temporary uploads of a process killed mid-upload (the CLI, SIGKILL)', { timeout: 180_000 }, () => {
  const folder = scriptsFolder({ 'up.ts': UP });
  const uploads = path.join(folder.dir, '_data', '.uploads');
  const started: Served[] = [];
  after(async () => {
    for (const served of started) served.child.kill('SIGKILL');
    await Promise.all(started.map((served) => served.exited));
    folder.remove();
  });
  const start = async () => {
    const served = await serve(folder.dir);
    started.push(served);
    return served;
  };

  it("removes a killed process's folder at the next start; a live one's and a moved file stay", async () => {
    const killed = await start();
    const live = await start();
    await startUpload(killed, 'keep.bin', bytesOf(3000), 3000);
    const big = bytesOf(500_000);
    await startUpload(killed, 'partial.bin', big, 40_000);
    const theirs = bytesOf(300_000);
    await startUpload(live, 'theirs.bin', theirs, 30_000);
    await waitFor(() => filesUnder(uploads).length === 2, 'both partial files on disk');
    const [killedFolder, liveFolder] = [killed, live].map((served) => {
      const own = readdirSync(uploads).find((name) => name.includes(`-${served.child.pid}-`));
      assert.ok(own, `a folder named for pid ${served.child.pid} in ${readdirSync(uploads).join(', ')}`);
      return own;
    });
    assert.ok(killedFolder && liveFolder);
    assert.match(
      killedFolder,
      new RegExp(`^${hostname().replace(/[^A-Za-z0-9._]/g, '_')}-\\d+-[0-9a-f]{8}-[0-9a-f]{8}$`),
    );
    const liveFiles = filesUnder(path.join(uploads, liveFolder));
    assert.equal(liveFiles.length, 1);

    killed.child.kill('SIGKILL');
    await killed.exited;
    assert.equal(filesUnder(path.join(uploads, killedFolder)).length, 1, 'the killed process left its partial file');

    const next = await start();
    assert.equal(existsSync(path.join(uploads, killedFolder)), false, "the killed process's folder is gone");
    assert.match(next.output(), /removed the temporary uploads of a process that is gone/);
    assert.deepEqual(filesUnder(path.join(uploads, liveFolder)), liveFiles, "the live process's files are untouched");
    assert.equal(readFileSync(path.join(folder.dir, '_data', 'kept.bin')).length, 3000, 'the moved file is kept');

    // A closed server removes its own folder.
    next.child.kill('SIGTERM');
    await next.exited;
    assert.deepEqual(readdirSync(uploads), [liveFolder]);
  });
});

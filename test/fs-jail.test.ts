// The file-system jail and imports that never leave the scripts folder (issue 12, parts 1-2),
// written as the attacks: a script that does with `fs` what a user-supplied file name makes it
// do. Each runs with scripts in a worker thread and in the server's thread (workers: 0).
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pagewire } from '../lib/index.js';
import { fetchPage, startServer, type TestServer } from './helpers/server.js';

/** Does `op` on `path` with the script's own `fs`, as a buggy script would with a query. */
const ATTACK = `import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
const q = request.query as Record<string, string>;
const p = q.path ?? '';
try {
  if (q.op === 'read') echo('OK:' + fs.readFileSync(p, 'utf8'));
  else if (q.op === 'read-promises') echo('OK:' + (await fsp.readFile(p, 'utf8')));
  else if (q.op === 'read-callback') {
    const read = new Promise((resolve, reject) => fs.readFile(p, 'utf8', (e, d) => (e ? reject(e) : resolve(d))));
    echo('OK:' + (await read));
  } else if (q.op === 'open') echo('OK:fd ' + fs.openSync(p, 'r'));
  else if (q.op === 'write') { fs.writeFileSync(p, q.data ?? 'x'); echo('OK:written'); }
  else if (q.op === 'mkdir') { fs.mkdirSync(p, { recursive: true }); echo('OK:made'); }
  else if (q.op === 'symlink') { fs.symlinkSync(q.data ?? '', p); echo('OK:linked'); }
  else if (q.op === 'fstat') echo('OK:size ' + fs.fstatSync(Number(p)).size);
  else if (q.op === 'fd-object') {
    // A JSON body handed to fs as a path, with an fd the script opened: {"fd":N,"href":"file:…",…}.
    const fd = fs.openSync(__dirname + '/public.txt', 'r');
    const shaped = { fd, href: 'file://' + p, protocol: 'file:', hostname: '', pathname: p };
    try { fs.writeFileSync(shaped as never, q.data ?? 'x'); } finally { fs.closeSync(fd); }
    echo('OK:written');
  } else if (q.op === 'fchmod') {
    const fd = fs.openSync(p, 'r');
    try { fs.fchmodSync(fd, 0o666); } finally { fs.closeSync(fd); }
    echo('OK:changed');
  } else if (q.op === 'race') {
    // A relative link made deep in dataDir points inside; renamed to a shallow folder, outside.
    // Then a checked folder is swapped for it while the thread pool holds back the open.
    const d = p;
    const depth = d.split('/').length - 1;
    const deep = d + '/deep/' + 'x/'.repeat(depth);
    fs.mkdirSync(deep, { recursive: true });
    fs.symlinkSync('../'.repeat(depth) + 'etc', deep + 'l');
    fs.renameSync(deep + 'l', d + '/esc');
    let text = 'decoy';
    for (let i = 0; i < 10 && text === 'decoy'; i++) {
      fs.rmSync(d + '/a', { recursive: true, force: true });
      fs.mkdirSync(d + '/a');
      fs.writeFileSync(d + '/a/hostname', 'decoy');
      for (let k = 0; k < 4; k++) crypto.pbkdf2('p', 's', 50_000, 32, 'sha256', () => {});
      const reading = fsp.readFile(d + '/a/hostname', 'utf8');
      fs.renameSync(d + '/a', d + '/old');
      fs.renameSync(d + '/esc', d + '/a');
      text = await reading.catch(() => 'decoy');
      fs.renameSync(d + '/a', d + '/esc');
      fs.rmSync(d + '/old', { recursive: true, force: true });
    }
    echo(text === 'decoy' ? 'REFUSED:race lost' : 'OK:' + text);
  } else if (q.op === 'handle') {
    const handle = await fsp.open(p);
    try { echo('OK:' + (await fsp.readFile(handle, 'utf8'))); } finally { await handle.close(); }
  }
  else if (q.op === 'stream') {
    const chunks: string[] = [];
    for await (const chunk of new fs.ReadStream(p, 'utf8')) chunks.push(String(chunk));
    echo('OK:' + chunks.join(''));
  }
} catch (error) {
  echo('REFUSED:' + (error as { code?: string }).code + ':' + (error as Error).message);
}
`;

const MODES = [
  { name: 'in a worker thread', workers: 1 },
  { name: "in the server's thread (workers: 0)", workers: 0 },
];

for (const mode of MODES) {
  describe(`fs jail, scripts ${mode.name}`, () => {
    let app: string;
    let scripts: string;
    let server: TestServer;
    const run = async (op: string, target: string, data?: string) => {
      const query = new URLSearchParams({ op, path: target, ...(data === undefined ? {} : { data }) });
      const { status, body } = await fetchPage(server.url, `/attack?${query}`);
      assert.equal(status, 200, body);
      return body;
    };
    const refused = async (op: string, target: string, secret: string | RegExp, data?: string) => {
      const body = await run(op, target, data);
      assert.match(body, /^REFUSED:EACCES:EACCES: Pagewire's file-system jail refused/, body);
      assert.doesNotMatch(body, typeof secret === 'string' ? new RegExp(secret) : secret);
      return body;
    };

    before(async () => {
      app = realpathSync(mkdtempSync(path.join(tmpdir(), 'pagewire-jail-')));
      scripts = path.join(app, 'scripts');
      mkdirSync(path.join(app, 'dist'), { recursive: true });
      mkdirSync(scripts);
      writeFileSync(path.join(app, '.env'), 'SESSION_SECRET=app-dotenv-secret\n');
      writeFileSync(path.join(app, 'outside.txt'), 'outside-secret');
      writeFileSync(path.join(app, 'outside-partial.ts'), `export const where = 'outside-partial-ran';\n`);
      writeFileSync(path.join(app, 'dist', 'server.js'), "// stands for Pagewire's own dist/\n");
      writeFileSync(path.join(scripts, 'attack.ts'), ATTACK);
      writeFileSync(path.join(scripts, 'public.txt'), 'public-words');
      writeFileSync(path.join(scripts, '.env'), 'DB_PASSWORD=scripts-dotenv-secret\n');
      writeFileSync(path.join(scripts, '_secret.ts'), `export const key = 'partial-source-secret';\n`);
      writeFileSync(
        path.join(scripts, 'uncaught.ts'),
        `import fs from 'node:fs';\necho(fs.readFileSync('/etc/passwd', 'utf8'));\n`,
      );
      writeFileSync(path.join(scripts, 'through-link.ts'), `import { where } from './_linked.ts';\necho(where);\n`);
      writeFileSync(path.join(scripts, 'inside-import.ts'), `import { key } from './_secret.ts';\necho(key.length);\n`);
      symlinkSync(path.join(app, 'outside.txt'), path.join(scripts, 'link-out.txt'));
      symlinkSync(path.join(app, 'outside-partial.ts'), path.join(scripts, '_linked.ts'));
      symlinkSync(path.join(scripts, '_secret.ts'), path.join(scripts, '_alias.ts'));
      writeFileSync(path.join(scripts, 'alias-import.ts'), `import { key } from './_alias.ts';\necho(key);\n`);
      writeFileSync(path.join(scripts, 'data-import.ts'), `import { code } from './_data/code.ts';\necho(code);\n`);
      server = await startServer({ dir: scripts, dev: true, workers: mode.workers });
    });
    after(async () => {
      await server?.close();
      rmSync(app, { recursive: true, force: true });
    });

    it('refuses /etc/passwd, with the error at the script line when the script does not catch it', async () => {
      await refused('read', '/etc/passwd', /root:/);
      await refused('read-promises', '/etc/passwd', /root:/);
      await refused('read-callback', '/etc/passwd', /root:/);
      await refused('stream', '/etc/passwd', /root:/);
      const { status, body } = await fetchPage(server.url, '/uncaught');
      assert.equal(status, 500);
      assert.match(body, /uncaught\.ts:2/);
      assert.match(body, /readDirs/);
      assert.doesNotMatch(body, /root:x:0/);
    });

    it('refuses /proc/self/environ and /proc/self/mem', async () => {
      const body = await refused('read', '/proc/self/environ', /PATH=/);
      assert.match(body, /\/proc, \/sys, \/dev are never open to scripts/);
      await refused('open', '/proc/self/mem', /OK:fd/);
    });

    it('refuses a .env beside the scripts and in their folder, and a private partial read through fs', async () => {
      await refused('read', path.join(app, '.env'), 'app-dotenv-secret');
      await refused('read', path.join(scripts, '.env'), 'scripts-dotenv-secret');
      const body = await refused('read', path.join(scripts, '_secret.ts'), 'partial-source-secret');
      assert.match(body, /only through import/);
      // The same partial imported: what it is for.
      assert.equal((await fetchPage(server.url, '/inside-import')).body, String("'partial-source-secret'".length - 2));
    });

    it('refuses ../ out of the scripts folder, and a symbolic link in it that points out', async () => {
      await refused('read', `${scripts}/../outside.txt`, 'outside-secret');
      const body = await refused('read', path.join(scripts, 'link-out.txt'), 'outside-secret');
      assert.match(body, /really '.*outside\.txt'/);
      assert.equal(await run('read', path.join(scripts, 'public.txt')), 'OK:public-words');
    });

    it("refuses a write beside the server's code and into the scripts folder", async () => {
      const dist = path.join(app, 'dist', 'server.js');
      const body = await refused('write', dist, /OK/, 'process.exit()');
      assert.match(body, /change the dataDir option/);
      await refused('write', path.join(scripts, 'evil.ts'), /OK/, 'echo(1)');
      assert.ok(!existsSync(path.join(scripts, 'evil.ts')));
    });

    it('writes and reads in dataDir, created on the first write', async () => {
      const dataDir = path.join(scripts, '_data');
      assert.ok(!existsSync(dataDir));
      assert.equal(await run('write', path.join(dataDir, 'notes.txt'), 'kept'), 'OK:written');
      assert.equal(await run('read', path.join(dataDir, 'notes.txt')), 'OK:kept');
      // Never served: dataDir is private.
      assert.equal((await fetch(`${server.url}/_data/notes.txt`)).status, 404);
    });

    it('refuses fs.symlink making a link in dataDir to outside', async () => {
      await run('mkdir', path.join(scripts, '_data', 'links'));
      await refused('symlink', path.join(scripts, '_data', 'links', 'etc'), /OK/, '/etc');
      // Today the link is made, and read through: root's line of /etc/passwd.
      assert.doesNotMatch(await run('read', path.join(scripts, '_data', 'links', 'etc', 'passwd')), /root:/);
    });

    it("refuses a file descriptor the script did not open (the server's)", async () => {
      await refused('fstat', '2', /OK/);
    });

    it('takes an object with an fd field and a file: URL shape for the path it names, not a descriptor', async () => {
      const target = path.join(app, 'pwned.txt');
      await refused('fd-object', target, /OK/, 'PWNED');
      assert.equal(existsSync(target), false);
      // A FileHandle the jail handed out is still one (vm2 hands the host object back).
      assert.equal(await run('handle', path.join(scripts, 'public.txt')), 'OK:public-words');
    });

    it('a relative link renamed out of its depth cannot be raced into a read outside dataDir', async () => {
      await run('mkdir', path.join(scripts, '_data', 'race'));
      const body = await run('race', path.join(scripts, '_data', 'race'));
      assert.doesNotMatch(body, /OK:/, 'read /etc/hostname through the jail');
      assert.equal(
        readlinkSync(path.join(scripts, '_data', 'race', 'esc')),
        path.join(scripts, '_data', 'race', 'deep', 'etc'),
      );
    });

    it('refuses fchmod through a descriptor opened for reading a script', async () => {
      const file = path.join(scripts, 'public.txt');
      const mode = statSync(file).mode;
      const body = await refused('fchmod', file, /OK/);
      assert.match(body, /opened for reading/);
      assert.equal(statSync(file).mode, mode);
    });

    it('refuses an import through a symbolic link that leaves the scripts folder', async () => {
      const { status, body: html } = await fetchPage(server.url, '/through-link');
      const body = html.replaceAll('&#39;', "'");
      assert.equal(status, 500);
      assert.doesNotMatch(body, /outside-partial-ran/);
      assert.match(
        body,
        /Cannot import '\.\/_linked\.ts' in through-link\.ts: _linked\.ts is really .*outside-partial\.ts/,
      );
      assert.match(body, /outside the scripts folder/);
    });

    it('imports through a link that stays in the scripts folder, never code from dataDir', async () => {
      assert.equal((await fetchPage(server.url, '/alias-import')).body, 'partial-source-secret');
      mkdirSync(path.join(scripts, '_data'), { recursive: true });
      writeFileSync(path.join(scripts, '_data', 'code.ts'), `export const code = 'data-code-ran';\n`);
      const { status, body } = await fetchPage(server.url, '/data-import');
      assert.equal(status, 500);
      assert.doesNotMatch(body, /data-code-ran/);
      assert.match(body, /is in dataDir, where scripts write data; code there never runs/);
    });
  });
}

describe('fs jail options', () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'pagewire-jail-options-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('refuses a dataDir the router would serve, and empty folders, naming the fix', async () => {
    assert.throws(
      () => pagewire({ dir: folder, workers: 0, logger: quiet, dataDir: 'uploads' }),
      /'dataDir' \(.*uploads\) is inside the scripts folder as 'uploads', whose files are served to anyone\. .*'_data'/,
    );
    assert.throws(() => pagewire({ dir: folder, workers: 0, logger: quiet, dataDir: '.' }), /is the scripts folder/);
    assert.throws(
      () => pagewire({ dir: folder, workers: 0, logger: quiet, dataDir: '' }),
      /'dataDir' must be a folder/,
    );
    assert.throws(() => pagewire({ dir: folder, workers: 0, logger: quiet, readDirs: [''] }), /'readDirs' must be/);
    const wire = pagewire({ dir: folder, workers: 0, logger: quiet, dataDir: path.join(folder, '..', 'data') });
    await wire.close();
  });

  it('refuses a dataDir that is a symbolic link into a public folder of the scripts, or below one', () => {
    const app = realpathSync(mkdtempSync(path.join(tmpdir(), 'pagewire-jail-link-')));
    try {
      const scripts = path.join(app, 'scripts');
      mkdirSync(path.join(scripts, 'uploads'), { recursive: true });
      symlinkSync(path.join(scripts, 'uploads'), path.join(app, 'data'));
      symlinkSync(scripts, path.join(app, 'scripts-link'));
      const options = { dir: scripts, workers: 0, logger: quiet };
      assert.throws(
        () => pagewire({ ...options, dataDir: path.join(app, 'data') }),
        /'dataDir' \(.*data\) \(really .*scripts\/uploads, through a symbolic link\) is inside the scripts folder/,
      );
      assert.throws(() => pagewire({ ...options, dataDir: path.join(app, 'scripts-link', 'files') }), /as 'files'/);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});

// The jailed `fs` facade in the host realm, without a sandbox: every function Node exports is
// accounted for, and the ways round a path check (flags, a stream class, a URL whose href
// changes, a hard link, a dangling link, a copy, a descriptor) are closed.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildFacade } from '../../runner/fs-jail/facade.js';
import {
  FS_ASYNC_ONLY,
  FS_FUNCTIONS,
  FS_PATH_FREE,
  FS_STREAM_CLASSES,
  PROMISES_FUNCTIONS,
  PROMISES_PATH_FREE,
} from '../../runner/fs-jail/fs-functions.js';
import { FsJail } from '../../runner/fs-jail/jail.js';

type Fs = typeof fs;
const app = realpathSync(mkdtempSync(path.join(tmpdir(), 'pagewire-jail-unit-')));
const scripts = path.join(app, 'scripts');
const data = path.join(scripts, '_data');
mkdirSync(path.join(scripts, 'lib'), { recursive: true });
writeFileSync(path.join(app, 'outside.txt'), 'outside-secret');
writeFileSync(path.join(scripts, 'public.txt'), 'public-words');
symlinkSync(path.join(app, 'outside.txt'), path.join(scripts, 'lib', 'out.txt'));
const facade = buildFacade(new FsJail(scripts, { dataDir: data, readDirs: [] }));
const jailed = facade.fs as unknown as Fs;
const jailedPromises = facade['fs/promises'] as unknown as typeof fsPromises;
after(() => rmSync(app, { recursive: true, force: true }));

const EACCES = { code: 'EACCES' };

describe('the lists cover every function of fs', () => {
  it("every export of Node's fs is jailed or said to open nothing by a name", () => {
    const listed = new Set([
      ...Object.keys(FS_FUNCTIONS).flatMap((name) => [name, `${name}Sync`]),
      ...Object.keys(FS_ASYNC_ONLY),
      ...Object.keys(FS_STREAM_CLASSES),
      ...FS_PATH_FREE,
    ]);
    const unlisted = Object.keys(fs).filter((name) => !listed.has(name));
    assert.deepEqual(unlisted, [], 'new fs exports: say in runner/fs-jail/fs-functions.ts what they take');
    assert.deepEqual(Object.keys(jailed).sort(), Object.keys(fs).sort());
  });

  it('every export of fs/promises too, and fs.promises is the jailed one', () => {
    const listed = new Set([...Object.keys(PROMISES_FUNCTIONS), ...PROMISES_PATH_FREE]);
    assert.deepEqual(
      Object.keys(fsPromises).filter((name) => !listed.has(name)),
      [],
    );
    assert.equal(jailed.promises, jailedPromises);
    assert.notEqual(jailed.readFileSync, fs.readFileSync);
  });
});

describe('the jail', () => {
  const inData = (name: string) => path.join(data, name);

  it('reads a public file of the scripts folder, refuses one reached through a link or ../', () => {
    assert.equal(jailed.readFileSync(path.join(scripts, 'public.txt'), 'utf8'), 'public-words');
    assert.throws(() => jailed.readFileSync(path.join(scripts, 'lib', 'out.txt')), EACCES);
    assert.throws(() => jailed.readFileSync(`${scripts}/../outside.txt`), EACCES);
  });

  it('takes a Buffer or a file: URL as their path, and reads an href once', () => {
    assert.throws(() => jailed.readFileSync(Buffer.from('/etc/passwd')), EACCES);
    assert.throws(() => jailed.readFileSync(new URL('file:///etc/passwd')), EACCES);
    let reads = 0;
    const shifty = {
      protocol: 'file:',
      get href() {
        reads++;
        return reads === 1 ? `file://${scripts}/public.txt` : 'file:///etc/passwd';
      },
    };
    assert.equal(jailed.readFileSync(shifty as unknown as URL, 'utf8'), 'public-words');
  });

  it('counts a read that writes (a flag, open flags) as a write', () => {
    const file = path.join(scripts, 'public.txt');
    assert.throws(() => jailed.readFileSync(file, { flag: 'w' }), EACCES);
    assert.throws(() => jailed.openSync(file, 'r+'), EACCES);
    assert.throws(() => jailed.openSync(file, fs.constants.O_RDWR), EACCES);
    assert.throws(() => jailed.createReadStream(file, { flags: 'a' }), EACCES);
    jailed.closeSync(jailed.openSync(file, 'r'));
    assert.equal(fs.readFileSync(file, 'utf8'), 'public-words');
  });

  it('refuses the stream classes and realpath.native on a path outside', () => {
    // Node takes a path first (its types say options): `new fs.ReadStream(path)` as scripts write it.
    type ByPath = new (path: string) => object;
    assert.throws(() => new (jailed.ReadStream as unknown as ByPath)('/etc/passwd'), EACCES);
    assert.throws(() => new (jailed.WriteStream as unknown as ByPath)(path.join(app, 'x')), EACCES);
    assert.throws(() => jailed.realpathSync.native('/etc'), EACCES);
  });

  it('refuses a hard link or a rename that would make a read-only file writable', () => {
    assert.throws(() => jailed.linkSync(path.join(scripts, 'public.txt'), inData('hard')), EACCES);
    assert.throws(() => jailed.renameSync(path.join(scripts, 'public.txt'), inData('moved')), EACCES);
  });

  it('refuses a write through a dangling link to outside, and a relative link target that climbs out', () => {
    jailed.mkdirSync(data, { recursive: true });
    symlinkSync(path.join(app, 'created-outside.txt'), inData('dangling'));
    assert.throws(() => jailed.writeFileSync(inData('dangling'), 'x'), EACCES);
    assert.throws(() => jailed.symlinkSync('../../outside.txt', inData('up')), EACCES);
    jailed.symlinkSync('kept.txt', inData('inside-link'));
  });

  it('makes a relative link with its absolute target: moved to a shallower folder, it still points inside', () => {
    const depth = data.split(path.sep).length - 1;
    const deep = inData(`deep/${'x/'.repeat(depth)}`);
    jailed.mkdirSync(inData('deep/etc'), { recursive: true });
    jailed.writeFileSync(inData('deep/etc/hostname'), 'inside');
    jailed.mkdirSync(deep, { recursive: true });
    // dataDir/deep/etc where it is made; /etc once moved, if kept relative.
    jailed.symlinkSync(`${'../'.repeat(depth)}etc`, path.join(deep, 'l'));
    jailed.renameSync(path.join(deep, 'l'), inData('moved-link'));
    assert.equal(jailed.readlinkSync(inData('moved-link')), inData('deep/etc'));
    assert.equal(jailed.readFileSync(inData('moved-link/hostname'), 'utf8'), 'inside');
  });

  it('copies a link as one with its absolute target, and refuses a link to outside dataDir', () => {
    const depth = data.split(path.sep).length - 1;
    const deep = inData(`cp/${'y/'.repeat(depth)}`);
    jailed.mkdirSync(inData('cp/etc'), { recursive: true });
    jailed.writeFileSync(inData('cp/etc/hostname'), 'inside');
    jailed.mkdirSync(deep, { recursive: true });
    // A relative link made by hand (before this jail, or by the site): inside where it is.
    symlinkSync(`${'../'.repeat(depth)}etc`, path.join(deep, 'l'));
    // Its folder copied to a shallower one: kept verbatim, the link would point outside dataDir.
    jailed.cpSync(deep, inData('cp-shallow'), { verbatimSymlinks: true, recursive: true });
    assert.equal(jailed.readlinkSync(inData('cp-shallow/l')), inData('cp/etc'));
    assert.equal(jailed.readFileSync(inData('cp-shallow/l/hostname'), 'utf8'), 'inside');
    // A link to a file scripts may read but not write, copied as a link: refused, as symlink is.
    jailed.mkdirSync(inData('with-link'));
    symlinkSync(path.join(scripts, 'public.txt'), inData('with-link/to-public'));
    assert.throws(() => jailed.cpSync(inData('with-link'), inData('with-link-copy'), { recursive: true }), EACCES);
    jailed.cpSync(inData('with-link'), inData('copied'), { recursive: true, dereference: true });
    assert.equal(jailed.readFileSync(inData('copied/to-public'), 'utf8'), 'public-words');
  });

  it('checks the folder mkdtemp makes, not its prefix: dataDir as the prefix makes a folder beside it', () => {
    assert.throws(() => jailed.mkdtempSync(data), EACCES);
    assert.ok(jailed.mkdtempSync(inData('tmp-')).startsWith(inData('tmp-')));
    assert.ok(jailed.mkdtempSync(`${data}/`).startsWith(`${data}/`));
  });

  it('opens in the folder it checked: one swapped for a link to outside while the open waits', async () => {
    // A link to outside in dataDir (the site's, or left from before): the jail refuses a path through it,
    // but a checked folder swapped for it between the check and the thread pool's open was followed.
    const outsideDir = path.join(app, 'outside-dir');
    mkdirSync(outsideDir, { recursive: true });
    writeFileSync(path.join(outsideDir, 'secret.txt'), 'outside-secret');
    jailed.mkdirSync(inData('swap'), { recursive: true });
    symlinkSync(outsideDir, inData('swap/esc'));
    const swapped = async <T>(start: () => T): Promise<T> => {
      fs.rmSync(inData('swap/a'), { recursive: true, force: true });
      fs.rmSync(inData('swap/old'), { recursive: true, force: true });
      jailed.mkdirSync(inData('swap/a'));
      jailed.writeFileSync(inData('swap/a/secret.txt'), 'decoy');
      // The thread pool busy: the open Node queues waits behind these.
      await new Promise<void>((resolve) => setImmediate(resolve));
      let busy = 4;
      const idle = new Promise<void>((resolve) => {
        for (let k = 0; k < 4; k++) crypto.pbkdf2('p', 's', 50_000, 32, 'sha256', () => --busy === 0 && resolve());
      });
      const result = start();
      fs.renameSync(inData('swap/a'), inData('swap/old'));
      fs.renameSync(inData('swap/esc'), inData('swap/a'));
      await idle;
      return result;
    };
    const unswap = () => fs.renameSync(inData('swap/a'), inData('swap/esc'));
    const read = () => jailedPromises.readFile(inData('swap/a/secret.txt'), 'utf8').catch((e: Error) => e.message);
    assert.equal(await swapped(read), 'decoy');
    unswap();
    const callback = () =>
      new Promise((resolve) =>
        jailed.readFile(inData('swap/a/secret.txt'), 'utf8', (e, d) => resolve(e?.message ?? d)),
      );
    assert.equal(await swapped(callback), 'decoy');
    unswap();
    const stream = () =>
      jailed
        .createReadStream(inData('swap/a/secret.txt'), 'utf8')
        .toArray()
        .catch((e: Error) => e.message);
    // A stream opens on the next tick: after the swap, so its open refuses the folder it holds.
    assert.match(
      JSON.stringify(await swapped(stream)),
      /^\["decoy"\]$|a folder on its path was swapped after the check/,
    );
    unswap();
    await swapped(() => jailedPromises.writeFile(inData('swap/a/planted.txt'), 'PWNED'));
    unswap();
    assert.equal(fs.existsSync(path.join(outsideDir, 'planted.txt')), false);
    assert.equal(fs.readFileSync(inData('swap/old/planted.txt'), 'utf8'), 'PWNED');
  });

  it('checks every file a copy takes: a link inside the copied folder that points out is refused', () => {
    assert.throws(() => jailed.cpSync(path.join(scripts, 'lib'), inData('lib'), { recursive: true }), EACCES);
    jailed.cpSync(path.join(scripts, 'public.txt'), inData('copy.txt'));
    assert.equal(jailed.readFileSync(inData('copy.txt'), 'utf8'), 'public-words');
  });

  it('rejects the promise and calls the callback back with the refusal', async () => {
    await assert.rejects(jailedPromises.readFile('/etc/passwd'), EACCES);
    const error = await new Promise((resolve) => jailed.readFile('/etc/passwd', resolve));
    assert.equal((error as { code?: string }).code, 'EACCES');
  });

  it('uses the descriptors it opened, not the others, nor one closed', async () => {
    const fd = jailed.openSync(path.join(scripts, 'public.txt'), 'r');
    assert.equal(jailed.fstatSync(fd).size, 'public-words'.length);
    jailed.closeSync(fd);
    assert.throws(() => jailed.fstatSync(fd), EACCES);
    assert.throws(() => jailed.readFileSync(0), EACCES);
    const handle = await jailedPromises.open(path.join(scripts, 'public.txt'));
    assert.equal(jailed.fstatSync(handle.fd).size, 'public-words'.length);
    assert.equal(await jailedPromises.readFile(handle, 'utf8'), 'public-words');
    await handle.close();
  });

  it('takes an object with an fd field for a path, never a descriptor: a file: URL shape from a body', async () => {
    const fd = jailed.openSync(path.join(scripts, 'public.txt'), 'r');
    const outside = path.join(app, 'written-outside.txt');
    const shaped = (target: string) =>
      ({ fd, href: `file://${target}`, protocol: 'file:', hostname: '', pathname: target }) as unknown as URL;
    assert.throws(() => jailed.writeFileSync(shaped(outside), 'PWNED'), EACCES);
    assert.throws(() => jailed.appendFileSync(shaped(outside), 'PWNED'), EACCES);
    assert.throws(() => jailed.truncateSync(shaped(path.join(app, 'outside.txt'))), EACCES);
    assert.throws(() => jailed.readFileSync(shaped('/etc/passwd')), EACCES);
    await assert.rejects(jailedPromises.readFile(shaped('/etc/hostname')), EACCES);
    await assert.rejects(jailedPromises.writeFile(shaped(outside), 'PWNED'), EACCES);
    assert.throws(() => jailed.createReadStream('', { fd: { fd } as unknown as number }), TypeError);
    assert.equal(fs.existsSync(outside), false);
    assert.equal(fs.readFileSync(path.join(app, 'outside.txt'), 'utf8'), 'outside-secret');
    jailed.closeSync(fd);
  });

  it('refuses to change a file through a descriptor or a FileHandle opened for reading', async () => {
    const file = path.join(scripts, 'public.txt');
    const mode = fs.statSync(file).mode;
    const fd = jailed.openSync(file, 'r');
    assert.throws(() => jailed.fchmodSync(fd, 0o666), EACCES);
    assert.throws(() => jailed.futimesSync(fd, 0, 0), EACCES);
    assert.throws(() => jailed.fchownSync(fd, process.getuid?.() ?? 0, process.getgid?.() ?? 0), EACCES);
    assert.throws(() => jailed.fsyncSync(fd), EACCES);
    assert.equal(jailed.fstatSync(fd).size, 'public-words'.length);
    jailed.closeSync(fd);
    const handle = await jailedPromises.open(file, 'r');
    await assert.rejects(handle.chmod(0o666), EACCES);
    await assert.rejects(handle.utimes(0, 0), EACCES);
    await assert.rejects(jailedPromises.writeFile(handle, 'x'), EACCES);
    assert.equal(await handle.readFile('utf8'), 'public-words');
    await handle.close();
    assert.equal(fs.statSync(file).mode, mode);
    assert.notEqual(fs.statSync(file).mtimeMs, 0);
    // In dataDir, opened to write: allowed.
    jailed.mkdirSync(data, { recursive: true });
    const own = jailed.openSync(inData('own.txt'), 'w');
    jailed.fchmodSync(own, 0o600);
    jailed.writeSync(own, 'mine');
    jailed.closeSync(own);
  });

  it("never opens /proc, nor Pagewire's own files, even under readDirs ['/']", () => {
    const open = buildFacade(new FsJail(scripts, { dataDir: data, readDirs: ['/'] })).fs as unknown as Fs;
    assert.ok(open.readFileSync('/etc/hostname', 'utf8').length > 0);
    assert.throws(() => open.readFileSync('/proc/self/environ'), EACCES);
    const pagewire = path.join(import.meta.dirname, '..', '..', 'package.json');
    assert.throws(() => open.readFileSync(pagewire), /Pagewire's own files/);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openProcessFolder } from '../../lib/uploads/process-folder.js';
import { memoryLogger } from '../helpers/fixtures.js';

const host = hostname().replace(/[^A-Za-z0-9._]/g, '_');

describe('openProcessFolder: which folders a start removes', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'pw-uploads-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("removes this host's gone processes' folders only, and makes its own apart", () => {
    // A pid that ran and is gone: a child that exited (and was reaped) before the start.
    const gonePid = spawnSync(process.execPath, ['-e', '0']).pid;
    assert.ok(gonePid);
    const own = openProcessFolder(path.join(root, 'probe'), memoryLogger()).path;
    const ownToken = path.basename(own).split('-').at(-2);
    const otherToken = ownToken === '00000000' ? '11111111' : '00000000';
    const folders = {
      gone: `${host}-${gonePid}-0badf00d-12345678`,
      samePidOtherProcess: `${host}-${process.pid}-${otherToken}-12345678`,
      samePidThisProcess: `${host}-${process.pid}-${ownToken}-12345678`,
      live: `${host}-${process.ppid}-0badf00d-12345678`,
      otherHost: `not-${host}-${gonePid}-0badf00d-12345678`,
      oldLayout: 'page-abc',
    };
    for (const name of Object.values(folders)) {
      mkdirSync(path.join(root, name, 'page-x'), { recursive: true });
      writeFileSync(path.join(root, name, 'page-x', 'partial.bin'), 'x');
    }
    const logger = memoryLogger();
    const opened = openProcessFolder(root, logger);
    assert.deepEqual(
      readdirSync(root).sort(),
      [folders.samePidThisProcess, folders.live, folders.otherHost, folders.oldLayout].sort(),
    );
    assert.equal(logger.lines.filter((line) => /a process that is gone/.test(line)).length, 2);
    assert.equal(path.dirname(opened.path), root);
    assert.match(path.basename(opened.path), new RegExp(`^${host}-${process.pid}-${ownToken}-[0-9a-f]{8}$`));
  });

  it("keeps a live server's folder when a server starts in another thread of the same process", async () => {
    const shared = path.join(root, 'threads');
    const mine = openProcessFolder(shared, memoryLogger()).path;
    mkdirSync(path.join(mine, 'page-x'), { recursive: true });
    // A server started in a worker thread (a test runner's, an app's): same pid, its own module copy.
    const module = pathToFileURL(path.join(import.meta.dirname, '../../lib/uploads/process-folder.ts')).href;
    const code = `const { workerData, parentPort } = require('node:worker_threads');
import('tsx/esm/api').then(({ register }) => { register(); return import(workerData.module); })
  .then(({ openProcessFolder }) => parentPort.postMessage(openProcessFolder(workerData.root, console).path));`;
    const worker = new Worker(code, { eval: true, workerData: { module, root: shared } });
    const theirs = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.deepEqual(readdirSync(path.join(mine)), ['page-x'], "the live server's folder is kept");
    const token = (folder: string) => path.basename(folder).split('-').at(-2);
    assert.equal(token(theirs), token(mine), 'one process token in all its threads');
    assert.notEqual(theirs, mine);
  });
});

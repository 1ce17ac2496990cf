import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FAILURE_REPORT_MS, sampleScripts } from './helpers/fixtures.js';

const root = path.join(import.meta.dirname, '..');

describe('pagewire serve (the CLI, as built by npm install)', () => {
  it('serves a folder on node:http, prints its URL, and shuts down cleanly on SIGTERM', async () => {
    const samples = sampleScripts();
    const child = spawn(
      process.execPath,
      ['bin/pagewire.js', 'serve', samples.dir, '--port', '0', '--host', '127.0.0.1'],
      { cwd: root },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no URL printed after ${FAILURE_REPORT_MS} ms: ${output}`)),
          FAILURE_REPORT_MS,
        );
        child.stdout.on('data', () => {
          const found = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        });
      });
      const index = await fetch(url);
      assert.equal(index.status, 200);
      assert.match(await index.text(), /Pagewire samples/);
      const hello = await fetch(`${url}hello`);
      assert.match(await hello.text(), /data-pagewire-page=/);
      assert.match(hello.headers.get('set-cookie') ?? '', /HttpOnly/);
      assert.equal((await fetch(`${url}hello.ts`)).status, 404);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(output, /SIGTERM: closing pages and sockets/);
    } finally {
      child.kill('SIGKILL');
      samples.remove();
    }
  });

  it('explains its usage when the command is wrong', async () => {
    const child = spawn(process.execPath, ['bin/pagewire.js', 'nonsense'], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(output, /Usage: pagewire serve \[dir\]/);
  });
});

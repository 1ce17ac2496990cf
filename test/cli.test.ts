import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { FAILURE_REPORT_MS, sampleScripts, waitFor } from './helpers/fixtures.js';

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

  it('npm start serves the samples in dev mode, on localhost only', async (t) => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
    // The start script as written, run from the repository, with a copy of the samples and a free port.
    const [node, ...args] = pkg.scripts.start.split(' ');
    assert.equal(node, 'node');
    const samples = sampleScripts();
    // The people sample reads DATABASE_URL: the start script lets scripts see it (`--env`), not the rest.
    const envScript = 'echo([process.env.DATABASE_URL, process.env.SESSION_SECRET].join(" "));\n';
    writeFileSync(path.join(samples.dir, 'env-seen.ts'), envScript);
    const child = spawn(
      process.execPath,
      args.map((arg) => (arg === 'sample-scripts' ? samples.dir : arg)),
      { cwd: root, env: { ...process.env, PORT: '0', DATABASE_URL: 'postgres://db/x', SESSION_SECRET: 'hidden' } },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no URL printed after ${FAILURE_REPORT_MS} ms: ${output}`)),
          FAILURE_REPORT_MS,
        );
        child.stdout.on('data', () => {
          const found = /on http:\/\/localhost:(\d+)\/ \(dev\)/.exec(output)?.[1];
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        });
      });
      const [loopback] = await lookup('localhost', { all: true });
      const host = loopback?.family === 6 ? `[${loopback.address}]` : loopback?.address;
      const index = await fetch(`http://${host}:${port}/`);
      assert.match(await index.text(), /Pagewire samples/);
      assert.equal(await (await fetch(`http://${host}:${port}/env-seen`)).text(), 'postgres://db/x ');
      // Not reachable on this machine's other addresses.
      const outside = Object.values(networkInterfaces())
        .flat()
        .filter((address) => address && !address.internal && address.family === 'IPv4');
      if (outside.length === 0) t.diagnostic('no address but loopback here: "localhost only" not checked');
      for (const address of outside) assert.equal(await connects(address?.address ?? '', Number(port)), false);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      samples.remove();
    }
  });

  it('--allowed-host and --trust-proxy: which names it answers to (DNS rebinding)', async () => {
    const samples = sampleScripts();
    const args = ['--port', '0', '--host', '127.0.0.1', '--allowed-host', 'app.example', '--trust-proxy'];
    const child = spawn(process.execPath, ['bin/pagewire.js', 'serve', samples.dir, ...args], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    try {
      await waitFor(() => /on http:\/\/127\.0\.0\.1:\d+\//.test(output), 'the URL printed');
      const url = (/on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output) as RegExpExecArray)[1] as string;
      const get = (headers: Record<string, string>) => {
        const test = request(url).get('/hello');
        for (const [name, value] of Object.entries(headers)) test.set(name, value);
        return test;
      };
      await get({ host: 'app.example' }).expect(200);
      const refused = await get({ host: 'attacker.example' }).expect(403);
      assert.match(refused.text, /--allowed-host NAME/);
      // Behind its proxy: the forwarded host is the browser's.
      await get({ host: '127.0.0.1', 'x-forwarded-host': 'attacker.example' }).expect(403);
      await get({ host: 'upstream', 'x-forwarded-host': 'app.example' }).expect(200);
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

/** Whether a TCP connection to `host:port` is accepted. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

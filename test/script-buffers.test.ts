// A script's Buffers (issue 12, part 3 "Memory"), tested as the attacks. Every Buffer a script
// holds is a host Buffer behind vm2's bridge, which reads all its keys, one per byte, when it first
// crosses into the sandbox: `Buffer.alloc(16 MiB)` ran V8 out of heap inside one builtin call and
// ended the whole server process (worker.terminate() and the worker's heap limit could not stop
// it). Now a script may hold at most maxScriptBufferBytes in one Buffer, and is told so at once.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ErrorContext } from '../lib/errors.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { fetchPage, joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

const MiB = 1024 * 1024;
const DEFAULT_BOUND = /maxScriptBufferBytes \(1048576 bytes\)/;

const site = scriptsFolder({
  'live.ts': `echo('live');
function __serverSocketEvent(name: string) {
  if (name === 'ping') server_socket_event('pong');
}`,
  'alloc.ts': `const bytes = Buffer.alloc(64 * 1024 * 1024);
echo('allocated ' + bytes.length);`,
  'typed.ts': `const bytes = new Uint8Array(64 * 1024 * 1024);
echo('allocated ' + bytes.length);`,
  'small.ts': `echo('small ' + Buffer.alloc(64 * 1024).length);`,
});
// 8 MiB of bytes in the scripts folder, read by a script without an encoding three ways.
site.write('big.bin', 'x'.repeat(8 * MiB));
const bigFile = JSON.stringify(path.join(site.dir, 'big.bin'));
site.write(
  'read.ts',
  `import fs from 'node:fs';
const file = ${bigFile};
const out: string[] = [];
const report = (how: string, f: () => unknown) => {
  try { f(); out.push(how + ' read it'); } catch (error) { out.push(how + ': ' + (error as Error).message); }
};
report('sync', () => fs.readFileSync(file));
await new Promise<void>((resolve) => fs.readFile(file, (error, data) => {
  out.push(error ? 'callback: ' + error.message : 'callback read ' + data.length);
  resolve();
}));
try {
  await fs.promises.readFile(file);
  out.push('promise read it');
} catch (error) {
  out.push('promise: ' + (error as Error).message);
}
out.push('as text ' + fs.readFileSync(file, 'latin1').length);
echo(out.join('\\n'));`,
);

after(() => site.remove());

describe("a script's Buffer past maxScriptBufferBytes, in a worker", () => {
  const errors: ErrorContext[] = [];
  let server: TestServer;
  before(async () => {
    // One worker: the live page of another session shares it with the attack.
    server = await startServer({ dir: site.dir, workers: 1, onError: (_error, context) => void errors.push(context) });
  });
  after(() => server.close());

  for (const script of ['alloc', 'typed']) {
    it(`${script}: 64 MiB is refused at once; the process, the worker and another page's live page go on`, async () => {
      const live = await renderLive(server.url, '/live');
      const client = await joinPage(server.origin, live.pageId, live.cookie);
      const attack = await fetchPage(server.url, `/${script}`);
      assert.equal(attack.status, 500);
      assert.doesNotMatch(attack.body, /allocated/);
      await waitFor(() => errors.some((e) => e.script === `${script}.ts`), `the error of ${script}.ts`);
      const error = errors.find((e) => e.script === `${script}.ts`) as ErrorContext;
      assert.match(error.message, /67108864 exceeds bufferAllocLimit 1048576/);
      assert.match(error.message, DEFAULT_BOUND);
      assert.ok(
        server.log.lines.some((line) => line.includes(`${script}.ts:1:`)),
        `no ${script}.ts:1 in ${server.log.lines.join('\n')}`,
      );
      // The live page, in the same worker, still answers: no worker was stopped, nothing crashed.
      client.event(live.pageId, 'ping');
      const answer = await client.next((f) => f.t === 'closed' || f.n === 'pong');
      assert.equal(answer.n, 'pong', JSON.stringify(answer));
      assert.ok(!server.log.lines.some((line) => /worker stopped|crashed/.test(line)), server.log.lines.join('\n'));
      assert.match((await fetchPage(server.url, '/small')).body, /small 65536/);
      await client.close();
    });
  }

  it('fs.readFile without an encoding refuses a file past the bound, naming it and what to do', async () => {
    const { status, body } = await fetchPage(server.url, '/read');
    assert.equal(status, 200, body);
    const lines = body.split('\n');
    for (const how of ['sync', 'callback', 'promise']) {
      const line = lines.find((l) => l.startsWith(how)) ?? assert.fail(`no ${how} in ${body}`);
      assert.match(line, /read 8388608 bytes, more than maxScriptBufferBytes \(1048576 bytes\)/);
      assert.match(line, /fs\.readFileSync\(file, 'utf8'\)/);
      assert.match(line, /big\.bin/);
    }
    assert.ok(lines.includes(`as text ${8 * MiB}`), body);
  });
});

describe('maxScriptBufferBytes', () => {
  it('is the bound, with workers: 0 too', async () => {
    const server = await startServer({ dir: site.dir, workers: 0, maxScriptBufferBytes: 32 * 1024 });
    try {
      const small = await fetchPage(server.url, '/small');
      assert.equal(small.status, 500);
      assert.ok(
        server.log.lines.some((line) => /maxScriptBufferBytes \(32768 bytes\)/.test(line)),
        server.log.lines.join('\n'),
      );
    } finally {
      await server.close();
    }
  });

  it('is checked', async () => {
    await assert.rejects(startServer({ dir: site.dir, maxScriptBufferBytes: 0 }), /maxScriptBufferBytes/);
  });
});

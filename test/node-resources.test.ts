import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { joinPage, renderLive, startServer, type SocketClient, type TestServer } from './helpers/server.js';

/**
 * The attack: a page opens resources through Node's own modules (no `page.own`) and dies; they
 * must die with it. Each is proved by what the resource does, never by a sleep: an interval's
 * ticks stop while another page's interval of the same period goes on ticking; a server's port
 * refuses connections; a file handle's descriptor no longer names the file.
 */
const SCRIPT = `import { setInterval as every } from 'timers';
import net from 'net';
import http from 'http';
import fs, { promises as fsp } from 'fs';
const label = String(request.query.label);
echo('resources');
function __serverSocketEvent(name: string) {
  if (name === 'interval') every(() => console.log('tick ' + label), 5);
  if (name === 'net') {
    const server = net.createServer((socket) => socket.end('hi'));
    server.listen(0, '127.0.0.1', () => server_socket_event('port', server.address().port));
  }
  if (name === 'http') {
    const server = http.createServer((req, res) => res.end('hi'));
    server.listen(0, '127.0.0.1', () => server_socket_event('port', server.address().port));
  }
  if (name === 'handle') fsp.open(__dirname + '/data.txt', 'r').then((handle) => server_socket_event('fd', handle.fd));
  if (name === 'fd') fs.open(__dirname + '/data.txt', 'r', (error, fd) => server_socket_event('fd', fd));
  if (name === 'fd-sync') server_socket_event('fd', fs.openSync(__dirname + '/data.txt', 'r'));
  if (name === 'close') page.close();
}
`;

// One module object, as in Node: tracking wraps it once, whichever way a script imports it.
const SAME = `import fs from 'fs';
import fsp from 'fs/promises';
echo(String(fs.promises === fsp));
`;

const folder = scriptsFolder({ 'res.ts': SCRIPT, 'same.ts': SAME, 'data.txt': 'data' });
const dataFile = path.join(folder.dir, 'data.txt');

describe('resources a page opens through Node modules are closed with the page', () => {
  let server: TestServer;
  before(async () => {
    // A first render in a new worker can pass the 2 s watchdog on a loaded machine: not the subject here.
    server = await startServer({ dir: folder.dir, watchdogTimeout: 60_000 });
  });
  after(async () => {
    await server.close();
    folder.remove();
  });

  it("require('fs').promises is require('fs/promises')", async () => {
    const response = await fetch(`${server.url}/same`);
    assert.equal(await response.text(), 'true');
  });

  async function open(label: string): Promise<{ pageId: string; client: SocketClient }> {
    const { pageId, cookie } = await renderLive(server.url, `/res?label=${label}`).catch((error: Error) =>
      assert.fail(`${error.message}\n${server.log.lines.join('\n')}`),
    );
    return { pageId, client: await joinPage(server.origin, pageId, cookie) };
  }

  async function closeByScript({ pageId, client }: { pageId: string; client: SocketClient }): Promise<void> {
    client.event(pageId, 'close');
    assert.equal((await client.next((f) => f.t === 'closed' && f.p === pageId)).reason, 'closed-by-script');
  }

  const ticks = (label: string) => server.log.lines.filter((line) => line.endsWith(`tick ${label}`)).length;

  it('an interval from the timers module stops firing', async () => {
    const closing = await open('closing');
    const control = await open('control');
    try {
      closing.client.event(closing.pageId, 'interval');
      control.client.event(control.pageId, 'interval');
      await waitFor(() => ticks('closing') >= 3, 'the interval ticking');
      await closeByScript(closing);
      const atClose = ticks('closing');
      // Ten more ticks of an interval of the same period, in the same worker: the closed page's
      // interval, had it survived, would have ticked too.
      const controlNow = ticks('control');
      await waitFor(() => ticks('control') >= controlNow + 10, 'ten ticks of the control page');
      assert.equal(ticks('closing'), atClose);
    } finally {
      await closeByScript(control);
      await Promise.all([closing.client.close(), control.client.close()]);
    }
  });

  for (const kind of ['net', 'http'] as const) {
    it(`a ${kind} server stops listening`, async () => {
      const page = await open(kind);
      try {
        page.client.event(page.pageId, kind);
        const port = (await page.client.next((f) => f.n === 'port')).d as number;
        assert.equal(await connects(port), true, 'the server listens while the page lives');
        await closeByScript(page);
        assert.equal(await connects(port), false, 'the port refuses connections once the page closed');
      } finally {
        await page.client.close();
      }
    });
  }

  const opener = { handle: 'fs.promises.open', fd: 'fs.open', 'fd-sync': 'fs.openSync' } as const;
  for (const kind of ['handle', 'fd', 'fd-sync'] as const) {
    it(`a file opened with ${opener[kind]} is closed`, async () => {
      const page = await open(kind);
      try {
        page.client.event(page.pageId, kind);
        const fd = (await page.client.next((f) => f.n === 'fd')).d as number;
        // Workers share the process's descriptors: /proc/self/fd says what each one is.
        assert.equal(fileOf(fd), dataFile, 'the descriptor names the file while the page lives');
        await closeByScript(page);
        assert.notEqual(fileOf(fd), dataFile, 'the descriptor is closed once the page closed');
      } finally {
        await page.client.close();
      }
    });
  }
});

function fileOf(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** True when a TCP connection to 127.0.0.1:port is accepted, false when it is refused. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve(false);
      else reject(error);
    });
  });
}

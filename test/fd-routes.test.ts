import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { scriptsFolder } from './helpers/fixtures.js';
import { fetchPage, startServer, type TestServer } from './helpers/server.js';

/**
 * The attack: worker threads share the process's descriptors. A script scans them with
 * `new net.Socket({ fd })` for the server's listening socket, then `http.createServer(…).listen({ fd })`
 * accepts about half of the server's new connections and reads every visitor's cookies. Each
 * route from a number to a socket must be refused, and every request answered by the server.
 */
const HIJACK = `import net from 'node:net';
import http from 'node:http';
const port = Number(request.query.port);
const seen: string[] = [];
for (let fd = 3; fd < 200; fd++) {
  let probe: net.Socket;
  try {
    probe = new net.Socket({ fd, readable: false, writable: false });
  } catch (error) {
    if (!seen.includes((error as Error).message)) seen.push((error as Error).message);
    continue;
  }
  if ((probe.address() as { port?: number }).port === port && !probe.remoteAddress) {
    http.createServer((req, res) => res.end('HIJACKED ' + req.headers.cookie)).listen({ fd });
    echo('ARMED on fd ' + fd);
  }
}
// The server's listening socket is one of these: listen on each, as is.
for (let fd = 3; fd < 200; fd++) {
  try {
    http.createServer((req, res) => res.end('HIJACKED ' + req.headers.cookie)).listen({ fd });
    echo('ARMED on fd ' + fd);
    break;
  } catch {}
}
echo('refused: ' + seen.join(' | '));
`;

/**
 * Every other route Node has from a number or a handle to a socket, each tried on the descriptor
 * of the script's own listening socket (a real one: on today's code each call takes it).
 */
const ROUTES = `import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import http2 from 'node:http2';
import dgram from 'node:dgram';
import tty from 'node:tty';
const server = net.createServer((socket) => socket.end('own'));
// The options form: its object is copied before listen reads it.
await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, () => resolve(null)));
const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
const Socket = net.Socket as unknown as (options: unknown) => unknown;
const internal = (module: object, name: string) => (module as Record<string, (...a: unknown[]) => unknown>)[name];
const routes: Record<string, () => unknown> = {
  'new net.Socket({ fd })': () => new net.Socket({ fd, readable: false, writable: false }),
  'new net.Socket(fd)': () => new (net.Socket as unknown as new (fd: number) => unknown)(fd),
  'net.Socket without new': () => Socket({ fd }),
  'net.Stream': () => new net.Stream({ fd }),
  'net.connect': () => net.connect({ fd } as never),
  'net.createConnection': () => net.createConnection({ fd } as never),
  'net._createServerHandle': () => internal(net, '_createServerHandle')(null, -1, -1, fd),
  'net listen({ fd })': () => net.createServer().listen({ fd }),
  'new net.Server().listen(handle)': () => new net.Server().listen({ _handle: { fd } }),
  'net listen({ handle })': () => net.createServer().listen({ handle: { fd } }),
  'http listen': () => http.createServer().listen({ fd }),
  'https listen': () => https.createServer().listen({ fd }),
  'tls listen': () => tls.createServer().listen({ fd }),
  'http2 listen': () => http2.createServer().listen({ fd }),
  'http.get': () => http.get({ host: '127.0.0.1', port: 9, fd } as never).on('error', () => {}),
  'http.request(url, options)': () => http.request('http://127.0.0.1:9/', { fd } as never).on('error', () => {}),
  'http.ClientRequest': () => new http.ClientRequest({ host: '127.0.0.1', port: 9, fd } as never).on('error', () => {}),
  'http.Agent': () => new http.Agent().createConnection({ fd } as never),
  'http.globalAgent': () => http.globalAgent.createConnection({ fd } as never),
  'http2.connect': () => http2.connect('http://127.0.0.1:9', { fd } as never).on('error', () => {}),
  'dgram bind': () => dgram.createSocket('udp4').on('error', () => {}).bind({ fd }),
  'dgram._createSocketHandle': () => internal(dgram, '_createSocketHandle')(null, 0, 'udp4', fd),
  'tty.ReadStream': () => new tty.ReadStream(fd),
  'tty.WriteStream': () => new tty.WriteStream(fd),
};
const open = Object.keys(routes).filter((name) => {
  try {
    routes[name]();
    return true;
  } catch (error) {
    return !/is refused: a Pagewire script may not wrap/.test((error as Error).message);
  }
});
const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
const own = await new Promise((resolve) => socket.on('data', (data) => resolve(String(data))));
server.close();
const isSocket = socket instanceof net.Socket;
const isServer = server instanceof net.Server;
echo(JSON.stringify({ open, own, isatty: tty.isatty(fd), isSocket, isServer }));
`;

describe("a script in a worker cannot take the server's sockets by their descriptors", () => {
  const folder = scriptsFolder({ 'hijack.ts': HIJACK, 'routes.ts': ROUTES, 'index.ts': "echo('the server');\n" });
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: folder.dir, workers: 1, watchdogTimeout: 60_000 });
  });
  after(async () => {
    await server.close();
    folder.remove();
  });

  it('refuses new net.Socket({ fd }) and listen({ fd }): every request is answered by the server', async () => {
    const port = new URL(server.url).port;
    const { body } = await fetchPage(server.url, `/hijack?port=${port}`);
    assert.doesNotMatch(body, /ARMED/);
    assert.match(body, /new Socket\(\{ fd \}\) is refused: a Pagewire script may not wrap a descriptor/);
    const answers: string[] = [];
    for (let i = 0; i < 20; i++) {
      answers.push(
        await new Promise<string>((resolve, reject) => {
          http
            .get(`${server.url}/`, { agent: false, headers: { cookie: `victim=${i}` } }, (response) => {
              let data = '';
              response.on('data', (chunk) => (data += chunk));
              response.on('end', () => resolve(data));
            })
            .on('error', reject);
        }),
      );
    }
    const hijacked = answers.filter((answer) => answer.startsWith('HIJACKED'));
    assert.deepEqual(hijacked, [], `${hijacked.length} of 20 requests were answered by the script`);
  });

  it('refuses every other route from a descriptor or a handle; own sockets and servers work as before', async () => {
    const { body } = await fetchPage(server.url, '/routes');
    const result = JSON.parse(body.replace(/^<script[^>]*><\/script>/, '')) as Record<string, unknown>;
    assert.deepEqual(result, { open: [], own: 'own', isatty: false, isSocket: true, isServer: true });
  });
});

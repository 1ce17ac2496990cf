// Event round trip: client event -> __serverSocketEvent -> server_socket_event -> client,
// against a raw `ws` echo of the same JSON, sequentially, client in the same process
// (the client's own cost is in both figures alike).
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { startServer } from '../test/helpers/server.js';

export interface LatencyFigures {
  p50: number;
  p99: number;
  mean: number;
}

export async function measureRoundTrips(
  count: number,
): Promise<{ ws: LatencyFigures; pagewire: LatencyFigures; socketIo: LatencyFigures }> {
  const ws = await rawEcho(count);
  const pw = await measurePagewireTrips(count, 0);
  const socketIo = await measureSocketIo(count);
  return { ws, pagewire: pw, socketIo };
}

async function rawEcho(count: number): Promise<LatencyFigures> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => socket.on('message', (data) => socket.send(String(data))));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
    perMessageDeflate: false,
  });
  await new Promise((resolve) => client.once('open', resolve));
  const figures = await sequential(
    count,
    (i) => client.send(JSON.stringify({ t: 'ev', n: 'echo', d: { i } })),
    client,
    (reply, i) => reply.d?.i === i,
  );
  client.close();
  server.close();
  return figures;
}

/** Pagewire's round trip, with scripts in this thread (`workers` 0) or in worker threads. */
export async function measurePagewireTrips(count: number, workers: number): Promise<LatencyFigures> {
  // Events back to back, as fast as they are answered: far past the default rate limit (200/s),
  // which would pause the socket and time the pause.
  const dir = path.join(import.meta.dirname, 'scripts');
  const server = await startServer({ dir, workers, maxEventsPerSecond: 1_000_000 });
  const response = await fetch(`${server.url}/live`);
  const html = await response.text();
  const pageId = /data-pagewire-page="([^"]+)"/.exec(html)?.[1] as string;
  // The socket path names the page's node (its process): read from the page, as the client does.
  const socket = /data-pagewire-socket="([^"]+)"/.exec(html)?.[1] as string;
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const client = new WebSocket(`${server.url.replace('http', 'ws')}${socket}`, {
    headers: { cookie, origin: server.origin },
    perMessageDeflate: false,
  });
  await new Promise((resolve) => client.once('open', resolve));
  // A join and events the server accepts: 'a' the last push received, 's' numbered from 1. (The
  // bench sent neither, and measured the refusals, BAD_MESSAGE, not the script's round trip.)
  const joined = new Promise<void>((resolve, reject) => {
    client.on('message', function onJoin(data) {
      const reply = JSON.parse(String(data)) as { t: string; message?: string };
      if (reply.t === 'joined') resolve();
      else reject(new Error(`join refused: ${reply.message ?? String(data)}`));
      client.off('message', onJoin);
    });
  });
  client.send(JSON.stringify({ t: 'join', p: pageId, a: 0 }));
  await joined;
  const figures = await sequential(
    count,
    (i) => client.send(JSON.stringify({ t: 'ev', p: pageId, s: i + 1, n: 'echo', d: { i } })),
    client,
    // The script's push of the same data (an 'ack' frame may come too, and is not the answer).
    (reply, i) => reply.t === 'push' && reply.n === 'echo' && reply.d?.i === i,
  );
  client.close();
  await server.close();
  return figures;
}

interface Reply {
  t?: string;
  n?: string;
  d?: { i?: number };
  code?: string;
  message?: string;
}

/** Sends, waits for the answer to that message, `count` times after a warm-up; latencies in µs. */
async function sequential(
  count: number,
  send: (i: number) => void,
  client: WebSocket,
  answers: (reply: Reply, i: number) => boolean,
): Promise<LatencyFigures> {
  const warmup = Math.min(1000, count);
  const times: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const start = process.hrtime.bigint();
    const answered = new Promise<void>((resolve, reject) => {
      const onMessage = (data: unknown) => {
        const reply = JSON.parse(String(data)) as Reply;
        if (reply.t === 'error') reject(new Error(`event ${i} refused: ${reply.code} ${reply.message}`));
        else if (!answers(reply, i)) return;
        else resolve();
        client.off('message', onMessage);
      };
      client.on('message', onMessage);
    });
    send(i);
    await answered;
    if (i >= warmup) times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return { p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

/** Socket.IO 4 emit with an acknowledgement, over the WebSocket transport only. */
export async function measureSocketIo(count: number): Promise<LatencyFigures> {
  const { createServer } = await import('node:http');
  const { Server } = await import('socket.io');
  const { io } = await import('socket.io-client');
  const http = createServer();
  const server = new Server(http, { transports: ['websocket'], perMessageDeflate: false });
  server.on('connection', (socket) => socket.on('ev', (data: unknown, ack: (reply: unknown) => void) => ack(data)));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const client = io(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'] });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  const warmup = Math.min(1000, count);
  const times: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const start = process.hrtime.bigint();
    await client.emitWithAck('ev', { i });
    if (i >= warmup) times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return { p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

/**
 * Moving a page socket's upgrade from the process it reached to the process that holds its page:
 * the request is written back as the bytes it came as, the socket travels as an IPC handle, and
 * the owner's HTTP server reads those bytes first, as if the connection had reached it.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/** The request head as it was read (method, target, version, raw headers), then what followed it. */
export function requestBytes(req: IncomingMessage, head: Buffer): Buffer {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  // The parser kept the header bytes as latin1 strings: written back byte for byte.
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]);
}

/**
 * Stops `socket` reading, and returns what it read but nobody took: a socket about to travel as a
 * handle must not read on (Node leaves a sent handle reading until the send completes, and a
 * received one starts reading at once; what it reads here is lost with this copy of it), and what
 * it already read goes with it, after the request. Meanwhile the owner may have answered the
 * upgrade: the browser's first frame, its join, was lost so, and its page never joined (about 1
 * in 100 handed-over sockets, test/cluster-handover.test.ts).
 */
export function stopReading(socket: Socket): Buffer {
  // Node has no public way to stop a socket's handle reading; pause() only stops `data` events.
  (socket as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
  const chunks: Buffer[] = [];
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null)
    chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** `server` takes `socket` as a new connection whose first bytes are `bytes`. */
export function acceptHandedOver(server: Server, socket: Socket, bytes: Buffer): void {
  server.emit('connection', socket);
  // The HTTP parser listens for `data` from here on; the bytes it missed are given to it first.
  socket.emit('data', bytes);
  socket.resume();
}

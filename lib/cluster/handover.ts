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

/** `server` takes `socket` as a new connection whose first bytes are `bytes`. */
export function acceptHandedOver(server: Server, socket: Socket, bytes: Buffer): void {
  server.emit('connection', socket);
  // The HTTP parser listens for `data` from here on; the bytes it missed are given to it first.
  socket.emit('data', bytes);
  socket.resume();
}

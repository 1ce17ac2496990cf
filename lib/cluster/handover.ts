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

/**
 * Stops this process reading `socket` before it travels to another: Node leaves a sent handle
 * reading until the send completes (its data then goes nowhere), and a received one starts
 * reading at once. The owner answers the upgrade meanwhile, so the browser's first frame (its
 * join) could be read and lost here: the page would never join (1 in about 100 handed-over
 * sockets under a bench of 1,000 pages). `pause()` does not stop the handle's reads.
 */
export function stopReading(socket: Socket): void {
  (socket as unknown as { _handle?: { readStop?(): number } | null })._handle?.readStop?.();
}

/**
 * An HTTP connection held in memory: two ends of a stream, one handed to a `node:http` server as
 * if it had accepted it, the other to the client (`http.request`, `ws`) as its socket. Requests,
 * responses and WebSocket upgrades are parsed by Node's own HTTP code, as over TCP, with no port.
 */
import type { Server } from 'node:http';
import { Duplex } from 'node:stream';

/** One end. The methods `node:http` and `ws` call on a TCP socket do nothing here. */
export class MemoryEnd extends Duplex {
  #other: MemoryEnd | undefined;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 80;
  readonly remoteFamily = 'IPv4';

  static pair(): [MemoryEnd, MemoryEnd] {
    const a = new MemoryEnd();
    const b = new MemoryEnd();
    a.#other = b;
    b.#other = a;
    return [a, b];
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#other?.push(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#other?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const other = this.#other;
    this.#other = undefined;
    if (other && !other.destroyed) other.destroy();
    callback(error);
  }

  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/**
 * A new connection to `server`: its client end (what `createConnection` returns). `accepted` hears
 * the server's end first (the socket of the requests that come through it).
 */
export function connectInMemory(server: Server, accepted?: (served: MemoryEnd) => void): MemoryEnd {
  const [client, served] = MemoryEnd.pair();
  accepted?.(served);
  server.emit('connection', served);
  return client;
}

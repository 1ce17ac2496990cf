import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { SIGNATURE_BYTES } from './image-signature.js';

/**
 * Where an upload's bytes go: appended, in order, to a new temporary file (`wx`: never over
 * another), hashed as they pass, the first bytes kept for the image signature check.
 */
export class HashingSink {
  readonly path: string;
  readonly #file: WriteStream;
  readonly #hash: Hash = createHash('sha256');
  #head = Buffer.alloc(0);
  #size = 0;
  #failure: Error | undefined;

  constructor(path: string) {
    this.path = path;
    this.#file = createWriteStream(path, { flags: 'wx' });
    this.#file.on('error', (error) => {
      this.#failure ??= error;
    });
  }

  /** Bytes taken so far. */
  get size(): number {
    return this.#size;
  }

  /** The first bytes (up to SIGNATURE_BYTES). */
  get head(): Buffer {
    return this.#head;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Takes the next bytes; false when the file asks to wait for `drain` (its buffer is full). */
  write(bytes: Buffer): boolean {
    if (this.#head.length < SIGNATURE_BYTES)
      this.#head = Buffer.concat([this.#head, bytes.subarray(0, SIGNATURE_BYTES - this.#head.length)]);
    this.#size += bytes.length;
    this.#hash.update(bytes);
    return this.#file.write(bytes);
  }

  /** Called once when the file can take more. */
  onDrain(listener: () => void): void {
    this.#file.once('drain', listener);
  }

  /** Bytes written but not yet on disk. */
  get pending(): number {
    return this.#file.writableLength;
  }

  /** Flushes and closes the file; resolves with the SHA-256 (hex), rejects with a write failure. */
  finish(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#file.end(() => (this.#failure ? reject(this.#failure) : resolve(this.#hash.digest('hex'))));
    });
  }

  /**
   * Stops writing; resolves once the file is closed. A file still being opened is opened first,
   * then closed: removing it before then would leave it behind, made by that late open.
   */
  abort(): Promise<void> {
    if (this.#file.closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#file.once('close', () => resolve()));
    this.#file.destroy();
    return closed;
  }
}

/**
 * Live uploads from the browser (protocol/uploads.ts): `<input type="file" pw-upload="photos">`
 * and `document.serverSocket.upload(name, files)`. Files go in binary frames, in order, a window
 * of bytes at most unacknowledged, and only while the socket's own buffer is small, so events
 * and pushes pass between chunks. A drop pauses an upload; when the page joins again it is
 * declared again and goes on from the bytes the server says it has.
 */
import { CHUNK_HEADER_ROOM, chunkHead, UPLOAD_WINDOW_CHUNKS, type UploadAnswer } from '../protocol/uploads.js';
import type { Connection } from './connection.js';
import type { ServerSocket } from './server-socket.js';

/**
 * Bytes the socket may hold unsent before more chunks wait: an event written then waits behind
 * at most this (20 ms at 50 MB/s).
 */
const SOCKET_BUFFER = 1024 * 1024;

interface Upload {
  id: string;
  name: string;
  files: File[];
  element: Element | undefined;
  /** Bytes sent, and acknowledged by the server, of each file. */
  sent: number[];
  acked: number[];
  /** Declared and answered on the current socket: chunks may go. */
  ready: boolean;
  settle: (error?: Error) => void;
}

const randomId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);

/** One page's uploads. */
export class Uploads {
  readonly #socket: ServerSocket;
  readonly #connection: Connection;
  readonly #uploads = new Map<string, Upload>();
  #waiting: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: ServerSocket, connection: Connection) {
    this.#socket = socket;
    this.#connection = connection;
    socket.addEventListener('pw:upload', (event) => this.#receive(event.data as UploadAnswer));
    // Joined (again): every upload is declared again; the server answers with what it has.
    socket.addEventListener('open', () => {
      for (const upload of this.#uploads.values()) this.#declare(upload);
    });
    socket.addEventListener('close', () => {
      for (const upload of this.#uploads.values()) upload.ready = false;
    });
    socket.addEventListener('closed', () => {
      for (const upload of this.#uploads.values()) this.#end(upload, new Error('the page closed'));
    });
  }

  upload(name: string, files: File[], element?: Element, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      signal?.throwIfAborted();
      // The server removes what it has; a socket down now: its `uploadStallTimeout` does.
      const abort = () => {
        if (this.#uploads.has(upload.id)) this.#connection.write({ t: 'upc', p: this.#socket.pageId, u: upload.id });
        this.#end(upload, signal?.reason);
      };
      const upload: Upload = {
        id: randomId(),
        name,
        files,
        element,
        sent: files.map(() => 0),
        acked: files.map(() => 0),
        ready: false,
        settle: (error) => {
          // A signal that outlives the upload does not keep its files.
          signal?.removeEventListener('abort', abort);
          error ? reject(error) : resolve();
        },
      };
      this.#uploads.set(upload.id, upload);
      element?.classList.add('pw-loading');
      element?.removeAttribute('pw-upload-error');
      this.#progress(upload);
      this.#declare(upload);
      signal?.addEventListener('abort', abort);
    });
  }

  #declare(upload: Upload): void {
    const f = upload.files.map((file) => ({ n: file.name, s: file.size, t: file.type }));
    this.#connection.write({ t: 'up', p: this.#socket.pageId, u: upload.id, n: upload.name, f });
  }

  #receive(message: UploadAnswer): void {
    const upload = this.#uploads.get(message.u);
    if (!upload) return;
    if (message.t === 'upx') {
      upload.element?.setAttribute('pw-upload-error', message.message);
      console.error(`[pagewire] upload '${upload.name}': ${message.message}`);
      this.#socket.emit('error', message);
      return this.#end(upload, Object.assign(new Error(message.message), { code: message.code }));
    }
    if (message.t === 'up') {
      // Declared twice on one socket (chosen before the page's join was answered, declared again
      // on `open`): the second answer would send again what the first let go.
      if (upload.ready) return;
      // What the server has is what counts: chunks lost with the old socket go again, no other.
      upload.sent = [...message.o];
      upload.acked = [...message.o];
      upload.ready = true;
    } else {
      upload.acked[message.f] = message.o;
    }
    this.#progress(upload);
    if (upload.files.every((file, i) => upload.acked[i] === file.size)) return this.#end(upload);
    this.#pump();
  }

  /** Sends what the windows and the socket's buffer allow, oldest upload first. */
  #pump(): void {
    clearTimeout(this.#waiting);
    this.#waiting = undefined;
    const size = this.#connection.maxMessageSize - CHUNK_HEADER_ROOM;
    for (const upload of this.#uploads.values()) {
      if (!upload.ready) continue;
      for (let f = 0; f < upload.files.length; f++) {
        const file = upload.files[f] as File;
        for (let o = upload.sent[f] as number; o < file.size; o = upload.sent[f] as number) {
          if (sum(upload.sent) - sum(upload.acked) >= UPLOAD_WINDOW_CHUNKS * size) break;
          // A full socket buffer has no event to say it drained: looked at again shortly.
          // `write()` of nothing: the bytes the socket holds unsent.
          if (this.#connection.write() > SOCKET_BUFFER) {
            this.#waiting = setTimeout(() => this.#pump(), 10);
            return;
          }
          const end = Math.min(file.size, o + size);
          this.#connection.write(
            new Blob([chunkHead({ p: this.#socket.pageId, u: upload.id, f, o }), file.slice(o, end)]),
          );
          upload.sent[f] = end;
        }
        if ((upload.sent[f] as number) < file.size) break;
      }
    }
  }

  #progress(upload: Upload): void {
    const total = sum(upload.files.map((file) => file.size));
    const loaded = sum(upload.acked);
    const element = upload.element as HTMLElement | undefined;
    element?.style?.setProperty('--pw-progress', String(total === 0 ? 1 : loaded / total));
    element?.dispatchEvent(new ProgressEvent('progress', { bubbles: true, lengthComputable: true, loaded, total }));
  }

  #end(upload: Upload, error?: Error): void {
    if (!this.#uploads.delete(upload.id)) return;
    upload.element?.classList.remove('pw-loading');
    upload.settle(error);
  }
}

/** `<input type="file" pw-upload="name">` (or `data-pw-upload`): its files go as soon as they are chosen. */
export function installUploads(document: Document, socketOf: (el: Element) => ServerSocket | undefined): void {
  document.addEventListener('change', (event) => {
    const input = event.target as HTMLInputElement;
    const name = input.getAttribute?.('pw-upload') ?? input.getAttribute?.('data-pw-upload');
    if (!name || input.type !== 'file' || !input.files?.length) return;
    // The outcome is on the element (its progress, its `pw-upload-error`) and in the script; the
    // files go to the instance the input belongs to (a component's, a fragment's, or the page's).
    socketOf(input)
      ?.upload(name, input.files, input)
      .catch(() => {});
  });
}

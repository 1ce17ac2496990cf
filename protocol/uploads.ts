/**
 * Live uploads (`pw-upload`) on the page socket: shared by the client and the server.
 *
 * 1. The client declares an upload: `{ t: 'up', p, u, n, f }` (wire.ts): its id `u` (the
 *    client's, random), the upload name `n` the script allowed (`page.allowUpload(n, rules)`),
 *    and each file's name, size and type. The server checks them against the name's rules and
 *    the bytes under way per session and server before any byte is sent, and answers
 *    `{ t: 'up', p, u, o }` (the bytes it has of each file: 0 at first) or `{ t: 'upx', ... }`.
 * 2. The client sends the files in order, in binary frames (`encodeChunk`): a header (page,
 *    upload, file index, offset) and the bytes. The server takes a chunk only at the offset it
 *    expects, writes it, and acknowledges with `{ t: 'upa', p, u, f, o }`; the client keeps at
 *    most UPLOAD_WINDOW_CHUNKS chunks' bytes unacknowledged, and sends only while the socket's buffer is small, so
 *    that events and pushes pass between chunks.
 * 3. After a drop the page re-joins and the client declares the upload again (same `u`): the
 *    server answers with what it has, and the client goes on from there. Nothing is sent twice.
 */

import type { ServerMessage } from './wire.js';

/** The server's answers about uploads: the page's uploads (client/uploads.ts) take them, never its listeners. */
export type UploadAnswer = Extract<ServerMessage, { t: 'up' | 'upa' | 'upx' }>;

export function isUploadAnswer(message: ServerMessage): message is UploadAnswer {
  return message.t === 'up' || message.t === 'upa' || message.t === 'upx';
}

/** A file as declared before its bytes: name, size (bytes), media type. */
export interface UploadFileInfo {
  n: string;
  s: number;
  t: string;
}

/**
 * Why an upload was refused or failed: before its bytes (`UPLOAD_REFUSED`), on the way
 * (`UPLOAD_FAILED`), or cancelled by the browser (`UPLOAD_CANCELLED`, `upc`).
 */
export type UploadErrorCode = 'UPLOAD_REFUSED' | 'UPLOAD_FAILED' | 'UPLOAD_CANCELLED';

/** Chunks a client keeps unacknowledged per upload (4 MiB of 64 KiB chunks, the default `maxMessageBytes`). */
export const UPLOAD_WINDOW_CHUNKS = 64;

/** Room a chunk leaves for its header within the server's `maxMessageBytes`. */
export const CHUNK_HEADER_ROOM = 512;

/** Upload ids: what the client makes (random, URL-safe), what the server accepts. */
export const UPLOAD_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** Upload names, as `pw-upload` values and `page.allowUpload` names. */
export const UPLOAD_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** What heads a chunk's bytes. */
export interface ChunkHeader {
  /** Page id. */
  p: string;
  /** Upload id. */
  u: string;
  /** File index in the upload. */
  f: number;
  /** Offset of the bytes in the file. */
  o: number;
}

/**
 * A chunk's frame: the header's JSON length (2 bytes, big-endian), the header, the bytes. A Blob
 * in the browser, so a file's slice is sent without being read into script memory.
 */
export function chunkHead(header: ChunkHeader): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(2 + json.length);
  head[0] = json.length >> 8;
  head[1] = json.length & 0xff;
  head.set(json, 2);
  return head;
}

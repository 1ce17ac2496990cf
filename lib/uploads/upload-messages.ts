/**
 * The checks of what a browser sends about uploads: an upload's declaration (a text frame) and a
 * chunk (a binary frame). Nothing of either reaches the upload hub unchecked.
 */
import { type ChunkHeader, UPLOAD_ID, UPLOAD_NAME, type UploadFileInfo } from '../../protocol/uploads.js';
import type { ClientMessage, ServerMessage } from '../../protocol/wire.js';
import { PAGE_ID } from '../http/session.js';

/** Most files one declaration may name (the server's `maxUploadFiles` refuses sooner). */
const MAX_DECLARED_FILES = 1000;
const MAX_TYPE = 200;
/** A browser's file name, before it is made safe: longer ones are refused, not cut. */
const MAX_NAME = 1024;

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** `{ t: 'up' }`'s fields (`p` checked already), or what is wrong with them. */
export function parseUploadStart(p: string, u: unknown, n: unknown, f: unknown): ClientMessage | string {
  if (typeof u !== 'string' || !UPLOAD_ID.test(u)) return "'u' must be an upload id (8 to 64 of A-Z a-z 0-9 _ -)";
  if (typeof n !== 'string' || !UPLOAD_NAME.test(n))
    return "'n' must be an upload name (1 to 100 of A-Z a-z 0-9 _ . : -)";
  if (!Array.isArray(f) || f.length === 0 || f.length > MAX_DECLARED_FILES)
    return `'f' must list 1 to ${MAX_DECLARED_FILES} files`;
  const files: UploadFileInfo[] = [];
  for (const file of f as unknown[]) {
    const { n: name, s: size, t: type } = (file ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || name.length > MAX_NAME)
      return `each file's 'n' must be a name of at most ${MAX_NAME} characters (a File has one, a Blob has not)`;
    if (!isCount(size)) return "each file's 's' must be its size in bytes (an integer >= 0)";
    if (typeof type !== 'string' || type.length > MAX_TYPE)
      return `each file's 't' must be a media type of at most ${MAX_TYPE} characters`;
    files.push({ n: name, s: size, t: type });
  }
  return { t: 'up', p, u, n, f: files };
}

/**
 * The answer to a frame refused as `reason`, when it is an upload's declaration that names its
 * page and upload: that upload fails (`upx`), where a plain refusal would leave the browser
 * waiting for an answer for ever (and declaring it again after each reconnection).
 */
export function refusedDeclaration(text: string, reason: string): Extract<ServerMessage, { t: 'upx' }> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { t, p, u } = (value ?? {}) as Record<string, unknown>;
  if (t !== 'up' || typeof p !== 'string' || !PAGE_ID.test(p) || typeof u !== 'string' || !UPLOAD_ID.test(u))
    return undefined;
  return { t: 'upx', p, u, code: 'UPLOAD_REFUSED', message: `the upload was refused: ${reason}` };
}

/** `{ t: 'upc' }`: the upload to cancel, or what is wrong with it. */
export function parseUploadCancel(p: string, u: unknown): ClientMessage | string {
  if (typeof u !== 'string' || !UPLOAD_ID.test(u)) return "'u' must be an upload id (8 to 64 of A-Z a-z 0-9 _ -)";
  return { t: 'upc', p, u };
}

/** A chunk's binary frame: its header and bytes, or what is wrong with it. */
export function parseChunk(frame: Buffer): { header: ChunkHeader; bytes: Buffer } | string {
  if (frame.length < 2) return 'a chunk must start with its header length (2 bytes)';
  const length = frame.readUInt16BE(0);
  if (length === 0 || 2 + length > frame.length) return "a chunk's header length must fit in the frame";
  let value: unknown;
  try {
    value = JSON.parse(frame.subarray(2, 2 + length).toString('utf8'));
  } catch {
    return "a chunk's header must be JSON";
  }
  const { p, u, f, o } = (value ?? {}) as Record<string, unknown>;
  if (typeof p !== 'string' || !PAGE_ID.test(p)) return "a chunk's 'p' must be a page id";
  if (typeof u !== 'string' || !UPLOAD_ID.test(u)) return "a chunk's 'u' must be an upload id";
  if (!isCount(f) || !isCount(o)) return "a chunk's 'f' and 'o' must be integers >= 0";
  return { header: { p, u, f, o }, bytes: frame.subarray(2 + length) };
}

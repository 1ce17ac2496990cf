import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { parse as parseContentType } from 'content-type';
import iconv from 'iconv-lite';
import getRawBody from 'raw-body';
import { MAX_DATA_DEPTH, nestsDeeperThan, tooDeepMessage } from './data-depth.js';
import { addField } from './request-data.js';

/** The reason a body could not be read, with the HTTP status to answer. */
export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A request as Express may hand it on: an earlier middleware (`express.json()`) may have parsed the body. */
export type BodyRequest = IncomingMessage & { body?: unknown };

/** True when the request may carry a body that `readBody` should read. */
export function hasBody(req: BodyRequest): boolean {
  if (req.body !== undefined) return true;
  return req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
}

/** The `Content-Encoding`s a body may come in, as Express's own parsers take them. */
const DECOMPRESSORS = new Map<string, () => Transform>([
  ['gzip', () => zlib.createGunzip()],
  ['deflate', () => zlib.createInflate()],
  ['br', () => zlib.createBrotliDecompress()],
]);

/**
 * Reads and parses the body: JSON, URL-encoded form fields, or text, decoded in the charset the
 * `Content-Type` names (UTF-8 by default) after undoing its `Content-Encoding`. `limit` counts
 * the bytes after decompression. A body an earlier middleware parsed (`express.json()`) is used
 * as it is, and not read again.
 */
export async function readBody(req: BodyRequest, limit: number): Promise<unknown> {
  if (req.body !== undefined) return notTooDeep(req.body);
  // Read by an earlier middleware that kept nothing of it: there is nothing left to read.
  if (req.readableEnded) return undefined;
  const { type, charset } = contentTypeOf(req);
  if (!iconv.encodingExists(charset)) {
    throw new BodyError(415, `the request body's charset '${charset}' is not supported: send it as utf-8`);
  }
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decompress = DECOMPRESSORS.get(coding);
  if (coding !== 'identity' && !decompress) {
    throw new BodyError(
      415,
      `the request body's Content-Encoding '${coding}' is not supported: send gzip, deflate, br or identity`,
    );
  }
  const decompressed = decompress ? req.pipe(decompress()) : undefined;
  let bytes: Buffer;
  try {
    // The declared length is the compressed one: raw-body checks it only for an identity body.
    const length = decompressed ? null : (req.headers['content-length'] ?? null);
    bytes = await getRawBody(decompressed ?? req, { limit, length });
  } catch (error) {
    throw bodyError(error, limit, coding);
  } finally {
    if (decompressed) {
      req.unpipe(decompressed);
      // Answered for already: a late zlib error must not become an uncaught exception.
      decompressed.on('error', () => {});
      decompressed.destroy();
      // Bytes past the end of the compressed data, if any, are read and dropped.
      req.resume();
    }
  }
  if (bytes.length === 0) return undefined;
  if (type === 'application/x-www-form-urlencoded') return parseForm(bytes, charset);
  const text = iconv.decode(bytes, charset);
  if (type === 'application/json' || type.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch (error) {
      throw new BodyError(400, `the request body is not valid JSON: ${(error as Error).message}`);
    }
    return notTooDeep(parsed);
  }
  return text;
}

/** The body, unless it nests deeper than MAX_DATA_DEPTH: a 400, before a script (or the sandbox's copy) sees it. */
function notTooDeep(body: unknown): unknown {
  if (nestsDeeperThan(body, MAX_DATA_DEPTH)) throw new BodyError(400, tooDeepMessage('the request body'));
  return body;
}

/** The media type, lower case, and the charset (UTF-8 unless named). Any header is taken, as Express takes it. */
function contentTypeOf(req: IncomingMessage): { type: string; charset: string } {
  const header = req.headers['content-type'];
  if (header === undefined) return { type: '', charset: 'utf-8' };
  const { type, parameters } = parseContentType(header);
  return { type, charset: (parameters.charset ?? 'utf-8').toLowerCase() };
}

/** raw-body's and zlib's errors, as answers the client can act on; anything else is ours (500). */
function bodyError(error: unknown, limit: number, coding: string): unknown {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large')
    return new BodyError(413, `the request body is larger than ${limit} bytes (maxBodyBytes)`);
  if (type === 'request.size.invalid')
    return new BodyError(400, 'the request body is not as long as its Content-Length says');
  if (type === 'request.aborted') return new BodyError(400, 'the request was aborted while its body was read');
  const code = (error as { code?: unknown }).code;
  if (coding !== 'identity' && typeof code === 'string' && code.startsWith('Z_')) {
    return new BodyError(400, `the request body is not valid ${coding} data: ${(error as Error).message}`);
  }
  return error;
}

/**
 * The fields of a form, each name and value decoded in the form's charset: a browser sends a
 * latin1 page's `é` as `%E9`, which a UTF-8 decoder (URLSearchParams) would turn into `�`.
 */
function parseForm(bytes: Buffer, charset: string): Record<string, string | string[]> {
  // No prototype: `__proto__=x` is a field like any other.
  const fields = Object.create(null) as Record<string, string | string[]>;
  // The separators are ASCII, as in every charset a form is sent in.
  for (const pair of bytes.toString('latin1').split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : pair.slice(equals + 1);
    addField(fields, percentDecode(name, charset), percentDecode(value, charset));
  }
  return fields;
}

/** `+` is a space, `%XX` a byte; the bytes are decoded in `charset`. `text` holds one byte per character. */
function percentDecode(text: string, charset: string): string {
  const bytes = Buffer.from(text.replaceAll('+', ' '), 'latin1');
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes[i] === 0x25 ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes[length++] = Number.parseInt(hex, 16);
      i += 2;
    } else {
      bytes[length++] = bytes[i] as number;
    }
  }
  return iconv.decode(bytes.subarray(0, length), charset);
}

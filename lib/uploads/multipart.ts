/**
 * A `multipart/form-data` request body, streamed by busboy: its fields become `request.body`,
 * its files temporary files (`request.files`), hashed as they arrive, bounded by the upload
 * options, an image's bytes checked against its type. The request's folder is removed once it
 * is answered (`removeUploads`): a script keeps a file by moving it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import busboy from 'busboy';
import { BodyError } from '../http/request-body.js';
import { addField } from '../http/request-data.js';
import type { UploadOptions } from '../limit-options.js';
import { safeFileName, tempFilePath } from './file-names.js';
import { HashingSink } from './hashing-sink.js';
import { imageSignatureProblem, isImageType } from './image-signature.js';
import { addFile, type FormFiles, newFormFiles } from './form-files.js';

export type { FormFiles };

/** Most fields a form may have (besides its files). */
const MAX_FIELDS = 1000;

export type FormFields = Record<string, string | string[]>;

export interface MultipartLimits extends Required<Pick<UploadOptions, 'maxUploadFileBytes' | 'maxUploadFiles'>> {
  /** The fields' bytes in all. */
  maxBodyBytes: number;
  /** Where the request's folder is made (`<dataDir>/.uploads`). */
  uploadsRoot: string;
  /**
   * The bytes under way of the request's session and of the server (`UploadBudget`): the body's
   * bytes are reserved as they arrive, and given back once it is read.
   */
  budget?: { reserve(bytes: number): string | undefined; release(bytes: number): void };
}

export function isMultipart(req: IncomingMessage): boolean {
  // Without parameters too: a multipart type without its boundary is a malformed body (400).
  return /^multipart\/form-data\s*(;|$)/i.test(req.headers['content-type'] ?? '');
}

/** Reads the whole body; rejects with a BodyError (413, 415, 400) and leaves no file behind. */
export async function readMultipart(
  req: IncomingMessage,
  limits: MultipartLimits,
): Promise<{ fields: FormFields; files: FormFiles; folder: string }> {
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (coding !== 'identity')
    throw new BodyError(415, `a multipart body's Content-Encoding must be identity, not '${coding}'`);
  const folder = path.join(limits.uploadsRoot, `request-${randomBytes(12).toString('hex')}`);
  await mkdir(folder, { recursive: true });
  // No prototype: `__proto__` is a field name like any other.
  const fields = Object.create(null) as FormFields;
  const files = newFormFiles();
  const writes: Promise<() => void>[] = [];
  const sinks: HashingSink[] = [];
  let fieldBytes = 0;
  let reserved = 0;
  let count: ((bytes: Buffer) => void) | undefined;
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: {
        fileSize: limits.maxUploadFileBytes,
        files: limits.maxUploadFiles,
        fields: MAX_FIELDS,
        fieldSize: limits.maxBodyBytes,
        parts: limits.maxUploadFiles + MAX_FIELDS,
      },
    });
  } catch (error) {
    await removeUploads(folder);
    throw new BodyError(400, `not a multipart body: ${(error as Error).message}`);
  }
  const done = new Promise<void>((resolve, reject) => {
    const fail = (status: number, message: string) => reject(new BodyError(status, message));
    parser.on('field', (name, value, info) => {
      fieldBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (info.valueTruncated || fieldBytes > limits.maxBodyBytes)
        return fail(413, `the form's fields are larger than ${limits.maxBodyBytes} bytes (maxBodyBytes)`);
      addField(fields, name, value);
    });
    parser.on('file', (field, stream, info) => {
      // A file input left empty is sent as a part without a name and without bytes.
      if (!info.filename) return stream.resume();
      const name = safeFileName(info.filename);
      const sink = new HashingSink(tempFilePath(folder, name));
      sinks.push(sink);
      stream.on('data', (bytes: Buffer) => {
        if (!sink.write(bytes)) {
          stream.pause();
          sink.onDrain(() => stream.resume());
        }
      });
      stream.on('limit', () =>
        fail(413, `'${name}' is larger than ${limits.maxUploadFileBytes} bytes (maxUploadFileBytes)`),
      );
      const written = new Promise<void>((end) => stream.on('end', end)).then(async () => {
        const type = info.mimeType.toLowerCase();
        const problem = isImageType(type) ? imageSignatureProblem(type, sink.head) : undefined;
        if (problem) throw new BodyError(415, `'${name}' was refused: ${problem}`);
        const sha256 = await sink.finish();
        return () => addFile(files, field, { name, size: sink.size, type, sha256, path: sink.path });
      });
      written.catch(reject);
      writes.push(written);
    });
    parser.on('filesLimit', () => fail(413, `more than ${limits.maxUploadFiles} files (maxUploadFiles)`));
    parser.on('fieldsLimit', () => fail(413, `more than ${MAX_FIELDS} fields`));
    parser.on('partsLimit', () => fail(413, `more than ${limits.maxUploadFiles + MAX_FIELDS} parts`));
    parser.on('error', (error: Error) => fail(400, `the multipart body is not valid: ${error.message}`));
    // Added once all are written, in the body's order: a small file may finish before a larger one.
    parser.on('close', () =>
      Promise.all(writes).then((adds) => {
        for (const add of adds) add();
        resolve();
      }, reject),
    );
    req.on('aborted', () => fail(400, 'the request was aborted while its body was read'));
    count = (bytes: Buffer) => {
      const over = limits.budget?.reserve(bytes.length);
      if (over) return fail(413, over);
      if (limits.budget) reserved += bytes.length;
    };
    req.on('data', count);
  });
  req.pipe(parser);
  try {
    await done;
    return { fields, files, folder };
  } catch (error) {
    req.unpipe(parser);
    await Promise.all(sinks.map((sink) => sink.abort()));
    await removeUploads(folder);
    throw error;
  } finally {
    // The rest of a refused body is read and dropped: not counted.
    if (count) req.off('data', count);
    limits.budget?.release(reserved);
  }
}

/** Removes a request's or a page's temporary folder, with whatever its script did not move. */
export async function removeUploads(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true, maxRetries: 3 });
}

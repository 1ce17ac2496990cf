/**
 * Files an earlier middleware (multer) already took from a multipart body: used as they are,
 * copied into the request's own temporary folder so that a script reaches them through its `fs`
 * (multer's folder is outside `dataDir`) and keeps them by moving them, as any upload.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { BodyError } from '../http/request-body.js';
import { safeFileName, tempFilePath } from './file-names.js';
import { HashingSink } from './hashing-sink.js';
import { imageSignatureProblem, isImageType } from './image-signature.js';
import { addFile, type FormFiles, newFormFiles } from './form-files.js';
import { removeUploads } from './multipart.js';

/** A file as multer describes it: on disk (`path`) or in memory (`buffer`). */
interface MulterFile {
  fieldname: string;
  originalname: string;
  mimetype: string;
  path?: string;
  buffer?: Buffer;
}

const isMulterFile = (value: unknown): value is MulterFile =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as MulterFile).fieldname === 'string' &&
  typeof (value as MulterFile).originalname === 'string' &&
  (typeof (value as MulterFile).path === 'string' || Buffer.isBuffer((value as MulterFile).buffer));

/** multer's `req.file`, `req.files` (a list, or lists by field) as one list. */
function multerList(req: IncomingMessage & { file?: unknown; files?: unknown }): MulterFile[] {
  const found: unknown[] = [];
  if (req.file !== undefined) found.push(req.file);
  if (Array.isArray(req.files)) found.push(...req.files);
  else if (req.files && typeof req.files === 'object')
    for (const list of Object.values(req.files)) found.push(...[list].flat());
  return found.filter(isMulterFile);
}

/** The body and files multer parsed, as `readMultipart` gives them; undefined when there are none. */
export async function multerFiles(
  req: IncomingMessage & { body?: unknown },
  limits: { uploadsRoot: string },
): Promise<{ fields: unknown; files: FormFiles; folder: string } | undefined> {
  if (req.body === undefined) return undefined;
  const list = multerList(req);
  if (list.length === 0) return undefined;
  const folder = path.join(limits.uploadsRoot, `request-${randomBytes(12).toString('hex')}`);
  await mkdir(folder, { recursive: true });
  const files = newFormFiles();
  try {
    for (const file of list) {
      const name = safeFileName(file.originalname);
      const sink = new HashingSink(tempFilePath(folder, name));
      const chunks = file.buffer ? [file.buffer] : createReadStream(file.path as string);
      for await (const bytes of chunks) {
        if (!sink.write(bytes as Buffer)) await new Promise<void>((drained) => sink.onDrain(drained));
      }
      const type = file.mimetype.toLowerCase();
      const problem = isImageType(type) ? imageSignatureProblem(type, sink.head) : undefined;
      if (problem) throw new BodyError(415, `'${name}' was refused: ${problem}`);
      const sha256 = await sink.finish();
      addFile(files, file.fieldname, { name, size: sink.size, type, sha256, path: sink.path });
    }
  } catch (error) {
    await removeUploads(folder);
    throw error;
  }
  return { fields: req.body, files, folder };
}

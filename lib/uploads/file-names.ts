import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Longest name kept of a browser's file name, in UTF-8 bytes (file systems allow 255). */
export const MAX_FILE_NAME_BYTES = 200;

/**
 * A browser's file name made safe to show and to use as the last part of a path: only its last
 * segment (`../../etc/passwd` is `passwd`, either separator), no control characters (NUL
 * included), no leading dots, at most MAX_FILE_NAME_BYTES bytes with its extension kept; `file`
 * when nothing is left.
 */
export function safeFileName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? '';
  let name = last
    .normalize('NFC')
    .replace(/\p{Cc}/gu, '')
    .replace(/^[.\s]+/, '')
    .trim();
  if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) {
    const ext = path.extname(name).slice(0, 20);
    let stem = name.slice(0, name.length - ext.length);
    while (Buffer.byteLength(stem + ext) > MAX_FILE_NAME_BYTES) stem = [...stem].slice(0, -1).join('');
    name = stem + ext;
  }
  return name === '' ? 'file' : name;
}

/** The temporary folder of uploads: private to the server, inside `dataDir` so scripts reach it through `fs`. */
export function uploadsRoot(dataDir: string): string {
  return path.join(dataDir, '.uploads');
}

/**
 * A new temporary file's path in `folder`: random, with the name's extension (letters and digits
 * only), so that nothing of a browser's name but a short extension reaches the file system.
 */
export function tempFilePath(folder: string, name: string): string {
  const ext = path.extname(name).toLowerCase();
  return path.join(folder, randomBytes(12).toString('hex') + (/^\.[a-z0-9]{1,10}$/.test(ext) ? ext : ''));
}

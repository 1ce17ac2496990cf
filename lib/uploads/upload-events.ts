/**
 * What a script hears of its uploads: the host posts them to the page's mailbox as the event
 * UPLOAD_EVENT, which only the server can raise (the socket refuses client events named `pw:`);
 * the prelude hands them to the handlers of `page.allowUpload` (runner/sandbox/prelude/uploads.ts).
 */
import type { UploadedFile } from './uploaded-file.js';

export const UPLOAD_EVENT = 'pw:upload';

/** A script's `page.allowUpload` rules reach the host as a push of this name, which it keeps. */
export const UPLOAD_RULES_PUSH = 'pw:upload-rules';

export type UploadEvent =
  /** Bytes of one file received so far: `file` is its (safe) name, `name` the upload's. */
  | { kind: 'progress'; name: string; file: string; bytes: number; total: number }
  /** A file complete and checked. */
  | { kind: 'file'; name: string; file: UploadedFile }
  /** The upload was refused before its bytes, or failed on the way. */
  | { kind: 'error'; name: string; file?: string; code: string; message: string };

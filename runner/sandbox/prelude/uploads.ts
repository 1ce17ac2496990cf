/**
 * `page.allowUpload(name, rules)`: the page takes live uploads of that name (`pw-upload="name"`).
 * The rules go to the host, which checks every upload against them before its bytes are sent
 * (lib/uploads/); what the host then tells of the upload arrives as the server-only event
 * UPLOAD_EVENT, and runs the page's handlers in its mailbox, one task each (the page's view is
 * rendered again after each, as after a client event).
 */
import { UPLOAD_NAME } from '../../../protocol/uploads.js';
import { UPLOAD_RULES_PUSH, type UploadEvent } from '../../../lib/uploads/upload-events.js';
import type { UploadedFile } from '../../../lib/uploads/uploaded-file.js';
import { port } from './boot.js';
import { inspect } from './inspect.js';
import { enqueue } from './mailbox.js';
import type { PageState } from './pages.js';

export interface UploadProgress {
  /** The upload's name. */
  name: string;
  /** The file's name. */
  file: string;
  bytes: number;
  total: number;
}

export interface UploadError {
  name: string;
  file?: string;
  code: string;
  message: string;
}

export interface AllowUploadOptions {
  maxFileSize?: number;
  maxFiles?: number;
  accept?: string[];
  onProgress?: (progress: UploadProgress) => unknown;
  onFile?: (file: UploadedFile) => unknown;
  onError?: (error: UploadError) => unknown;
}

type Handlers = Pick<AllowUploadOptions, 'onProgress' | 'onFile' | 'onError'>;

const handlersOf = new WeakMap<PageState, Map<string, Handlers>>();

export function makeUploads(page: PageState) {
  return {
    allowUpload(name: string, options: AllowUploadOptions = {}): void {
      const where = `page.allowUpload(${inspect(name)})`;
      if (typeof name !== 'string' || !UPLOAD_NAME.test(name))
        throw new TypeError(`${where}: the name must be 1 to 100 of A-Z a-z 0-9 _ . : - (as in pw-upload="photos")`);
      if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be an object`);
      const { maxFileSize, maxFiles, accept, onProgress, onFile, onError } = options;
      for (const [key, value] of Object.entries({ maxFileSize, maxFiles })) {
        if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) > 0))
          throw new RangeError(`${where}: ${key} must be a whole number > 0, got ${inspect(value)}`);
      }
      if (accept !== undefined && !(Array.isArray(accept) && accept.every((a) => typeof a === 'string' && a !== '')))
        throw new TypeError(`${where}: accept must be a list such as ['image/*', '.pdf'], got ${inspect(accept)}`);
      for (const [key, value] of Object.entries({ onProgress, onFile, onError })) {
        if (value !== undefined && typeof value !== 'function')
          throw new TypeError(`${where}: ${key} must be a function, got ${inspect(value)}`);
      }
      if (page.state === 'closed') throw new Error(`${where}: this page is already closed`);
      let handlers = handlersOf.get(page);
      if (!handlers) {
        handlers = new Map();
        handlersOf.set(page, handlers);
        // Also what keeps the page live: it has uploads to hear of.
        page.closeHooks.push(() => handlersOf.delete(page));
      }
      handlers.set(name, { onProgress, onFile, onError });
      port('push', page.id, UPLOAD_RULES_PUSH, JSON.stringify({ name, rules: { maxFileSize, maxFiles, accept } }));
    },
  };
}

/** What the host told of an upload: the matching handler, queued in the page's mailbox. */
export function deliverUpload(page: PageState, dataJson: string): void {
  const event = JSON.parse(dataJson) as UploadEvent;
  const handlers = handlersOf.get(page)?.get(event.name);
  if (event.kind === 'progress') {
    const { onProgress } = handlers ?? {};
    const { name, file, bytes, total } = event;
    if (onProgress) enqueue(page, () => onProgress({ name, file, bytes, total }), 'EVENT_ERROR');
  } else if (event.kind === 'file') {
    const { onFile } = handlers ?? {};
    if (onFile) enqueue(page, () => onFile({ ...event.file }), 'EVENT_ERROR');
  } else {
    const { onError } = handlers ?? {};
    const { name, code, message } = event;
    const error = { name, code, message, ...(event.file === undefined ? {} : { file: event.file }) };
    if (onError) enqueue(page, () => onError(error), 'EVENT_ERROR');
    else port('log', page.id, 'warn', `upload '${name}' ${code}: ${message} (page.allowUpload's onError hears of it)`);
  }
}

/**
 * Files a test chooses in a file input (`page.upload`), as a person's file picker gives them to the
 * page: the page window's own `File`s on the input, then its `input` and `change` events. The page's
 * client uploads them as in a browser (client/uploads.ts); what the test then waits for: the server
 * handed the script every file (or refused the upload), and the script's handlers of them ran.
 */
import type { Document, Element, File, HTMLInputElement, Window } from 'happy-dom';
import { VIEW_RESEND_EVENT } from '../protocol/wire.js';
import type { PageFrames } from './page-frames.js';

/** A file for `page.upload`: its bytes (a string is sent as UTF-8), and what a browser says of it. */
export interface UploadFile {
  name: string;
  /** The media type the browser declares (the server checks an image's against its bytes): `''` if not given. */
  type?: string;
  content: string | Uint8Array;
  lastModified?: number;
}

/** A `File` (Node's global one, or the page window's: `new page.window.File(bits, name, { type })`). */
export interface FileLike {
  readonly name: string;
  readonly type: string;
  readonly lastModified?: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** `page.upload` rejects with it when the server refused the upload, or it failed on the way. */
export class UploadError extends Error {
  /**
   * `UPLOAD_REFUSED` (before its bytes), `UPLOAD_FAILED` (on the way), `UPLOAD_CANCELLED` (the
   * page's code aborted it), or `PAGE_CLOSED` (the page, or the component that took it, closed).
   */
  readonly code: string;
  /** The upload's name (`pw-upload="photos"`: `photos`). */
  readonly upload: string;
  constructor(where: string, upload: string, code: string, message: string) {
    super(`${where}: upload '${upload}' ${code}: ${message}`);
    this.name = 'UploadError';
    this.code = code;
    this.upload = upload;
  }
}

/** The file input `selector` names, checked as a browser's file picker would let a person choose `count` files. */
export function fileInput(el: Element, selector: string, count: number): HTMLInputElement {
  const input = el as unknown as HTMLInputElement;
  const where = `upload('${selector}')`;
  if (el.tagName !== 'INPUT' || input.type !== 'file')
    throw new Error(`${where}: the element is not an <input type="file">`);
  if (input.disabled) throw new Error(`${where}: the input is disabled: a browser opens no file picker for it`);
  if (count === 0) throw new Error(`${where}: no files given (a person who chooses none raises no change)`);
  if (count > 1 && !input.multiple)
    throw new Error(`${where}: ${count} files, but the input takes one (it has no \`multiple\` attribute)`);
  return input;
}

/** The files, made the page window's own `File`s (the client slices them and sends their bytes). */
export async function windowFiles(window: Window, files: readonly (UploadFile | FileLike)[]): Promise<File[]> {
  const made: File[] = [];
  for (const file of files) {
    const bytes = 'content' in file ? file.content : new Uint8Array(await file.arrayBuffer());
    const options = {
      type: file.type ?? '',
      ...(file.lastModified === undefined ? {} : { lastModified: file.lastModified }),
    };
    made.push(new window.File([bytes], file.name, options));
  }
  return made;
}

/** The person's choice: the files on the input, then the `input` and `change` events a browser raises. */
export function choose(window: Window, input: HTMLInputElement, files: File[]): void {
  const list = new window.FileList();
  list.push(...files);
  input.files = list;
  input.dispatchEvent(new window.Event('input', { bubbles: true, composed: true }));
  input.dispatchEvent(new window.Event('change', { bubbles: true }));
}

/** How an upload ended: its name, and what the server said if it refused or failed it. */
export interface UploadOutcome {
  name: string;
  refusal?: { code: string; message: string };
}

/**
 * Waits for the uploads (from `frames.sentUploads`) to be over on the server, then for the script's
 * handlers of them: how each ended.
 */
export async function uploadsSettled(
  document: Document,
  frames: PageFrames,
  uploads: readonly string[],
): Promise<UploadOutcome[]> {
  const outcomes = await Promise.all(uploads.map((upload) => frames.uploadSettled(upload)));
  for (const pageId of new Set(uploads.map((upload) => upload.split(' ')[0] as string))) {
    await handlersRan(document, frames, pageId);
  }
  return outcomes;
}

interface ClientSocket {
  readonly pageId: string;
  readonly closed: boolean;
  sendEvent(name: string, data?: unknown): number;
}

/**
 * What the server told the script of an upload (each file, a refusal) is queued in the page's
 * mailbox before the ack or refusal the client heard; each handler's updates go out when it ends.
 * An event queued now runs after them: `pw:view` naming no view (the one the client sends when it
 * cannot apply a view's edits) does nothing, and its `done` follows their updates.
 */
async function handlersRan(document: Document, frames: PageFrames, pageId: string): Promise<void> {
  // The document's socket, or a component's or fragment's (`el.serverSocket` on its root).
  const holders = [document, ...document.querySelectorAll('[data-pw-page]')] as unknown as {
    serverSocket?: ClientSocket;
  }[];
  const socket = holders.map((holder) => holder.serverSocket).find((one) => one?.pageId === pageId);
  if (!socket || socket.closed || frames.closedReason) return;
  const seq = socket.sendEvent(VIEW_RESEND_EVENT, {});
  await frames.done(`${pageId} ${seq}`);
}

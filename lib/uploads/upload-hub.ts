/**
 * The host's end of live uploads (protocol/uploads.ts): each upload's declaration checked against
 * its name's rules and the budgets, its chunks taken in order into temporary files of its page,
 * acknowledged once written, resumed on the page's next socket, failed when it stalls. A page's
 * folder (`page-<id>`, in its server's own folder: process-folder.ts) goes when the page goes: a
 * script keeps a file by moving it.
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { UPLOAD_WINDOW_CHUNKS, type UploadErrorCode } from '../../protocol/uploads.js';
import type { ClientMessage } from '../../protocol/wire.js';
import { pageGone, type RunnerToHost, type ScriptRunner } from '../../runner/messages.js';
import type { ResolvedOptions } from '../options.js';
import type { PageSocket } from '../pages/page-entry.js';
import { frame } from '../socket/frames.js';
import { safeFileName, tempFilePath } from './file-names.js';
import { HashingSink } from './hashing-sink.js';
import type { LiveFile, LiveUpload, UploadStats } from './live-upload.js';
import { imageSignatureProblem, isImageType, SIGNATURE_BYTES } from './image-signature.js';
import type { UploadBudget } from './upload-budget.js';
import { UPLOAD_EVENT, UPLOAD_RULES_PUSH, type UploadEvent } from './upload-events.js';
import { parseChunk } from './upload-messages.js';
import { declaredFileProblem, parseRules, type UploadRules } from './upload-rules.js';

type Start = Extract<ClientMessage, { t: 'up' }>;
type HubOptions = Pick<
  ResolvedOptions,
  'maxUploadFileBytes' | 'maxUploadFiles' | 'maxUploadSessionBytes' | 'maxUploadServerBytes' | 'uploadStallTimeout'
> &
  Pick<ResolvedOptions, 'logger' | 'maxMessageBytes'>;

/**
 * Files one page may be sent in its life: empty files cost no bytes of the budgets, and each is a
 * file on disk and a task of the page.
 */
export const MAX_FILES_PER_PAGE = 1000;
/** A script hears of a file's progress at each 5%. */
const PROGRESS_STEPS = 20;

export class UploadHub {
  readonly #options: HubOptions;
  readonly #root: string;
  readonly #runner: ScriptRunner;
  readonly #sessionOf: (socket: PageSocket, pageId: string) => string | undefined;
  readonly #budget: UploadBudget;
  /** Each live page's rules, by upload name. */
  readonly #rules = new Map<string, Map<string, UploadRules>>();
  readonly #uploads = new Map<string, LiveUpload>();
  /** Files each page was sent so far (MAX_FILES_PER_PAGE). */
  readonly #filesOfPage = new Map<string, number>();
  #chunks = 0;
  #refused = 0;

  constructor(
    options: HubOptions,
    root: string,
    runner: ScriptRunner,
    sessionOf: (socket: PageSocket, pageId: string) => string | undefined,
    budget: UploadBudget,
  ) {
    this.#options = options;
    this.#root = root;
    this.#runner = runner;
    this.#sessionOf = sessionOf;
    this.#budget = budget;
  }

  stats(): UploadStats {
    return {
      active: this.#uploads.size,
      chunks: this.#chunks,
      refusedChunks: this.#refused,
      reservedBytes: this.#budget.total,
    };
  }

  /** Sees every runner message first: takes a script's rules (true), and forgets pages that are gone. */
  take(message: RunnerToHost): boolean {
    if (message.type === 'push' && message.name === UPLOAD_RULES_PUSH) {
      const { name, rules } = JSON.parse(message.data) as { name: string; rules: unknown };
      const parsed = parseRules(JSON.stringify(rules), this.#options);
      if (typeof parsed === 'string') this.#options.logger.warn(`page.allowUpload('${name}'): ${parsed}`);
      else {
        const rulesOfPage = this.#rules.get(message.pageId) ?? new Map<string, UploadRules>();
        this.#rules.set(message.pageId, rulesOfPage.set(name, parsed));
      }
      return true;
    }
    const gone = pageGone(message);
    if (gone !== undefined) this.#pageGone(gone);
    return false;
  }

  /** A declaration: a new upload, checked before any byte is sent; or one resumed on a new socket. */
  start(socket: PageSocket, message: Start): void {
    const { p: pageId, u: id, n: name } = message;
    const session = this.#sessionOf(socket, pageId);
    const refuse = (text: string) => this.#refuse(socket, pageId, id, name, 'UPLOAD_REFUSED', text);
    if (session === undefined) return refuse('the page has not joined this socket');
    const key = `${pageId} ${id}`;
    const known = this.#uploads.get(key);
    if (known) return this.#resume(known, socket, session, message);
    const rules = this.#rules.get(pageId)?.get(name);
    if (!rules) return refuse(`the page allows no upload named '${name}' (page.allowUpload('${name}', rules))`);
    if (message.f.length > rules.maxFiles)
      return refuse(
        `${message.f.length} files, more than ${rules.maxFiles} (maxFiles, or the server's maxUploadFiles)`,
      );
    const files = message.f.map((f) => ({
      name: safeFileName(f.n),
      size: f.s,
      type: f.t.toLowerCase(),
      received: 0,
      reported: 0,
    }));
    for (const file of files) {
      const problem = declaredFileProblem(rules, file);
      if (problem) return refuse(problem);
    }
    const sent = (this.#filesOfPage.get(pageId) ?? 0) + files.length;
    if (sent > MAX_FILES_PER_PAGE) return refuse(`more than ${MAX_FILES_PER_PAGE} files sent to this page`);
    const reserved = files.reduce((sum, file) => sum + file.size, 0);
    const over = this.#budget.reserve(session, reserved);
    if (over) return refuse(over);
    this.#filesOfPage.set(pageId, sent);
    const upload: LiveUpload = {
      key,
      id,
      pageId,
      session,
      name,
      files,
      current: 0,
      socket,
      reserved,
      stall: undefined,
    };
    this.#uploads.set(key, upload);
    this.#stallFrom(upload);
    socket.send(frame({ t: 'up', p: pageId, u: id, o: files.map(() => 0) }));
    this.#skipEmptyFiles(upload);
  }

  /**
   * A chunk (a binary frame): taken only for an upload of a page joined on this socket, at the
   * offset expected. Returns why it was refused, if it was (the socket server ends a socket that
   * sends many).
   */
  chunk(socket: PageSocket, data: Buffer): string | undefined {
    const parsed = parseChunk(data);
    const refused = (text: string, upload?: LiveUpload) => {
      this.#refused++;
      // The upload's own failure is told as such (`upx`); the next chunks of it are unknown ones.
      if (!upload) return text;
      this.#fail(upload, text);
      return undefined;
    };
    if (typeof parsed === 'string') return refused(parsed);
    const { header, bytes } = parsed;
    const upload = this.#uploads.get(`${header.p} ${header.u}`);
    // Never started, another page's, or a socket the upload has moved away from: nothing to fail.
    if (!upload || upload.socket !== socket) return refused('no upload under way by that id on this socket');
    const file = upload.files[upload.current];
    if (!file || header.f !== upload.current || header.o !== file.received)
      return refused(`chunk out of order: expected file ${upload.current} at byte ${file?.received ?? 0}`, upload);
    if (file.received + bytes.length > file.size)
      return refused(`'${file.name}' sent more bytes than its declared size (${file.size})`, upload);
    this.#chunks++;
    this.#stallFrom(upload);
    const sink = this.#sinkOf(upload, file);
    const before = sink.head.length;
    const written = sink.write(bytes);
    file.received += bytes.length;
    const complete = file.received === file.size;
    // The type is checked as soon as the signature's bytes are in (or the whole file, if shorter).
    if (isImageType(file.type) && before < SIGNATURE_BYTES && (sink.head.length >= SIGNATURE_BYTES || complete)) {
      const problem = imageSignatureProblem(file.type, sink.head);
      if (problem) return refused(`'${file.name}' was refused: ${problem}`, upload);
    }
    // Bytes on their way to disk: a client far past its window is failed, not buffered.
    if (sink.pending > 4 * UPLOAD_WINDOW_CHUNKS * this.#options.maxMessageBytes)
      return refused('more bytes sent than acknowledged (its window)', upload);
    this.#progress(upload, file);
    if (complete) void this.#complete(upload, file);
    else if (written) this.#ack(upload, file);
    else if (!file.draining) {
      // One ack when the file drained covers every chunk taken meanwhile.
      file.draining = true;
      sink.onDrain(() => {
        file.draining = false;
        if (file.received < file.size) this.#ack(upload, file);
      });
    }
    return undefined;
  }

  /**
   * The browser cancelled an upload (`upc`): its unfinished files go, and the script hears
   * UPLOAD_CANCELLED. From the socket it is bound to, or the page's new one after a reconnection
   * (the browser cancels before declaring it again there, and never does then). Another page's,
   * another session's, or one already over: nothing.
   */
  cancel(socket: PageSocket, message: Extract<ClientMessage, { t: 'upc' }>): void {
    const upload = this.#uploads.get(`${message.p} ${message.u}`);
    if (!upload) return;
    if (upload.socket !== socket && this.#sessionOf(socket, upload.pageId) !== upload.session) return;
    upload.socket = socket;
    this.#fail(upload, 'cancelled by the browser', 'UPLOAD_CANCELLED');
  }

  /** Ends every upload (the server closes): files go with their pages' folders. */
  close(): void {
    for (const upload of [...this.#uploads.values()]) this.#end(upload);
  }

  #resume(upload: LiveUpload, socket: PageSocket, session: string, message: Start): void {
    const same =
      upload.session === session &&
      upload.name === message.n &&
      message.f.length === upload.files.length &&
      message.f.every((f, i) => f.s === upload.files[i]?.size);
    if (!same)
      return this.#refuse(
        socket,
        upload.pageId,
        upload.id,
        message.n,
        'UPLOAD_REFUSED',
        'not the upload under way by that id',
      );
    // Chunks still coming on the old socket are refused from now on: the offsets below are final.
    upload.socket = socket;
    this.#stallFrom(upload);
    socket.send(frame({ t: 'up', p: upload.pageId, u: upload.id, o: upload.files.map((f) => f.received) }));
  }

  #ack(upload: LiveUpload, file: LiveFile): void {
    const f = upload.files.indexOf(file);
    upload.socket.send(frame({ t: 'upa', p: upload.pageId, u: upload.id, f, o: file.received }));
  }

  #progress(upload: LiveUpload, file: LiveFile): void {
    const step = Math.floor((file.received / Math.max(file.size, 1)) * PROGRESS_STEPS);
    if (step <= file.reported && file.received < file.size) return;
    file.reported = step;
    this.#tell(upload.pageId, {
      kind: 'progress',
      name: upload.name,
      file: file.name,
      bytes: file.received,
      total: file.size,
    });
  }

  /**
   * The file's last bytes are in: the next file's may come at once, while this one is flushed,
   * hashed, handed to the script and acknowledged. The upload ends with its last file's.
   */
  async #complete(upload: LiveUpload, file: LiveFile): Promise<void> {
    const sink = this.#sinkOf(upload, file);
    upload.current++;
    this.#skipEmptyFiles(upload);
    // A smaller next file may be flushed first: the script still hears of them in their order.
    const earlier = upload.handed;
    let handed = () => {};
    upload.handed = new Promise<void>((resolve) => {
      handed = resolve;
    });
    try {
      let sha256: string;
      try {
        sha256 = await sink.finish();
      } catch (error) {
        this.#fail(upload, `'${file.name}' could not be written: ${(error as Error).message}`);
        return this.#removeFile(sink.path);
      }
      await earlier;
      // Failed or cancelled while it was flushed (#fail goes only from the current file on): the
      // script is never handed it, and its bytes are no longer counted, so it goes now.
      if (this.#uploads.get(upload.key) !== upload) return this.#removeFile(sink.path);
      this.#tell(upload.pageId, {
        kind: 'file',
        name: upload.name,
        file: { name: file.name, size: file.size, type: file.type, sha256, path: sink.path },
      });
      file.done = true;
      this.#ack(upload, file);
      if (upload.files.every((f) => f.done)) this.#end(upload);
    } finally {
      handed();
    }
  }

  /** Empty files have no chunk: each is complete as soon as it is next. */
  #skipEmptyFiles(upload: LiveUpload): void {
    const next = upload.files[upload.current];
    if (next?.size === 0) void this.#complete(upload, next);
  }

  #stallFrom(upload: LiveUpload): void {
    clearTimeout(upload.stall);
    const timeout = this.#options.uploadStallTimeout;
    upload.stall = setTimeout(
      () => this.#fail(upload, `no bytes for ${timeout} ms (uploadStallTimeout)`),
      timeout,
    ).unref();
  }

  #fail(upload: LiveUpload, text: string, code: UploadErrorCode = 'UPLOAD_FAILED'): void {
    if (this.#uploads.get(upload.key) !== upload) return;
    const file = upload.files[upload.current];
    this.#end(upload);
    // Its unfinished files go now; those the script was handed stay the page's.
    for (const unfinished of upload.files.slice(upload.current)) {
      const sink = unfinished.sink;
      if (sink) void sink.abort().then(() => this.#removeFile(sink.path));
    }
    this.#refuse(upload.socket, upload.pageId, upload.id, upload.name, code, text, file?.name);
  }

  #removeFile(file: string): Promise<void> {
    return rm(file, { force: true }).catch((error: Error) =>
      this.#options.logger.warn(`a temporary upload not removed: ${error.message}`),
    );
  }

  #end(upload: LiveUpload): void {
    if (this.#uploads.get(upload.key) !== upload) return;
    this.#uploads.delete(upload.key);
    clearTimeout(upload.stall);
    this.#budget.release(upload.session, upload.reserved);
  }

  /** Told to the browser (the element shows it) and to the script (its `onError`). */
  #refuse(
    socket: PageSocket,
    pageId: string,
    id: string,
    name: string,
    code: UploadErrorCode,
    message: string,
    file?: string,
  ): void {
    socket.send(frame({ t: 'upx', p: pageId, u: id, code, message }));
    this.#tell(pageId, { kind: 'error', name, code, message, ...(file === undefined ? {} : { file }) });
  }

  #tell(pageId: string, event: UploadEvent): void {
    this.#runner.post({ type: 'event', pageId, name: UPLOAD_EVENT, data: JSON.stringify(event), seq: 0 });
  }

  /** The file's temporary file, made with its first bytes in its page's folder. */
  #sinkOf(upload: LiveUpload, file: LiveFile): HashingSink {
    if (file.sink) return file.sink;
    const folder = this.#folderOf(upload.pageId);
    mkdirSync(folder, { recursive: true });
    file.sink = new HashingSink(tempFilePath(folder, file.name));
    return file.sink;
  }

  #folderOf(pageId: string): string {
    return path.join(this.#root, `page-${pageId}`);
  }

  #pageGone(pageId: string): void {
    this.#rules.delete(pageId);
    this.#filesOfPage.delete(pageId);
    // Its files closed first: one still being opened would be made again after the folder went.
    const closing: Array<Promise<void> | undefined> = [];
    for (const upload of [...this.#uploads.values()]) {
      if (upload.pageId !== pageId) continue;
      closing.push(...upload.files.map((file) => file.sink?.abort()));
      this.#end(upload);
    }
    Promise.all(closing)
      .then(() => rm(this.#folderOf(pageId), { recursive: true, force: true, maxRetries: 3 }))
      .catch((error: Error) =>
        this.#options.logger.warn(`temporary uploads of page ${pageId} not removed: ${error.message}`),
      );
  }
}

/**
 * The one interface between the host (`lib/`) and the script runner (`runner/`).
 *
 * Every message is plain, JSON-serializable data, so the runner can move into a worker thread
 * and speak the same messages over `postMessage`. Event payloads travel as JSON text (`data`):
 * the sandbox serializes a push once and the host splices it into the socket frame as it is.
 *
 * Timing: a runner never answers inside `post()`. Its messages reach the listener later, in the
 * order it sent them, whether it runs in this thread or in worker threads: the host is never
 * re-entered while it is posting.
 */
import type { CloseReason, ScriptErrorCode } from '../protocol/wire.js';
import type { SharedAnswer, SharedOp } from '../lib/shared/shared-op.js';
import type { EncodedRequest } from './sandbox/api.js';
import type { UploadedFile } from '../lib/uploads/uploaded-file.js';

export type { CloseReason, ScriptErrorCode };

/** What a script sees as `request`. */
export interface RequestData {
  method: string;
  /** The URL as the client sent it, path and query. */
  url: string;
  /** The decoded path, without the query. */
  path: string;
  /** Where the app mounted Pagewire (`/app` for `app.use('/app', wire)`); empty when not mounted. */
  baseUrl: string;
  query: Record<string, string | string[]>;
  /** Values of `[name]` segments in the script's route. */
  params: Record<string, string>;
  /** Lower-case names; repeated headers joined with `, ` (`set-cookie` excepted). */
  headers: Record<string, string>;
  cookies: Record<string, string>;
  /** A parsed JSON body, the fields of a form, the text of any other body, or `undefined`. */
  body: unknown;
  /** A multipart POST's files by field name (temporary files, removed once it is answered); `{}` otherwise. */
  files?: Record<string, UploadedFile[]>;
  /**
   * What the app's `context` option made of the request (`{}` without it): structured-clonable,
   * cloned once by the host; it reaches the sandbox with its Dates and Maps (codec.ts).
   */
  context: object;
  /** With the `csp` option: this render's CSP nonce, for the script's own `<script nonce>` tags. */
  nonce?: string;
  /** A component's props (`include(path, props)`, lib/component-includes.ts), JSON data. */
  props?: unknown;
}

/** Where a script error happened, and what it said. */
export interface ScriptErrorInfo {
  /** A stable code: `COMPILE_ERROR`, `RENDER_ERROR`, `EVENT_ERROR`, `TIMER_ERROR`, ... */
  code: ScriptErrorCode;
  name: string;
  message: string;
  /** The script file, relative to the scripts folder, when known. */
  file?: string;
  line?: number;
  column?: number;
  /** Stack trace, frames in script files only. */
  stack?: string;
  /** The lines around `line`, with a marker, for the dev error page and overlay. */
  frame?: string;
}

export type HostToRunner =
  /**
   * Run a script's top-level code for a new page. Answered by `rendered` or `render-failed`. A
   * worker pool encodes `request` before it crosses to a worker (codec.ts): encoded once, not
   * cloned and then encoded.
   */
  | { type: 'render'; script: string; pageId: string; request: RequestData | EncodedRequest }
  /**
   * A client event for a live page: queued in the page's mailbox. `seq`: its number, answered by
   * `event-done`; `key`: its coalescing key (wire.ts `k`): it replaces a queued event with the same.
   */
  | { type: 'event'; pageId: string; name: string; data: string; seq: number; key?: string }
  /** End pages: close hooks, timers and owned resources. Each is answered by `page-closed`. */
  | { type: 'close-pages'; pageIds: string[]; reason: CloseReason }
  /** A `page.channel(name).publish(data)` from any page, to be handed to every subscriber. */
  | { type: 'deliver'; channel: string; data: string }
  /**
   * Dev: files changed in the scripts folder. Sandboxes that run a changed file are let go and
   * their pages close (`reloaded`, `deleted`). `recheck`: the same files, looked at again a moment
   * later (a first look may have seen a file half written); a file still empty then is an edit.
   */
  | { type: 'files-changed'; changes: FileChange[]; recheck: boolean }
  /** The answer to a page's `shared-call`: to the worker and sandbox of the page; dropped if it is gone. */
  | { type: 'shared-answer'; pageId: string; callId: number; answer: SharedAnswer };

export type RunnerToHost =
  | {
      type: 'rendered';
      pageId: string;
      status: number;
      headers: Record<string, string | string[]>;
      body: string;
      /** True when the page stays alive and gets a socket; false for a plain, PHP-style page. */
      live: boolean;
    }
  /**
   * `retryAfter`: the script was not run, it is quarantined (it made a worker stuck lately): the
   * request is answered 503 with this many seconds in `Retry-After`.
   */
  | { type: 'render-failed'; pageId: string; error: ScriptErrorInfo; retryAfter?: number }
  | { type: 'push'; pageId: string; name: string; data: string }
  | { type: 'broadcast'; script: string; name: string; data: string }
  | { type: 'publish'; channel: string; data: string }
  | { type: 'page-closed'; pageId: string; reason: CloseReason }
  /** A client event the page could not take: its mailbox was full, or its script is quarantined. */
  | { type: 'event-refused'; pageId: string; name: string; seq: number; reason: 'queue-full' | 'quarantined' }
  /** Client event `seq` was handled (or replaced by a newer one with its key): the browser hears `done`. */
  | { type: 'event-done'; pageId: string; seq: number }
  /** Settings a script chose for its page (`page.setDisconnectGrace(ms)`). */
  | { type: 'page-options'; pageId: string; disconnectGrace: number }
  /** A page's `shared` call (lib/shared/): answered by `shared-answer` with the same `callId`. */
  | { type: 'shared-call'; pageId: string; callId: number; op: SharedOp }
  | { type: 'script-error'; script: string; pageId?: string; error: ScriptErrorInfo }
  /**
   * A line for the host's logger. `error`: the failure the line reports (a stray rejection, a
   * worker stopped), as data, for `onError`; absent for a script's own output.
   */
  | { type: 'log'; script: string; pageId?: string; level: LogLevel; text: string; error?: ScriptErrorInfo };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One file system change in the scripts folder, relative to it (posix separators). */
export interface FileChange {
  file: string;
  kind: 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';
}

/** A runner, in this process or another thread: post messages in, listen for messages out. */
export interface ScriptRunner {
  post(message: HostToRunner): void;
  /**
   * Sets the one listener for the runner's messages. The listener must not throw: a throw is a
   * bug, and surfaces as an uncaught exception, as from any event listener.
   */
  onMessage(listener: (message: RunnerToHost) => void): void;
  /** Ends every page (reason `shutdown`) and releases every sandbox. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The page a runner message says is gone, if any: its render failed, it rendered as a plain
 * (not live) page, or its instance closed. Every place that keeps pages (the host's page table,
 * the runners' maps of where each page lives) forgets a page by this one rule.
 */
export function pageGone(message: RunnerToHost): string | undefined {
  switch (message.type) {
    case 'render-failed':
    case 'page-closed':
      return message.pageId;
    case 'rendered':
      return message.live ? undefined : message.pageId;
    default:
      return undefined;
  }
}

/**
 * The one interface between the host (`lib/`) and the script runner (`runner/`).
 *
 * Every message is plain, JSON-serializable data, so the runner can move into a worker thread
 * and speak the same messages over `postMessage`. Event payloads travel as JSON text (`data`):
 * the sandbox serializes a push once and the host splices it into the socket frame as it is.
 */

/** What a script sees as `request`. */
export interface RequestData {
  method: string;
  /** The URL as the client sent it, path and query. */
  url: string;
  /** The decoded path, without the query. */
  path: string;
  query: Record<string, string | string[]>;
  /** Values of `[name]` segments in the script's route. */
  params: Record<string, string>;
  /** Lower-case names; repeated headers joined with `, ` (`set-cookie` excepted). */
  headers: Record<string, string>;
  cookies: Record<string, string>;
  /** A parsed JSON body, the fields of a form, the text of any other body, or `undefined`. */
  body: unknown;
}

/** Where a script error happened, and what it said. */
export interface ScriptErrorInfo {
  /** A stable code: `COMPILE_ERROR`, `RENDER_ERROR`, `EVENT_ERROR`, `TIMER_ERROR`, ... */
  code: string;
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

/** Why a page instance ended. */
export type CloseReason =
  | 'closed-by-script'
  | 'closed-by-client'
  | 'never-connected'
  | 'disconnected'
  | 'render-failed'
  | 'shutdown'
  | 'reloaded'
  | 'deleted'
  | 'idle'
  | 'overflow'
  | 'evicted'
  | 'crashed';

export type HostToRunner =
  /** Run a script's top-level code for a new page. Answered by `rendered` or `render-failed`. */
  | { type: 'render'; renderId: number; script: string; pageId: string; request: RequestData }
  /** A client event for a live page: queued in the page's mailbox. */
  | { type: 'event'; pageId: string; name: string; data: string }
  /** End pages: close hooks, timers and owned resources. Each is answered by `page-closed`. */
  | { type: 'close-pages'; pageIds: string[]; reason: CloseReason }
  /** A `page.channel(name).publish(data)` from any page, to be handed to every subscriber. */
  | { type: 'deliver'; channel: string; data: string };

export type RunnerToHost =
  | {
      type: 'rendered';
      renderId: number;
      status: number;
      headers: Record<string, string | string[]>;
      body: string;
      /** True when the page stays alive and gets a socket; false for a plain, PHP-style page. */
      live: boolean;
    }
  | { type: 'render-failed'; renderId: number; error: ScriptErrorInfo }
  | { type: 'push'; pageId: string; name: string; data: string }
  | { type: 'broadcast'; script: string; name: string; data: string }
  | { type: 'publish'; channel: string; data: string }
  | { type: 'page-closed'; pageId: string; reason: CloseReason }
  /** A client event the page could not take: its mailbox was full. */
  | { type: 'event-refused'; pageId: string; name: string; reason: 'queue-full' }
  /** Settings a script chose for its page (`page.setDisconnectGrace(ms)`). */
  | { type: 'page-options'; pageId: string; disconnectGrace: number }
  | { type: 'script-error'; script: string; pageId?: string; error: ScriptErrorInfo }
  /**
   * A line for the host's logger. `error`: the failure the line reports (a stray rejection, a
   * worker stopped), as data, for `onError`; absent for a script's own output.
   */
  | { type: 'log'; script: string; pageId?: string; level: LogLevel; text: string; error?: ScriptErrorInfo }
  /** In dev: files changed; pages of changed scripts are closing (`reloaded`, `deleted`). */
  | { type: 'files-changed'; changes: FileChange[] };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One file system change in the scripts folder, relative to it (posix separators). */
export interface FileChange {
  file: string;
  kind: 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';
}

/** A runner, in this process or another thread: post messages in, listen for messages out. */
export interface ScriptRunner {
  post(message: HostToRunner): void;
  /** Sets the one listener for the runner's messages. */
  onMessage(listener: (message: RunnerToHost) => void): void;
  /** Resolves when the runner is ready (in dev, when its watcher has scanned the folder). */
  ready(): Promise<void>;
  /** Ends every page (reason `shutdown`) and releases every sandbox. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The contract between a script's sandbox (the prelude, running inside vm2) and the runner
 * (`script-sandbox.ts`, in the host realm). Types only: the prelude is compiled on its own.
 *
 * Everything that crosses this line is a string or a number. vm2 proxies every object that
 * crosses its bridge (about 85 µs a call with objects, 2.5 µs with strings: RUNTIME-NOTES.md),
 * and it refuses frozen arrays such as a template's strings.
 */

/** Raised inside the sandbox, handed to the host as JSON. */
export interface RawScriptError {
  name: string;
  message: string;
  /** Frames in script files, innermost first, positions as V8 reports them. */
  frames: RawFrame[];
}

export interface RawFrame {
  file: string;
  line: number;
  column: number;
  fn?: string;
}

/**
 * How the sandbox talks to the host: one function, strings only.
 * - `push` (pageId, name, dataJson)
 * - `broadcast` (name, dataJson)
 * - `publish` (channel, dataJson)
 * - `closed` (pageId, reason)
 * - `error` (pageId or '', code, RawScriptError JSON)
 * - `log` (pageId or '', level, text)
 * - `rendered` (pageId, output): the end of an async render; `output` as `SandboxApi.render`
 * - `options` (pageId, JSON `{ disconnectGrace }`): the page's own settings
 */
export type SandboxPort = (type: string, a: string, b: string, c: string) => void;

/** Given to the prelude once, through a global it deletes at once. */
export interface SandboxBoot {
  /** The main script, relative to the scripts folder. */
  script: string;
  /** The scripts folder, absolute: scripts see `__dirname` and `__filename` in it. */
  root: string;
  port: SandboxPort;
  /**
   * Resolves a relative `specifier` imported by `fromFile` to a script file's name, relative to
   * the scripts folder; or `!` and a readable message when it is missing or outside the folder.
   */
  resolvePartial: (fromFile: string, specifier: string) => string;
  /**
   * Compiles a partial and runs it in this sandbox, where it registers with `__pagewireModule`.
   * Returns '' or, when it does not compile, a `RawScriptError` as JSON.
   */
  runPartial: (file: string) => string;
  /** Node modules a script may never load, with or without `node:`. */
  forbiddenModules: string[];
  /** Event names the client raises itself: a push may not use them. */
  reservedEvents: string[];
  /** Events a page's mailbox may hold; `dispatch` answers `full` past it. */
  maxQueuedEvents: number;
}

/**
 * What the prelude exports to the host.
 *
 * A render returns a string: `R<meta JSON>\n<body>` when it finished, `F<RawScriptError JSON>`
 * when it threw, or `''` when the script awaits at top level (the result then comes through
 * the port as `rendered`). Meta is `{ status, headers, live }`.
 */
export interface SandboxApi {
  render(pageId: string, requestJson: string): string;
  /** `ok`, `gone` (no such live page) or `full` (its mailbox holds maxQueuedEvents already). */
  dispatch(pageId: string, name: string, dataJson: string): 'ok' | 'gone' | 'full';
  /**
   * Closes pages (ids joined by `,`; one call for many, a crossing of the bridge each would
   * cost). Returns the ids that are closed now, or unknown; the others report `closed` through
   * the port when their async close hooks settle.
   */
  closePages(pageIds: string, reason: string): string;
  deliver(channel: string, dataJson: string): void;
  /** Stops the timers module code started (partials): the sandbox is being let go. */
  dispose(): void;
}

/** The parameters of a compiled script's factory, in order (see `compile.ts`). */
export const SCRIPT_PARAMETERS = [
  'echo',
  'request',
  'response',
  'server_socket_event',
  'page',
  'setTimeout',
  'setInterval',
  'clearTimeout',
  'clearInterval',
  'console',
  'require',
  'exports',
  'module',
  '__filename',
  '__dirname',
  '__pagewireHook',
] as const;

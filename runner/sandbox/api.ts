/**
 * The contract between a script's sandbox (the prelude, running inside vm2) and the runner
 * (`script-sandbox.ts`, in the host realm).
 *
 * Only strings and numbers cross this line. vm2 proxies every object that crosses its bridge
 * (about 85 µs a call with an object against 2.5 µs with strings), and it refuses frozen arrays
 * such as a template's strings. So a structured value crosses as text whose type says what it
 * holds (`Json<T>`, `EncodedRenderResult`), encoded and decoded in one place: `codec.ts`.
 */
import type { webcrypto } from 'node:crypto';
import type { CloseReason, LogLevel, ScriptErrorCode } from '../messages.js';
import type { SharedAnswer, SharedOp } from '../../lib/shared/shared-op.js';

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

declare const jsonOf: unique symbol;
/** The JSON text of a `T`. Made and read by `codec.ts`. */
export type Json<T> = string & { readonly [jsonOf]: T };

/** How a render ended, as the host reads it. */
export type RenderResult =
  | {
      ok: true;
      status: number;
      headers: Record<string, string | string[]>;
      /** True when the page stays alive and gets a socket. */
      live: boolean;
      body: string;
    }
  | { ok: false; error: RawScriptError };

declare const renderResult: unique symbol;
/** A `RenderResult` as it crosses the bridge. Made and read by `codec.ts`. */
export type EncodedRenderResult = string & { readonly [renderResult]: true };

declare const encodedRequest: unique symbol;
/** A `RequestData` as it enters the sandbox: JSON, its `context` in structured-clone records. */
export type EncodedRequest = string & { readonly [encodedRequest]: true };

/** Errors the prelude reports through the port; a render's own error is its result instead. */
export type SandboxErrorCode = Extract<
  ScriptErrorCode,
  'TIMER_ERROR' | 'EVENT_ERROR' | 'CHANNEL_ERROR' | 'CLOSE_ERROR' | 'UNCAUGHT_EXCEPTION'
>;

/**
 * One message from the sandbox to the host: the arguments of one `port(...)` call. Rest
 * parameters rather than one JSON text: four strings cost 3.3 µs a call whatever their size,
 * while a JSON tuple, 2.5 µs for a small push, escapes the push's own JSON again (10 µs for 1 KB,
 * 80 µs for 10 KB).
 */
export type PortMessage =
  /** `server_socket_event(name, data)`. */
  | [type: 'push', pageId: string, name: string, dataJson: string]
  /** `page.broadcast(name, data)`: to every live page of this script. */
  | [type: 'broadcast', name: string, dataJson: string]
  /** `page.channel(channel).publish(data)`: to every subscriber, in any sandbox. */
  | [type: 'publish', channel: string, dataJson: string]
  /** The page ended: closed by its script, or its async close hooks settled. */
  | [type: 'closed', pageId: string, reason: CloseReason]
  /** Script code outside a render threw (no page: code a partial's module started). */
  | [type: 'error', pageId: string | undefined, code: SandboxErrorCode, error: Json<RawScriptError>]
  /** `console.*` in a page's script. */
  | [type: 'log', pageId: string, level: LogLevel, text: string]
  /** The end of a render that awaited at top level (`SandboxApi.render` returned `''`). */
  | [type: 'rendered', pageId: string, result: EncodedRenderResult]
  /** `page.setDisconnectGrace(ms)`. */
  | [type: 'options', pageId: string, disconnectGrace: number]
  /** A `shared` call of the page (prelude/shared.ts), answered by `SandboxApi.sharedAnswer`. */
  | [type: 'shared', pageId: string, callId: number, op: Json<SharedOp>]
  /** Client event `seq` was handled (its hook settled), or replaced by a newer one with its key. */
  | [type: 'done', pageId: string, seq: number];

/** How the sandbox talks to the host: one function, strings and numbers only. */
export type SandboxPort = (...message: PortMessage) => void;

/** Given to the prelude once, through a global it deletes at once. */
export interface SandboxBoot {
  /** The main script, relative to the scripts folder. */
  script: string;
  /** The scripts folder, absolute: scripts see `__dirname` and `__filename` in it. */
  root: string;
  /** The node id of the process serving the pages, for `page.node`. */
  node: string;
  port: SandboxPort;
  /**
   * Resolves a relative `specifier` imported by `fromFile` to a script file's name, relative to
   * the scripts folder; or `!` and a readable message when it is missing or outside the folder.
   */
  resolvePartial: (fromFile: string, specifier: string) => string;
  /**
   * Compiles a partial and runs it in this sandbox, where it registers with `__pagewireModule`.
   * Returns '' or, when it does not compile, the error.
   */
  runPartial: (file: string) => '' | Json<RawScriptError>;
  /**
   * Loads an npm package (a bare name that is not a built-in) as host code, once per thread
   * (`runner/packages/`): its exports, through vm2's bridge. Throws an Error that says why not.
   */
  loadPackage: (specifier: string) => unknown;
  /** Makes `target.listen`, `bind` or `createConnection` refuse descriptors (fd-options.ts). */
  guardFdMethod: (target: object, key: string) => void;
  /** Node's built-in modules (without `node:`): those names go to vm2's require, not to packages. */
  builtinModules: string[];
  /** Node modules a script may never load, with or without `node:`. */
  forbiddenModules: string[];
  /** Event names the client raises itself: a push may not use them. */
  reservedEvents: string[];
  /** Events a page's mailbox may hold; `dispatch` answers `full` past it. */
  maxQueuedEvents: number;
  /** Bytes a render's body may hold (UTF-8); the echo past it fails the render. */
  maxResponseBytes: number;
  /** `maxSharedKeyBytes`, `maxSharedValueBytes`: a `shared` call past them fails before it is sent. */
  maxSharedKeyBytes: number;
  maxSharedValueBytes: number;
  /** The host's web platform globals (host-web.ts), installed by prelude/web-globals.ts. */
  web: HostWeb;
  /** Which page's code runs now, across `await`s (prelude/current-page.ts). */
  pageContext: PageContext;
  /** A fake clock for pages' timers and `Date` (`pagewire/testing`); the real one when absent. */
  clock?: SandboxClock;
}

/**
 * A clock the host owns and a test moves (`pagewire/testing`): pages' `setTimeout`/`setInterval`
 * and the sandbox's `Date` read it. Timers are numbers, so that nothing but functions and numbers
 * crosses the bridge.
 */
export interface SandboxClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): number;
  setInterval(callback: () => void, ms: number): number;
  clear(timer: number): void;
}

/** What the host hands over of the web platform (host-web.ts). */
export interface HostWeb {
  /** Host globals by name, given to scripts as they are (`URL`, `TextEncoder`, `Response`...). */
  globals: Record<string, unknown>;
  /** The host's `fetch` and `crypto`: the prelude wraps them (per page; sandbox-made bytes). */
  fetch: typeof fetch;
  crypto: webcrypto.Crypto;
  /** Host bytes from a latin1 string: how bytes made in the sandbox reach host functions. */
  bytes(latin1: string): Uint8Array;
  /** `byteLength` random bytes as latin1, for `crypto.getRandomValues` (host errors past 65,536). */
  random(byteLength: number): string;
}

/**
 * The page whose code runs now, kept by the host's `AsyncLocalStorage` across `await`s and
 * timers: a page id, or undefined outside any page.
 */
export interface PageContext {
  current(): string | undefined;
  /** From now on in this synchronous run, and in what it starts (promises, timers). */
  enter(pageId: string | undefined): void;
}

/** `ok`, `gone` (no such live page) or `full` (its mailbox holds maxQueuedEvents already). */
export type DispatchOutcome = 'ok' | 'gone' | 'full';

/** What the prelude exports to the host. */
export interface SandboxApi {
  /**
   * Renders a new page. Returns its result, or `''` when the script awaits at top level: the
   * result then comes through the port (`rendered`).
   */
  render(pageId: string, request: EncodedRequest): EncodedRenderResult | '';
  /** `seq`: the event's number, reported back as `done`; `key`: its coalescing key, or ''. */
  dispatch(pageId: string, name: string, dataJson: string, seq: number, key: string): DispatchOutcome;
  /**
   * Closes pages, their ids joined by `,` (ids are URL-safe base64): one call for many, where a
   * crossing of the bridge each would cost. Returns the ids, joined, that are closed now or
   * unknown; the others report `closed` through the port when their async close hooks settle.
   */
  closePages(pageIds: string, reason: CloseReason): string;
  deliver(channel: string, dataJson: string): void;
  /** The answer to the page's `shared` call `callId`; dropped when the page is gone. */
  sharedAnswer(pageId: string, callId: number, answer: Json<SharedAnswer>): void;
  /** Stops the timers module code started (partials): the sandbox is being let go. */
  dispose(): void;
}

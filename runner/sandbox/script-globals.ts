/**
 * The variables a page's script sees, by name. The prelude makes one `ScriptGlobals` per page;
 * the script's compiled factory takes it as its one parameter and destructures every key
 * (`compile.ts`), so adding a global is a key here, which the compiler then asks for in
 * `SCRIPT_PARAMETERS` and in the prelude's `makePageGlobals`.
 *
 * What users see of them is declared in types/script-globals.d.ts (the public contract);
 * `html`, `raw` and `json` are globals of the whole sandbox, not per page.
 */
import type { RequestData } from '../messages.js';
import type { AllowUploadOptions } from './prelude/uploads.js';

type Timer = ReturnType<typeof setTimeout>;
type Callback = (...args: unknown[]) => unknown;

export interface ScriptResponse {
  status: number;
  readonly headers: Record<string, string | string[]>;
  setHeader(name: string, value: string | number | string[]): void;
  redirect(location: string, status?: number): void;
}

export interface ScriptChannel {
  publish(data?: unknown): void;
  subscribe(fn: (data: unknown) => unknown): () => void;
}

export interface ScriptPage {
  readonly id: string;
  readonly node: string;
  onClose(fn: () => unknown): void;
  own<T>(resource: T): T;
  close(): void;
  setDisconnectGrace(ms: number): void;
  broadcast(name: string, data?: unknown): void;
  channel(name: string): ScriptChannel;
  update(selector: string, html: unknown): void;
  replace(selector: string, html: unknown): void;
  append(selector: string, html: unknown): void;
  prepend(selector: string, html: unknown): void;
  remove(selector: string): void;
  navigate(url: string): void;
  view(render: () => unknown): unknown;
  allowUpload(name: string, options?: AllowUploadOptions): void;
}

/** `shared`: the store every page shares (prelude/shared.ts; lib/shared/ on the host). */
export interface ScriptShared {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, options?: { ttl?: number }): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  incr(key: string, by?: number): Promise<unknown>;
  push(key: string, value: unknown, options?: { max?: number; ttl?: number }): Promise<unknown>;
  list(key: string, start?: number, end?: number): Promise<unknown>;
}

type LogMethod = (...parts: unknown[]) => void;
export type ScriptConsole = Readonly<Record<'log' | 'info' | 'debug' | 'warn' | 'error', LogMethod>>;

export interface ScriptGlobals {
  echo: (...parts: unknown[]) => void;
  request: RequestData;
  response: ScriptResponse;
  server_socket_event: (name: string, data?: unknown) => boolean;
  page: ScriptPage;
  shared: ScriptShared;
  /** Another script as a live component of this page (prelude/include.ts). */
  include: (path: string, props?: unknown) => Promise<unknown>;
  setTimeout: (fn: Callback, ms?: number, ...args: unknown[]) => Timer;
  setInterval: (fn: Callback, ms?: number, ...args: unknown[]) => Timer;
  clearTimeout: (timer: Timer | undefined) => void;
  clearInterval: (timer: Timer | undefined) => void;
  /** Per page: aborted when the page dies (prelude/page-fetch.ts). */
  fetch: typeof fetch;
  console: ScriptConsole;
  require: (specifier: string) => unknown;
  exports: object;
  module: { exports: unknown };
  __filename: string;
  __dirname: string;
  /** Not for users: the wrapper hands it the script's `__serverSocketEvent`, if any, at its end. */
  __pagewireHook: (hook: unknown) => void;
}

/** Each key of `ScriptGlobals` once: `satisfies` makes one missing, or one too many, an error. */
const PARAMETERS = {
  echo: true,
  request: true,
  response: true,
  server_socket_event: true,
  page: true,
  shared: true,
  include: true,
  setTimeout: true,
  setInterval: true,
  clearTimeout: true,
  clearInterval: true,
  fetch: true,
  console: true,
  require: true,
  exports: true,
  module: true,
  __filename: true,
  __dirname: true,
  __pagewireHook: true,
} as const satisfies Record<keyof ScriptGlobals, true>;

/** The names a compiled script's factory destructures from its `ScriptGlobals`. */
export const SCRIPT_PARAMETERS = Object.keys(PARAMETERS) as ReadonlyArray<keyof ScriptGlobals>;

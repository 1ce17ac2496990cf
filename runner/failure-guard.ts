import { fileURLToPath, pathToFileURL } from 'node:url';
import { types } from 'node:util';
import type { ScriptErrorCode, ScriptErrorInfo } from './messages.js';
import { pageContext } from './sandbox/host-web.js';

/**
 * Failures of script code that escape every `try` the prelude can put around it, caught at the
 * process, so that a script cannot end the server. Only where Pagewire owns the process or the
 * thread: in each worker thread, and in the CLI's process. A library in the host app's thread
 * (`workers: 0`) installs no process-wide listener: the app's own policy applies there.
 *
 * - A rejection script code never handled (`(async () => { await null; throw e })()`) reaches
 *   the process as an `unhandledRejection`: vm2 does not keep it inside the sandbox. A promise
 *   made inside a sandbox belongs to the sandbox's realm, so it is not an instance of the host's
 *   `Promise`.
 * - A throw in a callback a script handed to a Node API that the prelude does not wrap
 *   (prelude/node-modules.ts catches those of fs, timers, net, http...): a listener on a server
 *   it opened, a package's callback. Its owner is found, in this order: a frame of a script in
 *   its stack (relative, as scripts are run); the page whose code handed the callback over (the
 *   thread's `AsyncLocalStorage`, readable in the listener); else, when nothing in its stack is
 *   Pagewire's own code, a script all the same: an fs error thrown as it came has only the
 *   host's frames, a thrown string none, and the thread runs nothing but Pagewire and scripts.
 *
 * Script failures are reported and the thread goes on. Pagewire's own (a host `Error` with a frame
 * in its code, none in a script, and no page running) keep Node's default (the thread ends) unless
 * the application listens itself. A script's object or Error, whatever its `stack` says, is never
 * Pagewire's: a script knows Pagewire's folder (the fs jail's refusals name it).
 */
export interface FailureWatcher {
  /** `text` for the log; `error`, the same as data (code, file:line where a script frame says). */
  report(text: string, error: ScriptErrorInfo, pageId?: string): void;
  /** The stack with script positions, when it has a frame in one of the watcher's scripts. */
  sourceStack(stack: string): string | undefined;
  /** The script of the page, when the page is one of this watcher's. */
  scriptOf(pageId: string): string | undefined;
}

const watchers = new Set<FailureWatcher>();

function onUnhandledRejection(reason: unknown, promise: Promise<unknown>): void {
  const { owner, stack } = ownerOf(stackOf(reason));
  // A promise of a sandbox's realm is a script's; a host promise, unless Pagewire's own code made it fail.
  if (promise instanceof Promise && !owner && isPagewireOwn(reason)) {
    // The host's own rejection: behave as if we were not listening.
    if (process.listenerCount('unhandledRejection') === 1) rethrow(reason);
    return;
  }
  const text = `unhandled rejection in a script: ${describe(reason)} (await the promise, or add .catch())`;
  const error = failureInfo('UNHANDLED_REJECTION', reason, stack);
  for (const watcher of owner ? [owner] : watchers) watcher.report(text, error);
}

function onUncaughtException(error: unknown): void {
  const raw = stackOf(error);
  const { owner, stack } = ownerOf(raw);
  const page = currentPage();
  if (!owner && !page && isPagewireOwn(error)) {
    if (process.listenerCount('uncaughtException') === 1) crash(error);
    return;
  }
  const advice = 'catch errors inside callbacks given to Node APIs';
  const text = `uncaught exception in a script callback (${advice}): ${describe(error)}${stack ? `\n${stack}` : ''}`;
  const info = failureInfo('UNCAUGHT_EXCEPTION', error, stack);
  if (page && !info.file) info.file = page.script;
  const reportTo = owner ?? page?.watcher;
  for (const watcher of reportTo ? [reportTo] : watchers) watcher.report(text, info, page?.pageId);
}

/** The page whose code handed over the callback running now, if a watcher knows it. */
function currentPage(): { pageId: string; script: string; watcher: FailureWatcher } | undefined {
  const pageId = pageContext().current();
  if (pageId === undefined) return undefined;
  for (const watcher of watchers) {
    const script = watcher.scriptOf(pageId);
    if (script !== undefined) return { pageId, script, watcher };
  }
  return undefined;
}

/**
 * Pagewire's own code: this package's files (its source, or dist/), not its dependencies. Installed
 * by npm the package itself lies in a node_modules folder: only a node_modules folder below its
 * root makes a frame a dependency's.
 */
const OWN_ROOT = fileURLToPath(new URL('..', import.meta.url));
const OWN_URL = pathToFileURL(OWN_ROOT).href;

function isOwnFrame(line: string): boolean {
  const at = line.trimStart();
  if (!at.startsWith('at ')) return false;
  return [OWN_ROOT, OWN_URL].some((root) => {
    const start = at.indexOf(root);
    return start !== -1 && !at.slice(start + root.length).includes('node_modules/');
  });
}

/**
 * A failure of Pagewire's own: an `Error` of the host's realm (not a sandbox's, which vm2 hands
 * over as a proxy, nor a plain object: a script can write any `stack`) with a frame in its code.
 */
function isPagewireOwn(failure: unknown): boolean {
  if (!(failure instanceof Error) || types.isProxy(failure)) return false;
  return stackOf(failure).split('\n').some(isOwnFrame);
}

function ownerOf(stack: string): { owner?: FailureWatcher; stack?: string } {
  if (!stack) return {};
  for (const watcher of watchers) {
    const mapped = watcher.sourceStack(stack);
    if (mapped !== undefined) return { owner: watcher, stack: mapped };
  }
  return {};
}

/** The failure as data: where its first frame in a script file is, when it has one. */
function failureInfo(code: ScriptErrorCode, reason: unknown, stack: string | undefined): ScriptErrorInfo {
  const { name, message } = nameAndMessage(reason);
  const info: ScriptErrorInfo = { code, name, message };
  if (stack) info.stack = stack;
  const at = stack ? /([^\s()]+\.ts):(\d+):(\d+)/.exec(stack) : null;
  if (at) Object.assign(info, { file: at[1], line: Number(at[2]), column: Number(at[3]) });
  return info;
}

function stackOf(value: unknown): string {
  try {
    // Not `instanceof Object`: a sandbox's error is of another realm, and its stack names the script's line.
    const isObject = (typeof value === 'object' || typeof value === 'function') && value !== null;
    return isObject && 'stack' in value ? String((value as { stack?: unknown }).stack ?? '') : '';
  } catch {
    // Formatting a sandbox error's stack from the host can throw.
    return '';
  }
}

function describe(reason: unknown): string {
  if (reason !== null && typeof reason === 'object' && 'message' in reason) {
    const { name, message } = nameAndMessage(reason);
    return `${name}: ${message}`;
  }
  return String(reason);
}

function nameAndMessage(reason: unknown): { name: string; message: string } {
  if (reason !== null && typeof reason === 'object' && 'message' in reason) {
    const { name, message } = reason as { name?: unknown; message?: unknown };
    return { name: typeof name === 'string' ? name : 'Error', message: String(message) };
  }
  return { name: 'Error', message: String(reason) };
}

function rethrow(reason: unknown): void {
  process.nextTick(() => {
    throw reason;
  });
}

/** What Node does with an uncaught exception nobody listens for: print it, exit with 1. */
function crash(error: unknown): void {
  process.off('uncaughtException', onUncaughtException);
  console.error(error);
  process.exit(1);
}

/** Starts reporting script failures to `watcher`; returns the function that stops it. */
export function watchSandboxFailures(watcher: FailureWatcher): () => void {
  if (watchers.size === 0) {
    process.on('unhandledRejection', onUnhandledRejection);
    process.on('uncaughtException', onUncaughtException);
  }
  watchers.add(watcher);
  return () => {
    if (!watchers.delete(watcher)) return;
    if (watchers.size === 0) {
      process.off('unhandledRejection', onUnhandledRejection);
      process.off('uncaughtException', onUncaughtException);
    }
  };
}

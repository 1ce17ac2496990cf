import type { ScriptErrorCode, ScriptErrorInfo } from './messages.js';

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
 * - A throw in a callback a script handed to a Node API (`fs.readFile(path, () => { throw e })`)
 *   is an uncaught exception. Its stack names a script file (relative, as scripts are run).
 *
 * Script failures are reported and the process goes on. The host's own keep Node's default
 * (the process ends) unless the application listens for them itself.
 */
export interface FailureWatcher {
  /** `text` for the log; `error`, the same as data (code, file:line where a script frame says). */
  report(text: string, error: ScriptErrorInfo): void;
  /** The stack with script positions, when it has a frame in one of the watcher's scripts. */
  sourceStack(stack: string): string | undefined;
}

const watchers = new Set<FailureWatcher>();

function onUnhandledRejection(reason: unknown, promise: Promise<unknown>): void {
  const { owner, stack } = ownerOf(stackOf(reason));
  if (promise instanceof Promise && !owner) {
    // The host's own rejection: behave as if we were not listening.
    if (process.listenerCount('unhandledRejection') === 1) rethrow(reason);
    return;
  }
  const text = `unhandled rejection in a script: ${describe(reason)} (await the promise, or add .catch())`;
  const error = failureInfo('UNHANDLED_REJECTION', reason, stack);
  for (const watcher of owner ? [owner] : watchers) watcher.report(text, error);
}

function onUncaughtException(error: unknown): void {
  const { owner, stack } = ownerOf(stackOf(error));
  if (!owner) {
    if (process.listenerCount('uncaughtException') === 1) crash(error);
    return;
  }
  const advice = 'catch errors inside callbacks given to Node APIs';
  const text = `uncaught exception in a script callback (${advice}): ${describe(error)}\n${stack}`;
  owner.report(text, failureInfo('UNCAUGHT_EXCEPTION', error, stack));
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
    return value instanceof Object && 'stack' in value ? String((value as { stack?: unknown }).stack ?? '') : '';
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

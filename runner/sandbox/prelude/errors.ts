/**
 * Errors of script code: structured frames in script files only, so that the host can point at
 * `file:line:col` in the source; and `guard`, which turns a throw or a rejection of a callback
 * into a reported error rather than a crash.
 */
import type { RawFrame, RawScriptError, SandboxErrorCode } from '../api.js';
import { toJson } from '../codec.js';
import { port } from './boot.js';
import { inspect, isThenable } from './inspect.js';

type Task = () => unknown;

/** The name vm2 runs the prelude under: its own frames are not the script's. */
const PRELUDE_FILE = 'pagewire:prelude';
const framesOf = new WeakMap<object, RawFrame[]>();

/** Records every error's frames as V8 formats its stack. */
export function installStackFrames(): void {
  Error.stackTraceLimit = 30;
  Error.prepareStackTrace = (error: Error, callSites: NodeJS.CallSite[]): string => {
    const frames: RawFrame[] = [];
    for (const site of callSites) {
      const file = site.getFileName();
      if (!file || file === PRELUDE_FILE || file.startsWith('node:')) continue;
      frames.push({
        file,
        line: site.getLineNumber() ?? 0,
        column: site.getColumnNumber() ?? 0,
        fn: site.getFunctionName() ?? undefined,
      });
    }
    framesOf.set(error, frames);
    return [`${error.name}: ${error.message}`, ...frames.map(formatFrame)].join('\n');
  };
}

/** `    at fn (file:line:col)` or `    at file:line:col`, as V8 writes a frame. */
const STACK_LINE = /^\s+at (?:(?:async )?(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

function framesFromText(stack: string): RawFrame[] {
  const frames: RawFrame[] = [];
  for (const line of stack.split('\n')) {
    const match = STACK_LINE.exec(line);
    if (!match) continue;
    const [, fn, file = '', lineNumber, column] = match;
    if (file === PRELUDE_FILE || file.startsWith('node:')) continue;
    frames.push({ file, line: Number(lineNumber), column: Number(column), ...(fn ? { fn } : {}) });
  }
  return frames;
}

function formatFrame(f: RawFrame): string {
  return `    at ${f.fn ? `${f.fn} (` : ''}${f.file}:${f.line}:${f.column}${f.fn ? ')' : ''}`;
}

/**
 * `site`: where the script handed over the callback that threw (`callSite()`), for a throw whose
 * value has no frame in a script (an fs error thrown as it came, a string): its frames instead.
 */
export function toRawError(error: unknown, site?: object): RawScriptError {
  const raw = rawError(error);
  // Frames of host code only (a host function that called back into the script) say nothing of
  // where in the script it happened: the site does.
  if (site && !raw.frames.some(isScriptFrame)) raw.frames = framesOfSite(site);
  return raw;
}

/** Scripts run under their path relative to the scripts folder; host code under an absolute one. */
function isScriptFrame(frame: RawFrame): boolean {
  return !/^(?:file:|\/|[A-Za-z]:[\\/])/.test(frame.file);
}

function rawError(error: unknown): RawScriptError {
  if (error instanceof Error) {
    void error.stack; // formatting the stack records the frames
    // An error made by host code comes without its frames (vm2 hides them); one that kept a copy
    // (`hostStack`: a forbidden module reached by a package) has the script's frames in its text.
    const hostStack = (error as { hostStack?: unknown }).hostStack;
    const frames = typeof hostStack === 'string' ? framesFromText(hostStack) : (framesOf.get(error) ?? []);
    return { name: error.name, message: error.message, frames };
  }
  return { name: 'Error', message: `a value that is not an Error was thrown: ${inspect(error)}`, frames: [] };
}

/** The script's position now, captured cheaply: its frames are formatted only if they are read. */
export function callSite(): object {
  const site = {};
  Error.captureStackTrace(site, callSite);
  return site;
}

function framesOfSite(site: object): RawFrame[] {
  void (site as { stack?: unknown }).stack;
  return framesOf.get(site) ?? [];
}

/** Reports an error of script code to the host, for a page or (undefined) for module code. */
export function report(pageId: string | undefined, code: SandboxErrorCode, error: unknown, site?: object): void {
  port('error', pageId, code, toJson(toRawError(error, site)));
}

/**
 * Runs a callback from script code; any throw or rejection becomes a reported error (pointing at
 * `site` when what was thrown has no script frame).
 */
export function guard(pageId: string | undefined, code: SandboxErrorCode, task: Task, site?: object): unknown {
  try {
    const result = task();
    if (isThenable(result)) {
      return Promise.resolve(result).catch((error: unknown) => report(pageId, code, error, site));
    }
    return result;
  } catch (error) {
    report(pageId, code, error, site);
    return undefined;
  }
}

/** A partial that does not compile: its own position first, then the importing line. */
export function partialError(raw: RawScriptError): Error {
  const error = new Error(raw.message);
  error.name = raw.name;
  void error.stack;
  framesOf.set(error, [...raw.frames, ...(framesOf.get(error) ?? [])]);
  return error;
}

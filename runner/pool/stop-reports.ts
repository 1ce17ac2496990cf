/** What the log and `onError` are told when the pool stops a worker for a script, or quarantines one. */
import type { RunnerToHost, ScriptErrorInfo } from '../messages.js';
import { ScriptError } from '../script-error.js';
import type { StuckFrame } from './stuck-stack.js';
import type { Task } from './task-ledger.js';
import type { FromWorker } from './worker-protocol.js';

const MiB = 1024 * 1024;

/** The error of a script stuck at `frames` (innermost first), with the source of the innermost file. */
export function stuckReport(
  task: Task,
  frames: readonly [StuckFrame, ...StuckFrame[]],
  watchdogTimeout: number,
  source: string | undefined,
): Extract<RunnerToHost, { type: 'script-error' }> {
  const [at] = frames;
  // The page's own script is the outermost frame; the loop itself may be in a partial.
  const script = (frames.at(-1) ?? at).file;
  const ours = task.script === script;
  const stack = frames
    .map((frame) => `    at ${frame.functionName || '<top level>'} (${frame.file}:${frame.line})`)
    .join('\n');
  const held = `held its worker for more than ${watchdogTimeout} ms without yielding`;
  const what = ours ? task.what : 'a script';
  const message = `${what} ${held}: an endless loop? Its worker was stopped and its pages reload`;
  const error = new ScriptError(
    { code: 'SCRIPT_STUCK', name: 'Error', message, file: at.file, line: at.line, stack },
    source,
  ).info;
  return { type: 'script-error', script, pageId: ours ? task.pageId : undefined, error };
}

/** Why a worker past its memory limit was stopped, and the error of the script that ran (if known). */
export function overMemoryReport(
  task: Task,
  used: Extract<FromWorker, { kind: 'over-memory' }>,
  limitBytes: number,
): { why: string; limit: string; error: ScriptErrorInfo | undefined } {
  const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`;
  const { heapBytes, externalBytes, inTask } = used;
  const limit = `maxWorkerMemoryBytes (${limitBytes} bytes)`;
  const sizes =
    `${mib(heapBytes + externalBytes)} (${mib(heapBytes)} of heap, ` +
    `${mib(externalBytes)} of Buffers and other memory outside it)`;
  const when = inTask ? 'as it ended' : 'after it started (found on a timer)';
  const what = task.script ? `${task.what} of ${task.script}` : task.what;
  const why = `its memory passed ${limit}, at ${sizes}, ${when} ${what}`;
  if (!task.script) return { why, limit, error: undefined };
  const message =
    `${task.what} took its worker's memory past ${limit}, to ${sizes}: its worker was stopped and its pages ` +
    'reload. Keep less in memory (a Buffer per request, an array that only grows?), or raise maxWorkerMemoryBytes';
  return { why, limit, error: { code: 'SCRIPT_OUT_OF_MEMORY', name: 'Error', message, file: task.script } };
}

/** The log line of a quarantine. */
export function quarantineLog(script: string, ms: number, why: string): Extract<RunnerToHost, { type: 'log' }> {
  const text =
    `${script} is quarantined for ${ms / 1000} s: it ${why}. Until then its renders answer 503 ` +
    '(Retry-After) and its events an error, so that repeating the request cannot stop the workers again';
  const error = { code: 'SCRIPT_QUARANTINED' as const, name: 'Error', message: text, file: script };
  return { type: 'log', script: '', level: 'error', text, error };
}

/** The answer to a render of a quarantined script: refused (503), with `Retry-After`. */
export function quarantinedRender(script: string, pageId: string, retryAfter: number): RunnerToHost {
  const message =
    `${script} is quarantined for ${retryAfter} s more: it made a worker stuck or pass ` +
    'maxWorkerMemoryBytes lately (see the log). Fix it: in dev, saving a file ends the quarantine';
  const error = { code: 'SCRIPT_QUARANTINED' as const, name: 'Error', message, file: script };
  return { type: 'render-failed', pageId, error, retryAfter };
}

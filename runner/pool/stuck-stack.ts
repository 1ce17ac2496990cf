import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { WRAPPER_LINES } from '../compile.js';

/** A frame in a script file (relative to the scripts folder), at its line in the source. */
export interface StuckFrame {
  file: string;
  line: number;
  functionName: string;
}

interface PausedFrame {
  functionName: string;
  location: { scriptId: string; lineNumber: number };
}

interface WorkerReply {
  id?: number;
  method?: string;
  params?: { scriptId?: string; url?: string; callFrames?: PausedFrame[] };
}

/**
 * Where a worker stuck in a script is, read before the worker is terminated: the host attaches
 * the inspector to the worker and asks V8 to pause it. A pause request is served at the loop's
 * next interrupt check, so it reaches `while (true) {}`, which no message or timer of the
 * worker's own can. Resolves with the frames in script files, innermost first; empty when the
 * inspector is unavailable or the worker did not pause within `timeoutMs` (stuck in native
 * code, say): the caller then reports without a line. The worker is left running, not paused:
 * a worker paused in the debugger could not be terminated.
 */
export async function whereStuck(worker: Worker, timeoutMs: number): Promise<StuckFrame[]> {
  let session: import('node:inspector/promises').Session;
  try {
    // Loaded here: a Node built without the inspector still runs Pagewire, without the line.
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
  } catch {
    return [];
  }
  const deadline = performance.now() + timeoutMs;
  const urls = new Map<string, string>();
  const replies = new Map<number, () => void>();
  let onPaused: (frames: PausedFrame[]) => void = () => {};
  let sessionId = '';
  let lastId = 0;
  const call = (method: string): Promise<void> => {
    const id = ++lastId;
    const replied = new Promise<void>((resolve) => replies.set(id, resolve));
    void session
      .post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method }) })
      .catch(() => {});
    return replied;
  };
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    if (params.sessionId !== sessionId) return;
    const reply = JSON.parse(params.message) as WorkerReply;
    if (reply.id !== undefined) replies.get(reply.id)?.();
    // Every script the worker has loaded is announced on `Debugger.enable`: frames name their
    // script by id only.
    if (reply.method === 'Debugger.scriptParsed' && reply.params?.scriptId)
      urls.set(reply.params.scriptId, reply.params.url ?? '');
    if (reply.method === 'Debugger.paused') onPaused(reply.params?.callFrames ?? []);
  });
  const attached = new Promise<string>((resolve) => {
    session.on('NodeWorker.attachedToWorker', ({ params }) => {
      // The inspector numbers workers its own way; the title carries the thread id.
      if (params.workerInfo.title.startsWith(`[worker ${worker.threadId}]`)) resolve(params.sessionId);
    });
  });
  try {
    await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    sessionId = await within(attached, deadline);
    const paused = new Promise<PausedFrame[]>((resolve) => (onPaused = resolve));
    await within(call('Debugger.enable'), deadline);
    void call('Debugger.pause');
    const frames = await within(paused, deadline);
    return frames.flatMap((frame) => {
      const file = urls.get(frame.location.scriptId) ?? '';
      if (!isScriptFile(file)) return [];
      // The inspector counts from 0; sucrase keeps every line where it was, under the wrapper's.
      // (Columns move as types are stripped, and the compiled code is the worker's: lines only.)
      return [
        { file, line: Math.max(1, frame.location.lineNumber + 1 - WRAPPER_LINES), functionName: frame.functionName },
      ];
    });
  } catch {
    return [];
  } finally {
    // Resumes the worker (and drops a pause still requested), and must come before the session
    // goes: a worker left paused by a closed session cannot be terminated, nor exit.
    if (sessionId) await within(call('Debugger.disable'), performance.now() + 200).catch(() => {});
    session.disconnect();
  }
}

function within<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error('the worker did not answer the inspector in time')),
      Math.max(0, deadline - performance.now()),
    ).unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Scripts run in their VM under their name relative to the scripts folder; Node's and vm2's own
 * files have absolute paths or URLs.
 */
function isScriptFile(url: string): boolean {
  return /\.[cm]?[jt]sx?$/.test(url) && !path.isAbsolute(url) && !url.includes(':');
}

import { Session } from 'node:inspector/promises';

/**
 * Ends one worker thread of this process from outside the code that owns it, as a crash
 * would: through the inspector, the worker is made to run `process.exit(code)`. The pool only
 * learns of it from the worker's `exit` event. Node's own module-loader threads are left alone.
 * Resolves with the thread id of the worker ended.
 */
export async function killOneWorker(code: number): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    const target = new Promise<{ sessionId: string; threadId: number }>((resolve) => {
      session.on('NodeWorker.attachedToWorker', ({ params }) => {
        const threadId = Number(/^\[worker (\d+)\]/.exec(params.workerInfo.title)?.[1]);
        if (!params.workerInfo.url.startsWith('node:internal/') && threadId)
          resolve({ sessionId: params.sessionId, threadId });
      });
    });
    await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    const { sessionId, threadId } = await target;
    const detached = new Promise<void>((resolve) => {
      session.on('NodeWorker.detachedFromWorker', ({ params }) => {
        if (params.sessionId === sessionId) resolve();
      });
    });
    const message = JSON.stringify({
      id: 1,
      method: 'Runtime.evaluate',
      params: { expression: `process.exit(${code})` },
    });
    await session.post('NodeWorker.sendMessageToWorker', { sessionId, message });
    await detached;
    return threadId;
  } finally {
    session.disconnect();
  }
}

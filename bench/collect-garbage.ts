import { Session } from 'node:inspector/promises';

/**
 * A full garbage collection in this thread (needs --expose-gc) and in every worker thread of
 * this process, so an RSS reading counts live memory only: the scripts' pages live in the
 * workers, which `gc()` here does not reach. The workers are asked through the inspector.
 */
export async function collectGarbageEverywhere(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  const session = new Session();
  session.connect();
  try {
    const sessions: string[] = [];
    session.on('NodeWorker.attachedToWorker', ({ params }) => {
      // Node's module-loader threads hold no pages.
      if (!params.workerInfo.url.startsWith('node:internal/')) sessions.push(params.sessionId);
    });
    const replies = new Map<string, () => void>();
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
      if ((JSON.parse(params.message) as { id?: number }).id === 1) replies.get(params.sessionId)?.();
    });
    // Attached workers are announced before enable answers.
    await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    await Promise.all(
      sessions.map((sessionId) => {
        const done = new Promise<void>((resolve) => replies.set(sessionId, resolve));
        const message = JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' });
        return session.post('NodeWorker.sendMessageToWorker', { sessionId, message }).then(() => done);
      }),
    );
  } finally {
    session.disconnect();
  }
}

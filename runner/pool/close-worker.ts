import type { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/**
 * Asks a worker to close its pages (their close hooks run) and terminates it once it has, or after
 * `waitMs` whatever it does.
 */
export function closeWorker(worker: Worker, waitMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => void worker.terminate().then(done), waitMs);
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'closed') void worker.terminate().then(done);
    });
    worker.once('exit', done);
    worker.postMessage({ kind: 'close' } satisfies ToWorker);
  });
}

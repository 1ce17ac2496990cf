import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { HostToRunner } from '../../runner/messages.js';
import { WorkerOutbox } from '../../runner/pool/worker-outbox.js';
import type { ToWorker } from '../../runner/pool/worker-protocol.js';

/** A real worker thread that sends back each message it receives, as it got it. */
function echoWorker(): Worker {
  const code = [
    "const { parentPort } = require('node:worker_threads');",
    "parentPort.on('message', (m) => parentPort.postMessage(m));",
  ].join('\n');
  return new Worker(code, { eval: true });
}

/** The worker's next `count` messages, every one heard however close together they come. */
function received(worker: Worker, count: number): Promise<ToWorker[]> {
  const got: ToWorker[] = [];
  return new Promise((resolve) => {
    const listener = (message: ToWorker) => {
      got.push(message);
      if (got.length < count) return;
      worker.off('message', listener);
      resolve(got);
    };
    worker.on('message', listener);
  });
}

const event = (name: string): HostToRunner => ({ type: 'event', pageId: 'p', name, data: 'null', seq: 1 });

describe('WorkerOutbox', () => {
  it("sends the messages of one turn as one postMessage, in order, each with its task's number", async () => {
    const worker = echoWorker();
    try {
      const outbox = new WorkerOutbox(worker);
      outbox.add(7, event('a'));
      outbox.add(8, event('b'));
      outbox.add(9, event('c'));
      const [first] = (await once(worker, 'message')) as [ToWorker];
      assert.deepEqual(first, { kind: 'messages', tasks: [7, 8, 9], messages: [event('a'), event('b'), event('c')] });
      // A later turn: a message of its own.
      outbox.add(10, event('d'));
      const [second] = (await once(worker, 'message')) as [ToWorker];
      assert.deepEqual(second, { kind: 'messages', tasks: [10], messages: [event('d')] });
    } finally {
      await worker.terminate();
    }
  });

  it('flush sends at once what is queued (before a close), and discard drops it', async () => {
    const worker = echoWorker();
    try {
      const outbox = new WorkerOutbox(worker);
      outbox.add(1, event('dropped'));
      outbox.discard();
      outbox.add(2, event('kept'));
      const both = received(worker, 2);
      outbox.flush();
      worker.postMessage({ kind: 'close' } satisfies ToWorker);
      assert.deepEqual(await both, [{ kind: 'messages', tasks: [2], messages: [event('kept')] }, { kind: 'close' }]);
    } finally {
      await worker.terminate();
    }
  });
});

// A worker thread of the pool: an in-process runner, spoken to through messages.
import { parentPort, workerData } from 'node:worker_threads';
import { InProcessRunner } from './runner.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('runner/worker-entry runs in a worker thread');
const { settings, aliveInterval } = workerData as WorkerData;
const send = (message: FromWorker) => port.postMessage(message);

// The pool watches files once for all its workers.
const runner = new InProcessRunner({ ...settings, watch: false });
runner.onMessage((message) => send({ kind: 'message', message }));
// A timer that cannot fire while a script holds the thread: its silence is the alarm.
let lastAlive = Date.now();
const sayAlive = () => {
  lastAlive = Date.now();
  send({ kind: 'alive' });
};
const alive = setInterval(sayAlive, aliveInterval);

port.on('message', (incoming: ToWorker) => {
  // A long queue of quick messages is work, not a stuck script, though timers wait behind it.
  if (Date.now() - lastAlive > aliveInterval) sayAlive();
  switch (incoming.kind) {
    case 'message':
      return runner.post(incoming.message);
    case 'files':
      return runner.filesChanged(incoming.changes);
    case 'close':
      clearInterval(alive);
      void runner.close().then(() => {
        send({ kind: 'closed' });
        port.close();
      });
      return;
    default: {
      const unknown: never = incoming;
      throw new Error(`unknown pool message ${JSON.stringify(unknown)}`);
    }
  }
});
sayAlive();

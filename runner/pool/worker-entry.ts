// A worker thread of the pool: an in-process runner, spoken to through messages.
// First, before any module it loads (ES imports run in order): the forbidden-module guard.
import '../packages/install-guard.js';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { InProcessRunner } from '../in-process-runner.js';
import { MEMORY_CHECK_INTERVAL, memoryOver } from './memory-watch.js';
import type { HostToRunner } from '../messages.js';
import type { FromWorker, SourceAnswer, ToWorker, WorkerData } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('runner/worker-entry runs in a worker thread');
const { settings, aliveInterval, maxMemoryBytes, sources, signal, progress } = workerData as WorkerData;
const send = (message: FromWorker) => port.postMessage(message);
const flag = new Int32Array(signal);
const [RUNNING, STARTED] = [0, 1];
const tasks = new Int32Array(progress);

/**
 * Scripts are read through the pool, synchronously (compiling is synchronous): every worker
 * then runs the same version of a file, even one edited on a production server.
 */
function readSource(file: string): string {
  Atomics.store(flag, 0, 0);
  sources.postMessage(file);
  Atomics.wait(flag, 0, 0, 10_000);
  const answer = receiveMessageOnPort(sources)?.message as SourceAnswer | undefined;
  if (!answer) throw new Error(`reading ${file}: the server did not answer`);
  if ('error' in answer) throw new Error(answer.error);
  return answer.source;
}

// The worker owns its thread: a script's stray rejection is caught here, whatever the host app
// does in its own thread.
// A timer that cannot fire while a script holds the thread: its silence is the alarm.
let lastAlive = Date.now();
const sayAlive = () => {
  lastAlive = Date.now();
  send({ kind: 'alive' });
};
// Building a sandbox runs no script code: the pool does not count its silence against the script.
const sandboxBuild = { start: () => send({ kind: 'building' }), end: sayAlive };
const runner = new InProcessRunner({ ...settings, guardProcess: true, readSource, sandboxBuild }, 'at-once');
runner.onMessage((message) => send({ kind: 'message', message }));
const alive = setInterval(sayAlive, aliveInterval);

/**
 * Past its memory limit, the worker tells the pool and then runs nothing more (a script that
 * allocates between awaits would go on): the pool terminates it, which ends the wait.
 */
function checkMemory(inTask: boolean): void {
  const over = memoryOver(maxMemoryBytes);
  if (!over) return;
  send({ kind: 'over-memory', ...over, inTask });
  for (;;) Atomics.wait(halt, 0, 0);
}
const halt = new Int32Array(new SharedArrayBuffer(4));
// On a timer too: memory grows in timers and after awaits, which are no task's.
const memoryCheck = setInterval(() => checkMemory(false), MEMORY_CHECK_INTERVAL);

/** Runs one message of the pool, numbered `task` in its ledger. */
function run(task: number, message: HostToRunner): void {
  // A long queue of quick messages is work, not a stuck script, though timers wait behind it.
  if (Date.now() - lastAlive > aliveInterval) sayAlive();
  Atomics.store(tasks, STARTED, task);
  Atomics.store(tasks, RUNNING, task);
  try {
    runner.post(message);
  } finally {
    // What runs later (a timer, code after an await) is no message's.
    Atomics.store(tasks, RUNNING, 0);
    checkMemory(true);
  }
}

port.on('message', (incoming: ToWorker) => {
  switch (incoming.kind) {
    case 'messages': {
      const { tasks: numbers, messages } = incoming;
      for (let i = 0; i < messages.length; i++) run(numbers[i] as number, messages[i] as HostToRunner);
      return;
    }
    case 'close':
      if (Date.now() - lastAlive > aliveInterval) sayAlive();
      clearInterval(alive);
      clearInterval(memoryCheck);
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

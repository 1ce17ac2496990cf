/**
 * Pagewire's cluster primary: starts N server processes with Node's `cluster` (one port, the
 * connections spread over them), gives each a node id, and routes between them what must reach
 * a particular process or all of them: a page socket that reached a process not holding its page
 * (handed over with the connection), a status question, a publication or broadcast. A process
 * that dies is replaced by a new one (a new node id: the dead one's pages are gone, their
 * browsers reload). It serves no request itself.
 */
import { randomBytes } from 'node:crypto';
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { Socket } from 'node:net';
import { CLUSTER_ENV } from './cluster-env.js';
import { isClusterMessage, type ToPrimary, type ToProcess } from './cluster-messages.js';
import { stopReading } from './handover.js';

export interface ClusterOptions {
  /** Server processes to run: a number, or `'auto'` for one per core. */
  processes: number | 'auto';
  /** What the primary says (started, stopped, replaced); the console by default. */
  log?: (line: string) => void;
}

export interface ClusterPrimary {
  /** The node id of each live process, by pid. */
  nodes(): Map<number, string>;
  /** Resolves with the address the processes listen on, once the first of them does. */
  listening: Promise<{ address: string; port: number }>;
  /** Stops every process (each closes its pages: close hooks run), then resolves. */
  stop(): Promise<void>;
}

/** A process that exits before it ever listened, this many times in a row: the cluster gives up. */
const MAX_FAILED_STARTS = 3;

/** The number `processes` means: `'auto'` is one per core. */
export function processCount(processes: number | 'auto'): number {
  return processes === 'auto' ? availableParallelism() : processes;
}

/**
 * Starts the cluster from the primary process (`cluster.isPrimary`): each process runs this
 * program again (`process.argv`), where `pagewire()` finds its node id and the link to this
 * primary. Call it in the app's primary branch, the app's server in the other.
 */
export function clusterPrimary(options: ClusterOptions): ClusterPrimary {
  if (!cluster.isPrimary) throw new Error('clusterPrimary(): call it in the primary process (cluster.isPrimary)');
  const count = processCount(options.processes);
  if (!Number.isInteger(count) || count < 1)
    throw new TypeError(`clusterPrimary(): processes must be a whole number of at least 1, or 'auto'; got ${count}`);
  const log = options.log ?? ((line: string) => console.log(`[pagewire] ${line}`));
  // Node ids: one prefix per primary (a restarted cluster's ids are new), a number per process.
  const prefix = randomBytes(3).toString('hex');
  // One key for the whole cluster: a cookie one process issued, every other verifies.
  const sessionKey = randomBytes(32).toString('base64');
  const nodeOf = new Map<Worker, string>();
  const listeningNodes = new Map<string, Worker>();
  const asks = new Map<number, { from: Worker; id: number; node: string }>();
  let started = 0;
  let nextAsk = 1;
  let failedStarts = 0;
  let stopping: Promise<void> | undefined;
  let resolveListening: (address: { address: string; port: number }) => void = () => {};
  let rejectListening: (error: Error) => void = () => {};
  const listening = new Promise<{ address: string; port: number }>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });

  const tellNodes = () => {
    const message: ToProcess = { pw: 'nodes', nodes: [...listeningNodes.keys()] };
    for (const worker of listeningNodes.values()) send(worker, message);
  };

  const start = () => {
    const node = `${prefix}-${++started}`;
    const env = {
      [CLUSTER_ENV.node]: node,
      [CLUSTER_ENV.processes]: String(count),
      [CLUSTER_ENV.sessionKey]: sessionKey,
    };
    const worker = cluster.fork(env);
    nodeOf.set(worker, node);
    worker.on('message', (message: unknown, handle: unknown) => {
      if (isClusterMessage<ToPrimary>(message)) route(worker, message, handle);
    });
  };

  const route = (from: Worker, message: ToPrimary, handle: unknown) => {
    switch (message.pw) {
      case 'hand-over': {
        if (!(handle instanceof Socket)) return;
        const owner = listeningNodes.get(message.node);
        // Gone between the process's look and now: as it would have answered.
        if (!owner) return gone(handle, message.node);
        stopReading(handle);
        owner.send({ pw: 'hand-over', head: message.head } satisfies ToProcess, handle);
        return;
      }
      case 'ask': {
        const owner = listeningNodes.get(message.node);
        if (!owner) return send(from, { pw: 'answer', id: message.id, error: `node ${message.node} is gone` });
        const id = nextAsk++;
        asks.set(id, { from, id: message.id, node: message.node });
        return send(owner, { pw: 'ask', id, ask: message.ask });
      }
      case 'answer': {
        const asked = asks.get(message.id);
        asks.delete(message.id);
        if (asked) send(asked.from, { pw: 'answer', id: asked.id, live: message.live });
        return;
      }
      case 'bus':
        for (const worker of listeningNodes.values()) if (worker !== from) send(worker, message);
        return;
      default: {
        const unknown: never = message;
        void unknown;
      }
    }
  };

  cluster.on('listening', (worker, address) => {
    const node = nodeOf.get(worker);
    if (node === undefined) return;
    failedStarts = 0;
    listeningNodes.set(node, worker);
    tellNodes();
    resolveListening({ address: String(address.address ?? 'localhost'), port: address.port });
  });

  cluster.on('exit', (worker, code, signal) => {
    const node = nodeOf.get(worker);
    if (node === undefined) return;
    nodeOf.delete(worker);
    const wasListening = listeningNodes.delete(node);
    // Its pages went with it: whoever waits for its answer is told so.
    for (const [id, asked] of asks) {
      if (asked.node !== node) continue;
      asks.delete(id);
      send(asked.from, { pw: 'answer', id: asked.id, error: `node ${node} is gone` });
    }
    if (stopping !== undefined) return;
    tellNodes();
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (!wasListening && ++failedStarts >= MAX_FAILED_STARTS) {
      const error = new Error(`${MAX_FAILED_STARTS} server processes in a row exited before listening (last: ${how})`);
      log(`${error.message}: stopping. Its error is above.`);
      rejectListening(error);
      void stop().then(() => {
        process.exitCode = 1;
      });
      return;
    }
    log(`process ${node} (pid ${worker.process.pid}) ${how}: its pages are gone; starting another`);
    start();
  });

  const stop = (): Promise<void> => {
    stopping ??= Promise.all(
      [...nodeOf.keys()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            // Each closes its own pages (close hooks run) as a single server does on SIGTERM.
            worker.process.kill('SIGTERM');
          }),
      ),
    ).then(() => {});
    return stopping;
  };

  for (let i = 0; i < count; i++) start();
  return {
    nodes: () => new Map([...nodeOf].map(([worker, node]) => [worker.process.pid ?? 0, node])),
    listening,
    stop,
  };
}

function send(worker: Worker, message: ToProcess): void {
  if (worker.isConnected()) worker.send(message);
}

/** A page socket of a node no process has (any more): its pages are gone, as its process would say. */
function gone(socket: Socket, node: string): void {
  const text = `node ${node} is no process of this site (any more): its pages are gone`;
  socket.end(
    `HTTP/1.1 410 Gone\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

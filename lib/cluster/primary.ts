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
import { machineNodeProblem, processOfMachine } from './node-id.js';
import { isClusterMessage, type ToPrimary, type ToProcess } from './cluster-messages.js';
import { MemoryStore } from '../shared/memory-store.js';
import { parseSharedOp } from '../shared/shared-op.js';
import { stopReading } from './handover.js';

export interface ClusterOptions {
  /** Server processes to run: a number, or `'auto'` for one per core. */
  processes: number | 'auto';
  /**
   * This machine's node id (`pagewire serve --node n1`): its processes are `<node>-1`, `<node>-2`,
   * ... (a replacement takes the next number), so that a proxy routing `/__pagewire/n1/` and
   * `/__pagewire/n1-<n>/` to this machine reaches them. By default a random prefix per primary.
   */
  node?: string;
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

/** The primary's own check of an op leaves sizes to the process, which knows its options. */
const ANY_SIZE = { maxSharedKeyBytes: Number.POSITIVE_INFINITY, maxSharedValueBytes: Number.POSITIVE_INFINITY };

/** Whether this process started a cluster already. */
let started = false;

/** A process that exits before it ever listened, this many times in a row: the cluster gives up. */
const MAX_FAILED_STARTS = 3;

/**
 * Processes a cluster may have: each holds its own heap and worker threads, so past a few per
 * core they only take memory and time to start (a typo of 1000 would fork for minutes).
 */
export const MAX_PROCESSES = 8 * availableParallelism();

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
  // Node's cluster is one per process: a second primary would count and route the first's processes too.
  if (started) throw new Error('clusterPrimary(): already called in this process; it runs one cluster');
  started = true;
  const count = processCount(options.processes);
  if (!Number.isInteger(count) || count < 1 || count > MAX_PROCESSES) {
    const range = `a whole number from 1 to ${MAX_PROCESSES} (8 per core)`;
    throw new TypeError(`clusterPrimary(): processes must be ${range}, or 'auto'; got ${count}`);
  }
  const machineProblem = options.node === undefined ? undefined : machineNodeProblem(options.node, count);
  if (machineProblem !== undefined) throw new TypeError(`clusterPrimary(): node must be ${machineProblem}`);
  const log = options.log ?? ((line: string) => console.log(`[pagewire] ${line}`));
  // Node ids: one prefix per primary (a restarted cluster's ids are new, unless the machine is
  // named: its nodes come back under the same prefix, numbered from 1 again), a number per process.
  const prefix = options.node ?? randomBytes(3).toString('hex');
  // One key for the whole cluster: a cookie one process issued, every other verifies.
  const sessionKey = randomBytes(32).toString('base64');
  const nodeOf = new Map<Worker, string>();
  const listeningNodes = new Map<string, Worker>();
  /** Nodes that listened once: one that ends before it did counts towards MAX_FAILED_STARTS. */
  const listened = new Set<string>();
  const asks = new Map<number, { from: Worker; id: number; node: string }>();
  // The `shared` store of each scripts folder: here, so that it outlives every process.
  const stores = new Map<string, MemoryStore>();
  let forked = 0;
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
    const node = processOfMachine(prefix, ++forked);
    const env = {
      [CLUSTER_ENV.node]: node,
      [CLUSTER_ENV.processes]: String(count),
      [CLUSTER_ENV.sessionKey]: sessionKey,
    };
    const worker = cluster.fork(env);
    nodeOf.set(worker, node);
    worker.on('message', (message: unknown, handle: unknown) => {
      if (!isClusterMessage<ToPrimary>(message)) return;
      // A process's message the primary cannot take must not end the primary, and every process with it.
      try {
        route(worker, message, handle);
      } catch (error) {
        log(`a message of process ${node} (${message.pw}) failed: ${error instanceof Error ? error.message : error}`);
      }
    });
    // An IPC channel that closed under a send: the process is going (its 'exit' follows), not the primary.
    worker.on('error', (error) => log(`process ${node}: ${error.message}`));
    // Disconnecting (draining, or going): nothing more is routed to it; its exit replaces it.
    worker.on('disconnect', () => {
      if (listeningNodes.get(node) !== worker) return;
      listeningNodes.delete(node);
      tellNodes();
    });
  };

  const route = (from: Worker, message: ToPrimary, handle: unknown) => {
    switch (message.pw) {
      case 'hand-over': {
        if (!(handle instanceof Socket)) return;
        const owner = listeningNodes.get(message.node);
        // Gone (or going) between the process's look and now: as it would have answered.
        if (!owner?.isConnected()) return gone(handle, message.node);
        // What this copy of the connection read meanwhile goes on with the request, not lost.
        const head = Buffer.concat([Buffer.from(message.head, 'base64'), stopReading(handle)]).toString('base64');
        owner.send({ pw: 'hand-over', head } satisfies ToProcess, handle);
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
      case 'shared': {
        let store = stores.get(message.dir);
        if (!store) {
          store = new MemoryStore({ maxBytes: message.maxBytes });
          stores.set(message.dir, store);
        }
        // Its sizes were checked by the process; its shape is checked again (an app's message
        // tagged 'pw' must not throw here). One at a time, in order: atomic across the processes.
        const op = parseSharedOp(message.op, ANY_SIZE);
        const answer = 'ok' in op ? op : store.apply(op);
        return send(from, { pw: 'shared-answer', id: message.id, answer });
      }
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
    listened.add(node);
    tellNodes();
    resolveListening({ address: String(address.address ?? 'localhost'), port: address.port });
  });

  cluster.on('exit', (worker, code, signal) => {
    const node = nodeOf.get(worker);
    if (node === undefined) return;
    nodeOf.delete(worker);
    if (listeningNodes.get(node) === worker) listeningNodes.delete(node);
    const wasListening = listened.delete(node);
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
    const pid = worker.process.pid;
    if (wasListening) log(`process ${node} (pid ${pid}) ${how}: its pages are gone; starting another`);
    else log(`process ${node} (pid ${pid}) ${how} before it listened (${failedStarts} in a row); starting another`);
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
  // A client gone meanwhile (a reset) is no error of the primary's; the answer written, it ends.
  socket.on('error', () => {});
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 410 Gone\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * A process's link to Pagewire's cluster primary (`primary.ts`): the `Peers` of its Pagewire
 * instances. It knows which nodes are live, hands page sockets of other nodes to them, asks them
 * which of their pages live (the status endpoint and the beacon), and carries what every process
 * must hear (channel publications, broadcasts) to the others. One per process; instances join it.
 */
import cluster from 'node:cluster';
import type { IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CLUSTER_ENV } from './cluster-env.js';
import { type BusMessage, isClusterMessage, type PageAsk, type ToPrimary, type ToProcess } from './cluster-messages.js';
import { acceptHandedOver, requestBytes, stopReading } from './handover.js';
import { processNodeId } from './node-id.js';
import { failure, type SharedAnswer, type SharedOp } from '../shared/shared-op.js';
import type { PageQuery, Peers } from './peers.js';

/** How long another process is given to say which of its pages live: past it, the browser asks again. */
const ASK_TIMEOUT = 5_000;
/** How long the primary is given to answer a `shared` call: past it, the call fails, never hangs. */
const SHARED_TIMEOUT = 10_000;

/** A Pagewire instance of this process, as the cluster sees it. */
export interface LinkedInstance {
  /** Its scripts folder: instances of the same folder in other processes are the same site. */
  readonly dir: string;
  livePages(query: PageQuery): string[];
  leave(query: PageQuery): void;
  /** A publication or broadcast from another process. */
  receive(message: BusMessage): void;
}

let link: ClusterLink | undefined;

/** This process's link to its cluster's primary; undefined when it was not started by one. */
export function clusterLink(): ClusterLink | undefined {
  if (link) return link;
  if (!cluster.isWorker || process.env[CLUSTER_ENV.node] === undefined || typeof process.send !== 'function')
    return undefined;
  link = new ClusterLink(processNodeId());
  return link;
}

export class ClusterLink implements Peers {
  readonly node: string;
  #nodes = new Set<string>();
  readonly #instances = new Set<LinkedInstance>();
  readonly #servers: Server[] = [];
  readonly #asks = new Map<number, { resolve: (live: string[]) => void; reject: (error: Error) => void }>();
  #nextAsk = 1;
  readonly #sharedCalls = new Map<number, (answer: SharedAnswer) => void>();
  #nextShared = 1;

  constructor(node: string) {
    this.node = node;
    process.on('message', (message: unknown, handle: unknown) => {
      if (isClusterMessage<ToProcess>(message)) this.#receive(message, handle);
    });
  }

  /** `instance` hears from the cluster until the returned function is called (its `close()`). */
  join(instance: LinkedInstance): () => void {
    this.#instances.add(instance);
    return () => this.#instances.delete(instance);
  }

  /** A server of this process (`wire.attach`): handed-over sockets are answered by the first. */
  addServer(server: Server): void {
    if (!this.#servers.includes(server)) this.#servers.push(server);
  }

  has(node: string): boolean {
    return node !== this.node && this.#nodes.has(node);
  }

  livePages(node: string, query: PageQuery): Promise<string[]> {
    return this.#ask(node, { kind: 'live', query });
  }

  leave(node: string, query: PageQuery): void {
    // Fire and forget, as the beacon is: a node gone meanwhile took its pages with it.
    this.#ask(node, { kind: 'leave', query }).catch(() => {});
  }

  handOver(node: string, req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    // Only a plain TCP socket can travel (a TLS one's state cannot): terminate TLS before the cluster.
    if (!(socket instanceof Socket) || !this.has(node)) return false;
    const bytes = Buffer.concat([requestBytes(req, head), stopReading(socket)]);
    this.#send({ pw: 'hand-over', node, head: bytes.toString('base64') }, socket);
    return true;
  }

  /** Tells the instances of `dir` in every other process. */
  publish(dir: string, message: BusMessage): void {
    this.#send({ pw: 'bus', dir, message });
  }

  /** Runs `op` on the primary's store of `dir`'s instances. Never rejects: a failure is an answer. */
  shared(dir: string, maxBytes: number, op: SharedOp): Promise<SharedAnswer> {
    if (!process.connected) {
      return Promise.resolve(
        failure('SHARED_UNAVAILABLE', 'the cluster primary is gone: the shared store is out of reach'),
      );
    }
    const id = this.#nextShared++;
    return new Promise<SharedAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.#sharedCalls.delete(id);
        resolve(failure('SHARED_UNAVAILABLE', `the cluster primary did not answer within ${SHARED_TIMEOUT} ms`));
      }, SHARED_TIMEOUT).unref();
      this.#sharedCalls.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.#send({ pw: 'shared', id, dir, maxBytes, op });
    });
  }

  #ask(node: string, ask: PageAsk): Promise<string[]> {
    const id = this.#nextAsk++;
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#asks.delete(id);
        reject(new Error(`no answer within ${ASK_TIMEOUT} ms`));
      }, ASK_TIMEOUT).unref();
      this.#asks.set(id, {
        resolve: (live) => {
          clearTimeout(timer);
          resolve(live);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#send({ pw: 'ask', id, node, ask });
    });
  }

  #receive(message: ToProcess, handle: unknown): void {
    switch (message.pw) {
      case 'nodes':
        this.#nodes = new Set(message.nodes);
        return;
      case 'hand-over':
        return this.#accept(message.head, handle);
      case 'ask': {
        const { query } = message.ask;
        const live: string[] = [];
        for (const instance of this.#instances) {
          if (message.ask.kind === 'leave') instance.leave(query);
          else live.push(...instance.livePages(query));
        }
        return this.#send({ pw: 'answer', id: message.id, live });
      }
      case 'answer': {
        const waiting = this.#asks.get(message.id);
        this.#asks.delete(message.id);
        if ('error' in message) waiting?.reject(new Error(message.error));
        else waiting?.resolve(message.live);
        return;
      }
      case 'bus':
        for (const instance of this.#instances) if (instance.dir === message.dir) instance.receive(message.message);
        return;
      case 'shared-answer': {
        const answer = this.#sharedCalls.get(message.id);
        this.#sharedCalls.delete(message.id);
        answer?.(message.answer);
        return;
      }
      default: {
        const unknown: never = message;
        void unknown;
      }
    }
  }

  #accept(head: string, handle: unknown): void {
    if (!(handle instanceof Socket)) return;
    const server = this.#servers[0];
    if (!server) {
      handle.on('error', () => {});
      handle.once('finish', () => handle.destroy());
      handle.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    acceptHandedOver(server, handle, Buffer.from(head, 'base64'));
  }

  #send(message: ToPrimary, handle?: Socket): void {
    // The primary is gone (the process is shutting down): nothing more to tell.
    if (!process.connected) return void handle?.destroy();
    if (handle) process.send?.(message, handle);
    else process.send?.(message);
  }
}

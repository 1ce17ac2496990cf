/**
 * Publications and broadcasts between the processes of every machine, over Redis pub/sub: each
 * process publishes what its scripts (and the app's `wire.publish`) send to the others on one
 * channel, `<prefix>bus`, and hands what the others sent to its own pages. One connection
 * publishes, in order, so that one publisher's messages arrive in the order it sent them.
 *
 * While Redis is away, publications wait here, at most `MAX_WAITING_PUBLICATIONS` of them (and
 * `MAX_WAITING_BYTES`); past the bound they are dropped and counted. When Redis is back they go
 * out in order, once the bus has as many subscribers as before the outage (every process that
 * was listening has subscribed again: Redis pub/sub keeps nothing for an absent subscriber), or
 * after `RESUBSCRIBE_WAIT` (a process that does not come back). What other processes published
 * while this one was cut off does not reach it: the log says so.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RESERVED_EVENT_NAMES } from '../../protocol/wire.js';
import type { BusMessage } from '../cluster/cluster-messages.js';
import { isJsonText } from '../shared/shared-op.js';

export const MAX_WAITING_PUBLICATIONS = 10_000;
export const MAX_WAITING_BYTES = 64 * 1024 * 1024;
/** How long publications that waited wait again, after Redis is back, for the bus's subscribers. */
export const RESUBSCRIBE_WAIT = 10_000;
/** How often the bus's subscribers are counted meanwhile. */
const RESUBSCRIBE_POLL = 50;

/** What `wire.stats().redis` counts. */
export interface RedisStats {
  /** Whether every connection to Redis is up now. */
  connected: boolean;
  /** Publications waiting for Redis to come back. */
  waitingPublications: number;
  /** Publications dropped because too many were waiting (since start). */
  droppedPublications: number;
  /** Publications cut off on their way when the connection was lost: they may not have arrived. */
  failedPublications: number;
  /** Messages from Redis dropped because they did not parse, or were not one of Pagewire's. */
  droppedMessages: number;
}

export class RedisBus {
  readonly #publisher: Redis;
  readonly #channel: string;
  /** Who this process is on the bus: its own messages come back, and are not delivered twice. */
  readonly #self = randomUUID();
  /** Publications not sent yet, in order: Redis is away, or they wait for its subscribers. */
  readonly #waiting: string[] = [];
  #waitingBytes = 0;
  /** How many subscribers the bus had when last counted (a PUBLISH answers it): those to wait for after an outage. */
  #subscribers = 0;
  #flushing = false;
  #dropped = 0;
  #failed = 0;
  #droppedMessages = 0;

  /** `receive`: hands another process's message to this one's pages. */
  constructor(publisher: Redis, subscriber: Redis, prefix: string, receive: (message: BusMessage) => void) {
    this.#publisher = publisher;
    this.#channel = `${prefix}bus`;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      const envelope = parseEnvelope(text);
      if (envelope === undefined) this.#droppedMessages++;
      else if (envelope.from !== this.#self) receive(envelope.message);
    });
    publisher.on('ready', () => void this.#flush());
  }

  /** Subscribes: resolves once the subscriber hears the bus (after start-up's connection). */
  async subscribe(subscriber: Redis): Promise<void> {
    await subscriber.subscribe(this.#channel);
    this.#subscribers = await this.#countSubscribers();
  }

  publish(message: BusMessage): void {
    const text = JSON.stringify({ from: this.#self, message });
    if (this.#waiting.length === 0 && this.#publisher.status === 'ready') return this.#send(text);
    if (this.#waiting.length >= MAX_WAITING_PUBLICATIONS || this.#waitingBytes + text.length > MAX_WAITING_BYTES) {
      this.#dropped++;
      return;
    }
    this.#waiting.push(text);
    this.#waitingBytes += text.length;
  }

  stats(connected: boolean): RedisStats {
    return {
      connected,
      waitingPublications: this.#waiting.length,
      droppedPublications: this.#dropped,
      failedPublications: this.#failed,
      droppedMessages: this.#droppedMessages,
    };
  }

  #send(text: string): void {
    this.#publisher.publish(this.#channel, text).then(
      (receivers) => (this.#subscribers = receivers),
      () => this.#failed++,
    );
  }

  /** Sends what waited, in order, once the subscribers of before the outage are back (or the wait ends). */
  async #flush(): Promise<void> {
    if (this.#flushing || this.#waiting.length === 0) return;
    this.#flushing = true;
    try {
      const until = Date.now() + RESUBSCRIBE_WAIT;
      while (Date.now() < until && this.#publisher.status === 'ready') {
        const now = await this.#countSubscribers().catch(() => 0);
        if (now >= this.#subscribers) break;
        await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_POLL));
      }
      // Lost again meanwhile: the next `ready` sends them.
      if (this.#publisher.status !== 'ready') return;
      for (const text of this.#waiting.splice(0)) this.#send(text);
      this.#waitingBytes = 0;
    } finally {
      this.#flushing = false;
    }
  }

  async #countSubscribers(): Promise<number> {
    const answer = (await this.#publisher.pubsub('NUMSUB', this.#channel)) as [string, number];
    return Number(answer[1]) || 0;
  }
}

interface Envelope {
  from: string;
  message: BusMessage;
}

/** A bus message as Redis carried it, checked field by field; `undefined` when it is not one. */
export function parseEnvelope(text: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.from !== 'string' || !isRecord(value.message)) return undefined;
  const m = value.message;
  // `data` is JSON text that goes into the pages' frames as it is: it must be JSON.
  if (typeof m.data !== 'string' || !isJsonText(m.data)) return undefined;
  if (m.kind === 'publish' && typeof m.channel === 'string') {
    return { from: value.from, message: { kind: 'publish', channel: m.channel, data: m.data } };
  }
  // A reserved name is the client's own event (`expired`, `close`): scripts may not send one.
  const name = m.name;
  if (m.kind === 'broadcast' && typeof m.script === 'string' && typeof name === 'string') {
    if (RESERVED_EVENT_NAMES.includes(name)) return undefined;
    return { from: value.from, message: { kind: 'broadcast', script: m.script, name, data: m.data } };
  }
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

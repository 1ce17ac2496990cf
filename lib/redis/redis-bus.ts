/**
 * Publications and broadcasts between the processes of every machine, over Redis pub/sub: each
 * process publishes what its scripts (and the app's `wire.publish`) send to the others on one
 * channel, `<prefix>bus` (`<prefix>bus:db<n>` for database n), and hands what the others sent
 * to its own pages. One connection publishes, in order, so that one publisher's messages arrive
 * in the order it sent them.
 *
 * While Redis is away, or slow to answer (at most `MAX_IN_FLIGHT_PUBLICATIONS` in flight),
 * publications wait here, at most `MAX_WAITING_PUBLICATIONS` of them (and `MAX_WAITING_BYTES`);
 * past the bound they are dropped and counted. One that gets no answer in the publisher's command
 * timeout fails and is counted (a Redis that hangs is told to the log). When Redis is back they go
 * out in order, once the bus has as many subscribers as before the outage (every process that
 * was listening has subscribed again: Redis pub/sub keeps nothing for an absent subscriber), or
 * after `RESUBSCRIBE_WAIT` (a process that does not come back). What other processes published
 * while this one was cut off does not reach it: the log says so.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isReservedEventName } from '../../protocol/wire.js';
import type { BusMessage } from '../cluster/cluster-messages.js';
import { isJsonText } from '../shared/shared-op.js';
import type { RedisTarget } from './redis-target.js';

export const MAX_WAITING_PUBLICATIONS = 10_000;
export const MAX_WAITING_BYTES = 64 * 1024 * 1024;
/**
 * Publications sent and not answered yet, at most: past them (a Redis that hangs while connected),
 * publications wait under the bounds above rather than pile up in the connection.
 */
export const MAX_IN_FLIGHT_PUBLICATIONS = 1000;
export const MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;
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
  /** Publications that waited (Redis away, or too many unanswered) and were then sent (since start). */
  waitedPublications: number;
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
  /** Publications not sent yet, in order: Redis is away or slow, or they wait for its subscribers. */
  readonly #waiting: Array<{ text: string; bytes: number }> = [];
  #waitingBytes = 0;
  /** Sent, not answered yet: bounded too, so that a Redis that hangs (connected, silent) holds no more. */
  #inFlight = 0;
  #inFlightBytes = 0;
  /** How many subscribers the bus had when last counted (a PUBLISH answers it): those to wait for after an outage. */
  #subscribers = 0;
  /** After an outage, until its subscribers are back: what waits stays waiting. */
  #holding = false;
  #dropped = 0;
  #waited = 0;
  #failed = 0;
  #droppedMessages = 0;
  readonly #onStall: () => void;

  /**
   * `receive`: hands another process's message to this one's pages. `onStall`: a publication got
   * no answer within the publisher's command timeout (Redis hangs).
   */
  constructor(
    publisher: Redis,
    subscriber: Redis,
    target: RedisTarget,
    receive: (message: BusMessage) => void,
    onStall: () => void,
  ) {
    this.#publisher = publisher;
    this.#onStall = onStall;
    // Redis's channels are one for all its databases: a site kept apart by its database number
    // (redis://host/2) is kept apart on the bus by it too.
    this.#channel = target.db === 0 ? `${target.prefix}bus` : `${target.prefix}bus:db${target.db}`;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      const envelope = parseEnvelope(text);
      if (envelope === undefined) this.#droppedMessages++;
      else if (envelope.from !== this.#self) receive(envelope.message);
    });
    publisher.on('ready', () => void this.#resume());
  }

  /** Subscribes: resolves once the subscriber hears the bus (after start-up's connection). */
  async subscribe(subscriber: Redis): Promise<void> {
    await subscriber.subscribe(this.#channel);
    this.#subscribers = await this.#countSubscribers();
  }

  publish(message: BusMessage): void {
    const text = JSON.stringify({ from: this.#self, message });
    const bytes = Buffer.byteLength(text);
    if (this.#waiting.length === 0 && this.#canSend(bytes)) return this.#send(text, bytes);
    if (this.#waiting.length >= MAX_WAITING_PUBLICATIONS || this.#waitingBytes + bytes > MAX_WAITING_BYTES) {
      this.#dropped++;
      return;
    }
    this.#waiting.push({ text, bytes });
    this.#waitingBytes += bytes;
  }

  stats(connected: boolean): RedisStats {
    return {
      connected,
      waitingPublications: this.#waiting.length,
      waitedPublications: this.#waited,
      droppedPublications: this.#dropped,
      failedPublications: this.#failed,
      droppedMessages: this.#droppedMessages,
    };
  }

  #canSend(bytes: number): boolean {
    return (
      !this.#holding &&
      this.#publisher.status === 'ready' &&
      this.#inFlight < MAX_IN_FLIGHT_PUBLICATIONS &&
      this.#inFlightBytes + bytes <= MAX_IN_FLIGHT_BYTES
    );
  }

  #send(text: string, bytes: number): void {
    this.#inFlight++;
    this.#inFlightBytes += bytes;
    this.#publisher
      .publish(this.#channel, text)
      .then(
        (receivers) => {
          this.#subscribers = receivers;
        },
        (error: Error) => {
          this.#failed++;
          if (/timed out/i.test(error.message)) this.#onStall();
        },
      )
      .finally(() => {
        this.#inFlight--;
        this.#inFlightBytes -= bytes;
        this.#drain();
      });
  }

  /** Sends what waits, in order, as far as the bounds on what is in flight allow. */
  #drain(): void {
    for (let next = this.#waiting[0]; next !== undefined && this.#canSend(next.bytes); next = this.#waiting[0]) {
      this.#waiting.shift();
      this.#waitingBytes -= next.bytes;
      this.#waited++;
      this.#send(next.text, next.bytes);
    }
  }

  /** Back after an outage: what waited goes once the subscribers of before are back (or the wait ends). */
  async #resume(): Promise<void> {
    if (this.#holding || this.#waiting.length === 0) return this.#drain();
    this.#holding = true;
    try {
      const until = Date.now() + RESUBSCRIBE_WAIT;
      while (Date.now() < until && this.#publisher.status === 'ready') {
        const now = await this.#countSubscribers().catch(() => 0);
        if (now >= this.#subscribers) break;
        await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_POLL));
      }
    } finally {
      this.#holding = false;
    }
    // Lost again meanwhile: nothing goes, and the next `ready` resumes.
    this.#drain();
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
  // A reserved name is the client's own event (`expired`, `close`) or Pagewire's (`pw:dom`): scripts may not send one.
  const name = m.name;
  if (m.kind === 'broadcast' && typeof m.script === 'string' && typeof name === 'string') {
    if (isReservedEventName(name)) return undefined;
    return { from: value.from, message: { kind: 'broadcast', script: m.script, name, data: m.data } };
  }
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

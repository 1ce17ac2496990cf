/**
 * Pagewire's three connections to Redis, each set for its job:
 * - `commands`, for `shared`: no offline queue and no resending, so that a call while Redis is
 *   away fails at once (SHARED_UNAVAILABLE) and a call cut off mid-way is never run twice; and a
 *   bound on each answer, so that a Redis that hangs never hangs a page.
 * - `publisher`: no offline queue either: publications wait in the bus (`redis-bus.ts`), which
 *   bounds how many and sends them in order when Redis is back.
 * - `subscriber`: in subscriber mode, as Redis requires; it subscribes again on reconnect.
 * Each reconnects on its own, soon after Redis is back; `ready` settles the first connection.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './redis-target.js';

/** How long a `shared` call or a publication waits for Redis's answer before it fails (SHARED_UNAVAILABLE). */
export const REDIS_COMMAND_TIMEOUT = 5000;
/** How long start-up waits for Redis before `ready()` rejects. */
export const REDIS_CONNECT_TIMEOUT = 10_000;

/** What the owner hears when Redis goes away and comes back. */
export interface OutageListener {
  /** The first of the connections was lost (`reason`: why, as the socket said). */
  down(reason: string): void;
  /** Every connection is back; `downMs`: how long the first was away. */
  up(downMs: number): void;
}

const COMMON: RedisOptions = {
  lazyConnect: true,
  connectTimeout: REDIS_CONNECT_TIMEOUT,
  // What waits for Redis waits in the bus, never in ioredis: no call is failed for the attempts.
  maxRetriesPerRequest: null,
  autoResendUnfulfilledCommands: false,
  // Soon after Redis is back (a restart): 50 ms more per attempt, at most 1 s apart.
  retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
};

export class RedisConnections {
  readonly commands: Redis;
  readonly publisher: Redis;
  readonly subscriber: Redis;
  /** Resolves once all three are ready; rejects (and closes them) if Redis cannot be reached. */
  readonly ready: Promise<void>;
  readonly #all: Redis[];
  readonly #lost = new Set<Redis>();
  #downSince: number | undefined;
  /** Set once start-up is over: a connection lost before is start-up's failure, not an outage. */
  #started = false;
  #closed = false;

  constructor(target: RedisTarget, outage: OutageListener) {
    this.commands = new Redis(target.url, {
      ...COMMON,
      enableOfflineQueue: false,
      commandTimeout: REDIS_COMMAND_TIMEOUT,
    });
    this.publisher = new Redis(target.url, {
      ...COMMON,
      enableOfflineQueue: false,
      commandTimeout: REDIS_COMMAND_TIMEOUT,
    });
    this.subscriber = new Redis(target.url, { ...COMMON, autoResubscribe: true });
    this.#all = [this.commands, this.publisher, this.subscriber];
    let lastError = '';
    for (const client of this.#all) {
      // Without a listener, ioredis prints every failed attempt itself; one line per outage is ours.
      client.on('error', (error: Error) => (lastError = error.message || String(error)));
      client.on('close', () => {
        if (!this.#started || this.#closed || this.#lost.has(client)) return;
        this.#lost.add(client);
        if (this.#downSince !== undefined || this.#lost.size !== 1) return;
        this.#downSince = Date.now();
        outage.down(lastError || 'the connection closed');
      });
      client.on('ready', () => {
        this.#lost.delete(client);
        if (this.#lost.size > 0 || this.#downSince === undefined) return;
        const downMs = Date.now() - this.#downSince;
        this.#downSince = undefined;
        outage.up(downMs);
      });
    }
    this.ready = this.#connect(target, () => lastError);
  }

  /** Whether every connection is up now. */
  get connected(): boolean {
    return this.#all.every((client) => client.status === 'ready');
  }

  /** Closes the connections at once: what waits in the offline queue is dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#all.map((client) => closeClient(client)));
  }

  async #connect(target: RedisTarget, lastError: () => string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer in ${REDIS_CONNECT_TIMEOUT / 1000} s`)),
        REDIS_CONNECT_TIMEOUT,
      );
    });
    try {
      await Promise.race([Promise.all(this.#all.map((client) => client.connect())), late]);
      // ioredis selects the URL's database as it connects, and goes on in database 0 if Redis
      // refuses it: asked again here, a refusal stops start-up rather than mixing sites' keys.
      if (target.db !== 0) await Promise.race([this.commands.select(target.db), late]);
      this.#started = true;
    } catch (error) {
      await this.close();
      const reason = lastError() || (error instanceof Error ? error.message : String(error));
      throw new Error(`pagewire(): cannot use Redis at ${target.where} (${reason}). ${startupHint(target, reason)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** How to fix what stopped start-up, by what Redis (or the socket) said. */
function startupHint(target: RedisTarget, reason: string): string {
  const option = 'the redis option (pagewire serve --redis URL, or PAGEWIRE_REDIS_URL)';
  if (/NOAUTH/.test(reason)) return `It asks for a password: give it in ${option}, as redis://:PASSWORD@host:port`;
  if (/WRONGPASS|invalid password/i.test(reason)) return `It refuses the user or password of ${option}`;
  if (/DB index is out of range/.test(reason)) {
    return `It has no database ${target.db}: name one it has (0 to its "databases" setting minus 1) in ${option}`;
  }
  if (target.url.startsWith('rediss:') && /no answer|ETIMEDOUT/.test(reason)) {
    return 'With rediss:// Pagewire speaks TLS: is that Redis serving TLS there, or should the URL be redis://?';
  }
  return `Start Redis there, or give ${option} the address of one that answers`;
}

/** QUIT when the connection is up (what was sent is answered), else stop its reconnecting. */
async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Went away meanwhile: disconnect below.
    }
  }
  client.disconnect();
}

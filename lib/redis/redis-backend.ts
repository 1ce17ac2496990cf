/**
 * What the `redis` option gives a Pagewire instance: the shared store and the bus between
 * processes, both on Redis, and what the log and `wire.stats()` say about them. Without the
 * option, the embedded ones serve (a process's own store, or its cluster primary's).
 */
import type { BusMessage } from '../cluster/cluster-messages.js';
import type { Logger } from '../logger.js';
import type { SharedStore } from '../shared/shared-op.js';
import { MAX_IN_FLIGHT_PUBLICATIONS, MAX_WAITING_PUBLICATIONS, RedisBus, type RedisStats } from './redis-bus.js';
import { REDIS_COMMAND_TIMEOUT, RedisConnections } from './redis-connections.js';
import { RedisStore } from './redis-store.js';
import type { RedisTarget } from './redis-target.js';

export interface RedisBackend {
  readonly store: SharedStore;
  /** Sends a publication or broadcast to every other process, on every machine. */
  spread(message: BusMessage): void;
  /** Resolves once connected and subscribed; rejects, saying why, if Redis cannot be reached. */
  readonly ready: Promise<void>;
  stats(): RedisStats;
  close(): Promise<void>;
}

/** `receive`: hands what another process published to this one's pages. */
export function openRedis(target: RedisTarget, logger: Logger, receive: (message: BusMessage) => void): RedisBackend {
  let atDown: RedisStats | undefined;
  const connections = new RedisConnections(target, {
    down: (reason) => {
      atDown = bus.stats(false);
      logger.warn(
        `Redis at ${target.where} is unreachable (${reason}): reconnecting. Meanwhile shared calls fail ` +
          `(SHARED_UNAVAILABLE), publications for other processes wait (at most ${MAX_WAITING_PUBLICATIONS}), ` +
          "and other processes' publications do not reach this one",
        { code: 'REDIS_DOWN' },
      );
    },
    up: (downMs) => {
      const now = bus.stats(true);
      // The publisher may be back, and have sent what waited, before the last connection is: those
      // sent already count, with those about to go.
      const sent = now.waitedPublications - (atDown?.waitedPublications ?? 0) + now.waitingPublications;
      const dropped = now.droppedPublications - (atDown?.droppedPublications ?? 0);
      const failed = now.failedPublications - (atDown?.failedPublications ?? 0);
      logger.warn(
        `Redis at ${target.where} is back after ${(downMs / 1000).toFixed(1)} s: publications that waited, ` +
          `sent now: ${sent}; dropped (too many waiting): ${dropped}; cut off on their way: ` +
          `${failed}. Other processes' publications of the outage did not reach this one's pages`,
        { code: 'REDIS_BACK' },
      );
    },
  });
  let stalledAt = Number.NEGATIVE_INFINITY;
  const stalled = () => {
    // Once a minute at most: a Redis that hangs fails every publication, one by one.
    if (Date.now() - stalledAt < 60_000) return;
    stalledAt = Date.now();
    logger.warn(
      `Redis at ${target.where} does not answer: a publication got no answer in ${REDIS_COMMAND_TIMEOUT / 1000} s. ` +
        `Until it answers, each publication fails after that long; past ${MAX_IN_FLIGHT_PUBLICATIONS} unanswered, ` +
        `the next ones wait (at most ${MAX_WAITING_PUBLICATIONS}); wire.stats().redis counts them`,
      { code: 'REDIS_STALLED' },
    );
  };
  const bus = new RedisBus(connections.publisher, connections.subscriber, target, receive, stalled);
  const ready = connections.ready.then(() => bus.subscribe(connections.subscriber));
  const store = new RedisStore(connections.commands, target.prefix, target.where);
  return {
    store,
    spread: (message) => bus.publish(message),
    ready,
    stats: () => bus.stats(connections.connected),
    close: async () => {
      await store.close();
      await connections.close();
    },
  };
}

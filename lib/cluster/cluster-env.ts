/**
 * What Pagewire's cluster primary tells each process it starts, through its environment (read
 * before any option is resolved): its node id, how many processes share the machine, and the
 * key the site's session cookies are signed with when the app set no `sessionSecret`.
 */
import { availableParallelism } from 'node:os';

export const CLUSTER_ENV = {
  node: 'PAGEWIRE_NODE',
  processes: 'PAGEWIRE_PROCESSES',
  sessionKey: 'PAGEWIRE_CLUSTER_SESSION_KEY',
} as const;

/** Processes of this cluster on this machine: 1 outside one. */
export function clusterProcesses(): number {
  const count = Number(process.env[CLUSTER_ENV.processes]);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

/**
 * The default number of worker threads of each process: the cores shared among the machine's
 * processes, at least one. A render keeps two threads of a process busy in turn (the HTTP thread
 * parses and writes, a worker runs the script), so N processes with cores / N workers each keep
 * every core busy without more runnable threads than cores; at least one worker keeps a stuck
 * script's containment (the watchdog ends a worker, not the process).
 */
export function defaultWorkers(): number {
  return Math.max(1, Math.floor(availableParallelism() / clusterProcesses()));
}

let sessionKey: string | undefined | null = null;

/**
 * The session key the primary made for its processes, if it did: taken out of the environment
 * at the first read, so that no child process of a package inherits it.
 */
export function clusterSessionKey(): string | undefined {
  if (sessionKey !== null) return sessionKey;
  sessionKey = process.env[CLUSTER_ENV.sessionKey] || undefined;
  delete process.env[CLUSTER_ENV.sessionKey];
  return sessionKey;
}

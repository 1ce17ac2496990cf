import type { Server } from 'node:http';

type UpgradeListener = (...args: never[]) => void;

/** Per server, the upgrade listener of every Pagewire instance attached to it, with what it claims. */
const attached = new WeakMap<Server, Map<UpgradeListener, (path: string) => boolean>>();

/** `wire.attach(server)`: `listener` is a Pagewire instance's, claiming the paths `claims` accepts. */
export function addClaimant(server: Server, listener: UpgradeListener, claims: (path: string) => boolean): void {
  const listeners = attached.get(server) ?? new Map<UpgradeListener, (path: string) => boolean>();
  attached.set(server, listeners);
  listeners.set(listener, claims);
}

export function removeClaimant(server: Server, listener: UpgradeListener): void {
  attached.get(server)?.delete(listener);
}

/**
 * An upgrade `listener` does not claim: should it refuse it (404)? Only when nobody else could
 * answer it: every upgrade listener of the server is a Pagewire instance's and none claims the
 * path; then the first of them answers, once. With a listener of the app's own, the upgrade is
 * its to answer (or to leave), as before: an unanswered upgrade is the app's choice.
 */
export function nobodyElseAnswers(server: Server, listener: UpgradeListener, path: string): boolean {
  const ours = attached.get(server);
  if (!ours) return false;
  const listeners = server.listeners('upgrade');
  if (listeners.some((other) => !ours.has(other as UpgradeListener))) return false;
  for (const claims of ours.values()) if (claims(path)) return false;
  return listeners[0] === listener;
}

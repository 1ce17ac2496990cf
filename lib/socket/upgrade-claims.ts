import type { IncomingMessage, Server } from 'node:http';

type UpgradeListener = (...args: never[]) => void;
export type UpgradeRole = 'answer' | 'refuse' | 'leave';
/** Whether an instance claims an upgrade: a page of the request's session rendered under its path's base. */
type Claims = (req: IncomingMessage) => boolean;

/** Per server, the upgrade listener of every Pagewire instance attached to it, with what it claims. */
const attached = new WeakMap<Server, Map<UpgradeListener, Claims>>();

/** `wire.attach(server)`: `listener` is a Pagewire instance's, claiming the upgrades `claims` accepts. */
export function addClaimant(server: Server, listener: UpgradeListener, claims: Claims): void {
  const listeners = attached.get(server) ?? new Map<UpgradeListener, Claims>();
  attached.set(server, listeners);
  listeners.set(listener, claims);
}

export function removeClaimant(server: Server, listener: UpgradeListener): void {
  attached.get(server)?.delete(listener);
}

/**
 * What `listener`, a Pagewire instance's, does with an upgrade. `answer`: it is the first
 * instance (in listener order) that claims it; a later one that claims it too (a session with
 * pages of two instances under one base) leaves it, so that one answer only is written. `refuse`
 * (404): nobody else could answer it (every upgrade listener of the server is a Pagewire
 * instance's and none claims it), and this is the first of them. `leave` otherwise: with a
 * listener of the app's own, an unclaimed upgrade is the app's to answer (or to leave).
 */
export function upgradeRole(server: Server, listener: UpgradeListener, req: IncomingMessage): UpgradeRole {
  const ours = attached.get(server);
  const listeners = server.listeners('upgrade') as UpgradeListener[];
  for (const other of listeners) {
    if (ours?.get(other)?.(req)) return other === listener ? 'answer' : 'leave';
  }
  if (!ours || listeners.some((other) => !ours.has(other))) return 'leave';
  return listeners[0] === listener ? 'refuse' : 'leave';
}

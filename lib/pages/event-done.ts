import { frame } from '../socket/frames.js';
import type { PageEntry, PageSocket } from './page-entry.js';

/**
 * The `done`s a page keeps for a browser that may not have received them (its socket dropped
 * before, or while, they were sent): sent again when it joins on a new socket. Bounded: a browser
 * away while more events than this finished keeps the oldest of them busy until it reloads.
 */
export const KEPT_DONES = 32;

/**
 * Client event `seq` of the page was handled: the browser hears `done` now, after the pushes its
 * handler made (the runner reports them in order, and pushes are sent as they come).
 */
export function eventDone(entry: PageEntry, seq: number): void {
  if (entry.state === 'closing' || entry.kind === 'watcher') return;
  entry.recentDones.push(seq);
  if (entry.recentDones.length > KEPT_DONES) entry.recentDones.shift();
  entry.socket?.send(frame({ t: 'done', p: entry.id, s: seq }));
}

/** A browser joined on a new socket: the `done`s it may have missed (it ignores those it has). */
export function replayDones(socket: PageSocket, entry: PageEntry): void {
  for (const seq of entry.recentDones) socket.send(frame({ t: 'done', p: entry.id, s: seq }));
}

/**
 * The check of an event name a page's code sends, shared by `document.serverSocket` and
 * `new ServerSocket(path)` (which checks it when called, before its instance runs).
 */
import { RESERVED_EVENT_PREFIX } from '../protocol/wire.js';

/** Throws for a name a page's code may not send: Pagewire's own (`pw:`). */
export function checkReserved(name: unknown): void {
  if (typeof name === 'string' && name.startsWith(RESERVED_EVENT_PREFIX))
    throw new TypeError(`serverSocket.send('${name}'): names starting '${RESERVED_EVENT_PREFIX}' are Pagewire's own`);
}

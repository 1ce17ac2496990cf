import { WebSocket as NodeWebSocket } from 'ws';
import { Connection, ServerSocket } from '../../client/server-socket.js';
import { socketPath, statusPath } from '../../lib/http/mount.js';
import { SOCKET, STATUS } from './paths.js';

/**
 * The real browser client (client/server-socket.ts) running in Node: the `ws` package stands in
 * for the browser's WebSocket and sends the session cookie a browser would.
 */
export function nodeServerSocket(
  base: string,
  pageId: string,
  cookie: string,
  options: { minDelay?: number; maxDelay?: number; heartbeat?: number; reload?: () => void; node?: string } = {},
): ServerSocket {
  class CookieWebSocket extends NodeWebSocket {
    constructor(url: string) {
      super(url, { headers: { cookie, origin: base } });
      // A browser's WebSocket reports a failure as an `error` event, then `close`; an `error`
      // nobody listens to would throw in Node. The client acts on `close`.
      this.on('error', () => {});
    }
  }
  const connection = new Connection({
    // The page's node: this process's, unless the test says which (a server in another process).
    url: `${base.replace('http', 'ws')}${options.node ? socketPath(options.node) : SOCKET}`,
    statusUrl: `${base}${options.node ? statusPath(options.node) : STATUS}`,
    reachableUrl: `${base}/__pagewire/pages`,
    WebSocket: CookieWebSocket as unknown as typeof WebSocket,
    reload: options.reload ?? (() => {}),
    minDelay: options.minDelay ?? 10,
    maxDelay: options.maxDelay ?? 100,
    heartbeat: options.heartbeat,
    fetch: (input, init) => fetch(input, { ...init, headers: { cookie } }),
    // What a browser's beacon is: a POST with the cookies and the page's Origin, unanswered.
    sendBeacon: (url) => {
      fetch(url, { method: 'POST', headers: { cookie, origin: base } }).catch(() => {});
      return true;
    },
  });
  return new ServerSocket(pageId, connection);
}

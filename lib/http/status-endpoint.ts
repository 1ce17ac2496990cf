/**
 * Pagewire's status endpoints, under the mount path:
 * - `GET /__pagewire/<node>/pages?ids=a,b`: which of these pages of node `<node>` still live for
 *   this browser's sessions (a client whose socket was refused asks, and expires the others);
 *   `410 Gone` when `<node>` is no process of this site (it died, or never was): every page it
 *   had is gone, and the client treats them as expired.
 * - `POST /__pagewire/<node>/pages?leave=a,b`: a document whose socket is down left these pages
 *   (`navigator.sendBeacon`): they close now.
 * - `GET /__pagewire/pages`: whether this server answers at all, before an expired page reloads
 *   (any process answers it: it names no node).
 * A node that is another process of the cluster is asked through `Peers`, after the browser's
 * sessions and Origin were checked here, as its own process would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Peers } from '../cluster/peers.js';
import type { ResolvedOptions } from '../options.js';
import type { PageRegistry } from '../pages/page-registry.js';
import { requestHost, requestScheme } from './host-check.js';
import type { NodeEndpoint } from './mount.js';
import { originAllowed } from './origin.js';
import type { RequestTarget } from './request-data.js';
import { setCommonHeaders } from './security-headers.js';
import { sessionsOf } from './session.js';

/** Where a client asks whether the server answers, under the mount path: it names no node. */
export const REACHABLE_PATH = '/__pagewire/pages';
/** Page ids a status request may name. */
const MAX_IDS = 100;

export type StatusEndpoint = (
  req: IncomingMessage,
  res: ServerResponse,
  url: RequestTarget,
  node?: NodeEndpoint,
) => void;

export function statusEndpoint(options: ResolvedOptions, registry: PageRegistry, peers: Peers): StatusEndpoint {
  return (req, res, url, target) => {
    setCommonHeaders(res, options);
    const post = req.method === 'POST' && target !== undefined;
    if (!post && req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', target ? 'GET, HEAD, POST' : 'GET, HEAD');
      const what = target ? 'GET asks which pages live, POST ?leave= closes pages' : 'GET asks whether it answers';
      return sendText(res, 405, `${req.method} is not a method of ${url.pathname}: ${what}`);
    }
    // Shutting down: not "reachable", or a page that reloads now would find no server.
    if (registry.closing) return sendText(res, 503, 'the server is shutting down');
    if (target === undefined) return sendJson(res, {});
    const own = target.node === options.node;
    if (!own && !peers.has(target.node)) {
      return sendText(res, 410, `node ${target.node} is no process of this site (any more): its pages are gone`);
    }
    if (post) return leave(req, res, url, target.node, own);
    const query = { sessions: sessionsOf(req, options), pageIds: idsOf(url, 'ids') };
    if (own) return sendJson(res, { live: query.sessions.flatMap((s) => registry.livePages(s, query.pageIds)) });
    peers.livePages(target.node, query).then(
      (live) => sendJson(res, { live }),
      (error: unknown) => sendText(res, 503, `node ${target.node} did not answer: ${String(error)}`),
    );
  };

  /** A beacon from a document that went away while its socket was down: its pages close now. */
  function leave(req: IncomingMessage, res: ServerResponse, url: RequestTarget, node: string, own: boolean): void {
    // The beacon carries no body (Content-Length: 0); one that does is not ours, and is not read.
    if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined) {
      res.shouldKeepAlive = false;
      return sendText(res, 400, 'a leave request has no body: the page ids go in ?leave=');
    }
    // A site sent with `Referrer-Policy: no-referrer` makes the beacon's Origin "null"; the
    // browser's own Sec-Fetch-Site, which no page can set, still says it came from this site.
    const sameSite = req.headers['sec-fetch-site'] === 'same-origin';
    const { trustProxy } = options;
    const scheme = requestScheme(req, trustProxy);
    if (!sameSite && !originAllowed(options, req.headers.origin, requestHost(req, trustProxy), scheme))
      return sendText(res, 403, 'origin not allowed');
    // Pages of another session are not this browser's to close: left alone, and not told apart.
    const query = { sessions: sessionsOf(req, options), pageIds: idsOf(url, 'leave') };
    if (own) for (const session of query.sessions) registry.leaveWithoutSocket(session, query.pageIds);
    else peers.leave(node, query);
    res.statusCode = 204;
    res.setHeader('cache-control', 'no-store');
    res.end();
  }
}

/** The ids of a status request's `name` parameter, at most MAX_IDS. */
function idsOf(url: RequestTarget, name: string): string[] {
  return (url.searchParams.get(name) ?? '').split(',').filter(Boolean).slice(0, MAX_IDS);
}

function sendJson(res: ServerResponse, value: object): void {
  const body = JSON.stringify(value);
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { NODE_ID_PATTERN } from '../cluster/node-id.js';

/** Where Pagewire's own endpoints live, under the mount path. */
const OWN_PREFIX = '/__pagewire/';

/** Where a page of node `node` opens its socket, under the mount path. */
export function socketPath(node: string): string {
  return `${OWN_PREFIX}${node}/socket`;
}

/**
 * Under the mount path: where a page of node `node` whose socket cannot reconnect asks which of
 * its pages still live (GET `?ids=`), and where a document whose socket is down says it left
 * pages (POST `?leave=`, a beacon).
 */
export function statusPath(node: string): string {
  return `${OWN_PREFIX}${node}/pages`;
}

/** One of a node's endpoints: `<base>/__pagewire/<node>/socket` or `.../pages`. */
export interface NodeEndpoint {
  /** The mount path before it (`/app`), empty at the root. */
  base: string;
  node: string;
  endpoint: 'socket' | 'pages';
}

/**
 * The node endpoint `path` names, under any mount; undefined for any other path, and for a node
 * id no node could have (it is written into URLs and proxies' rules: NODE_ID_PATTERN). Which
 * of these a process answers is its choice: its own node's, or those it hands to their owner.
 */
export function nodeEndpoint(path: string): NodeEndpoint | undefined {
  const at = path.lastIndexOf(OWN_PREFIX);
  if (at === -1) return undefined;
  const rest = path.slice(at + OWN_PREFIX.length).split('/');
  const [node, endpoint] = rest;
  if (rest.length !== 2 || node === undefined || !NODE_ID_PATTERN.test(node)) return undefined;
  if (endpoint !== 'socket' && endpoint !== 'pages') return undefined;
  return { base: path.slice(0, at), node, endpoint };
}

/** Where Express mounted the handler (`/app` for `app.use('/app', wire)`); empty on `node:http`. */
export function baseUrlOf(req: IncomingMessage): string {
  const base = (req as { baseUrl?: unknown }).baseUrl;
  return typeof base === 'string' ? base : '';
}

/**
 * `GET /app`, mounted at `/app`: Express hands it over as `/`, but the browser would resolve the
 * index's relative links (`href="hello"`) against `/`, outside the mount. Like Apache's
 * `DirectorySlash`, the answer is a redirect to `/app/`, query kept. 308 rather than 301: a
 * form posted to `/app` is posted again to `/app/`, not turned into a GET that loses its body.
 */
export function redirectToMountSlash(req: IncomingMessage, res: ServerResponse): boolean {
  const base = baseUrlOf(req);
  const original = (req as { originalUrl?: unknown }).originalUrl;
  if (base === '' || typeof original !== 'string') return false;
  const queryStart = original.indexOf('?');
  const path = queryStart === -1 ? original : original.slice(0, queryStart);
  // `//host` or `/\host` would be another site to a browser: not a redirect this makes.
  if (path.endsWith('/') || !path.startsWith('/') || /^\/[/\\]/.test(path)) return false;
  res.statusCode = 308;
  res.setHeader('location', `${path}/${queryStart === -1 ? '' : original.slice(queryStart)}`);
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(`Moved to ${path}/`);
  return true;
}

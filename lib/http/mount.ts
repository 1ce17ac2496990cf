import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where pages open their socket, under the mount path. */
export const SOCKET_PATH = '/__pagewire/socket';

/**
 * Whether a path is a page socket's under some mount (`/app/__pagewire/socket`): it ends exactly
 * with the socket path. Which of these an instance claims is the socket server's choice: those
 * of a session with a page it rendered under that mount.
 */
export function isSocketPath(path: string): boolean {
  return path.endsWith(SOCKET_PATH);
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

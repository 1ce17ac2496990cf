import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { WebSocket } from 'ws';
import type { PagewireOptions } from '../../lib/index.js';
import { scriptsFolder } from './fixtures.js';
import { fetchPage, requestJoin, type SocketClient, startServer, type TestServer } from './server.js';
import { SOCKET } from './paths.js';

// The app's identity, as a real Express app would have it: a middleware puts the user on `req`
// (here from a `user` cookie; express-session and passport in examples/passport/, in Chromium).
interface User {
  id: string;
  since: Date;
  roles: Map<string, string>;
}
/** Not Express's `Request`: passport's types give its `user` another shape (examples/passport/). */
type UserRequest = IncomingMessage & { testUser?: User };

const userCookie = (req: IncomingMessage) => /(?:^|;\s*)user=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];

/** Sets `req.user`; `blocked` is answered 401 by the middleware itself, `broken` fails with a 503. */
export function identify(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
  const name = userCookie(req);
  if (name === 'blocked') {
    res.statusCode = 401;
    res.setHeader('content-type', 'text/plain');
    res.end('blocked by the app');
    return;
  }
  if (name === 'broken') return next(Object.assign(new Error('the session store is down'), { status: 503 }));
  if (name)
    (req as UserRequest).testUser = {
      id: name,
      since: new Date(Date.UTC(2020, 1, 29)),
      roles: new Map([['chat', 'admin']]),
    };
  next();
}

/** An async middleware, as express-session's store lookups are: `reject` makes it reject. */
export async function checkAsync(
  req: IncomingMessage,
  _res: ServerResponse,
  next: (error?: unknown) => void,
): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (userCookie(req) === 'reject') throw new Error('the async middleware rejected');
  next();
}

/** The app's context: the user, and cases that fail, chosen by the `x-context` header or the user. */
export function context(req: IncomingMessage): object {
  const user = (req as UserRequest).testUser;
  if (user?.id === 'explode' || req.headers['x-context'] === 'throw') throw new Error('no session for you');
  if (req.headers['x-context'] === 'function') return { user, notify: () => {} };
  if (req.headers['x-context'] === 'array') return [user];
  return { user: user ?? null };
}

/** The scripts of these tests: `who.ts` shows and logs its page's user, `plain.ts` its context. */
export const folder = scriptsFolder({
  'who.ts': `const context = request.context as {
  user?: { id: string; since: Date; roles: Map<string, string> } | null;
};
const id = context.user?.id ?? 'nobody';
echo('<p id="user">' + id + '</p>');
echo('<p id="context">' + JSON.stringify(context) + '</p>');
const { since, roles } = context.user ?? {};
if (since) echo('<p id="since">' + (since instanceof Date ? 'Date ' + since.toISOString() : 'not a Date') + '</p>');
if (roles) echo('<p id="roles">' + (roles instanceof Map ? 'Map ' + roles.get('chat') : 'not a Map') + '</p>');
page.onClose(() => console.log('closed page of ' + id));
page.channel('news').subscribe((data) => server_socket_event('news', data));
function __serverSocketEvent(name: string) {
  if (name === 'who') server_socket_event('who', id);
}`,
  'plain.ts': `echo('plain: ' + JSON.stringify(request.context));`,
  // Keeps, for the browser test, every reason its page closed for.
  'watched.ts': `echo(\`<p>watched</p><script>
  window.closedFor = [];
  document.serverSocket.addEventListener('closed', (event) => window.closedFor.push(event.data.reason));
</script>\`);
function __serverSocketEvent() {}`,
});

export type App = TestServer;

/** The app's error handler: says it was the app's, with a status nobody else uses. */
function appErrorHandler(error: Error, _req: Request, res: Response, _next: NextFunction): void {
  res.status(599).send(`the app's error handler: ${error.name}: ${error.message}`);
}

/** The app: its middleware, then Pagewire, then an error handler, on 127.0.0.1 with a free port. */
export function startApp(options: Partial<PagewireOptions> = {}): Promise<App> {
  return startServer(
    { dir: folder.dir, context, socketMiddleware: [identify, checkAsync], ...options },
    { before: [identify], after: (app) => app.use(appErrorHandler) },
  );
}

export const cookieOf = (sid: string | undefined, user: string | undefined) =>
  [sid, user && `user=${user}`].filter(Boolean).join('; ');

/** Renders `path` as `user` in the browser session `sid` (a new one if unset). */
export async function render(
  app: App,
  path: string,
  user?: string,
  sid?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; pageId: string; sid: string }> {
  const { status, body, pageId, newSession } = await fetchPage(app.origin, path, cookieOf(sid, user), headers);
  return { status, body, pageId, sid: sid ?? newSession ?? '' };
}

/** A socket as `user` in the browser session `sid`, joining `pageId` (the answer may be a refusal). */
export function join(app: App, pageId: string, sid: string, user?: string): Promise<SocketClient> {
  return requestJoin(app.origin, pageId, cookieOf(sid, user));
}

export const closedHook = (app: App, user: string) => app.log.lines.filter((l) => l.endsWith(`closed page of ${user}`));

/** Opens a socket that the server answers without upgrading: the status and body it answered. */
export function upgradeRefused(app: App, cookie: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`${app.origin.replace('http', 'ws')}${SOCKET}`, {
    headers: { cookie, origin: app.origin },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the socket was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => {});
  });
}

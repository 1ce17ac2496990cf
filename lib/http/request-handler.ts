import type { IncomingMessage, ServerResponse } from 'node:http';
import send from 'send';
import type { ScriptErrorInfo } from '../../runner/messages.js';
import { computeContext, type ContextError, contextErrorForBrowser } from '../context.js';
import { createErrorReporter } from '../errors.js';
import { clientScript } from './client-script.js';
import { devErrorPage, productionErrorPage } from './error-page.js';
import { escapeHtml, injectAtStart } from './html.js';
import { baseUrlOf, redirectToMountSlash, SOCKET_PATH } from './mount.js';
import { mountOf } from './express-request.js';
import { originAllowed } from './origin.js';
import type { ResolvedOptions } from '../options.js';
import type { PageRegistry, RenderResult } from '../pages/page-registry.js';
import { BodyError, hasBody, readBody } from './request-body.js';
import { requestData, type RequestTarget } from './request-data.js';
import { REFUSED, type RouteTable } from './routes.js';
import { randomId, sessionCookie, sessionOf } from './session.js';

/** Where the browser runtime is served, under the mount path. */
export const CLIENT_PATH = '/__pagewire/client.js';
/**
 * Under the mount path: where a client that cannot reconnect asks which of its pages still live
 * (GET `?ids=`), and where a client whose socket is down says it left pages (POST `?leave=`,
 * sent with `navigator.sendBeacon`).
 */
export const STATUS_PATH = '/__pagewire/pages';
/** Page ids a status request may name. */
const MAX_IDS = 100;

/** Express's `next`, or nothing when Pagewire serves on `node:http` alone. */
export type NextFunction = (error?: unknown) => void;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => void;

/**
 * The core handler: plain `node:http` `(req, res)`, so the standalone server does not pay
 * Express's per-request cost. Given `next` (Express), what it does not serve goes on to `next`.
 */
export function createRequestHandler(
  options: ResolvedOptions,
  routes: RouteTable,
  registry: PageRegistry,
): RequestHandler {
  const report = createErrorReporter(options);
  return (req, res, next) => {
    // The path as sent, never parsed as a URL: `//host/secret` must not become `/secret`
    // behind a proxy or middleware that matched the literal path.
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const url: RequestTarget = {
      pathname: queryStart === -1 ? target : target.slice(0, queryStart),
      searchParams: new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1)),
    };
    if (url.pathname === CLIENT_PATH) return serveClient(req, res);
    if (url.pathname === STATUS_PATH) return serveStatus(req, res, url);
    const route = routes.resolve(url.pathname);
    if (route === REFUSED || route === undefined) return notFound(res, next);
    if (url.pathname === '/' && redirectToMountSlash(req, res)) return;
    if (route.kind === 'static') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return notFound(res, next);
      send(req, route.file, { root: options.dir, dotfiles: 'deny', index: false })
        .on('error', (error: { status?: number }) =>
          error.status === 404 ? notFound(res, next) : fail(res, next, error),
        )
        .pipe(res);
      return;
    }
    const render = (body: unknown) =>
      renderPage(req, res, next, url, route.script, route.params, body).catch((error: unknown) =>
        fail(res, next, error),
      );
    if (req.method === 'GET' || req.method === 'HEAD' || !hasBody(req)) {
      void render(undefined);
      return;
    }
    readBody(req, options.maxBodyBytes).then(render, (error: unknown) => {
      if (!(error instanceof BodyError)) return fail(res, next, error);
      // What is left of the body is not read: the connection ends with this answer, the rest
      // discarded meanwhile so the client can read it.
      res.shouldKeepAlive = false;
      req.resume();
      sendText(res, error.status, error.message);
    });
  };

  async function renderPage(
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction | undefined,
    url: RequestTarget,
    script: string,
    params: Record<string, string>,
    body: unknown,
  ): Promise<void> {
    const known = sessionOf(req, options.sessionCookie);
    const session = known ?? randomId();
    const pageId = randomId();
    const context = await computeContext(options.context, req);
    if (!context.ok) return contextFailed(res, next, context.error);
    // The page keeps where it was rendered: its socket is claimed under that base, and no other.
    const data = requestData(req, url, params, body, context.value);
    const result = await registry.render(script, pageId, session, data, mountOf(req));
    if (!result.ok && 'refused' in result) {
      // A page limit, not a script error: say which, to whoever hit it.
      const { refused } = result;
      options.logger.warn(`${script}: page refused: ${refused.message}`, { code: refused.code, script });
      if (refused.retryAfter !== undefined) res.setHeader('retry-after', String(refused.retryAfter));
      return sendText(res, refused.status, refused.message);
    }
    if (!result.ok) return renderFailed(req, res, next, script, result.error, pageId, session, known === undefined);
    respond(req, res, result, pageId, known ? undefined : session);
  }

  function respond(
    req: IncomingMessage,
    res: ServerResponse,
    result: Extract<RenderResult, { ok: true }>,
    pageId: string,
    newSession: string | undefined,
  ): void {
    res.statusCode = result.status;
    for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'text/html; charset=utf-8');
    let body = result.body;
    if (result.live && /^text\/html/i.test(String(res.getHeader('content-type')))) {
      body = injectAtStart(body, clientTag(req, pageId));
      if (newSession) setSessionCookie(req, res, newSession);
      // A live page is one conversation: never serve it from a cache.
      res.setHeader('cache-control', 'no-store');
    }
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function clientTag(req: IncomingMessage, pageId: string): string {
    const base = baseUrlOf(req);
    const dev = options.dev ? ' data-pagewire-dev=""' : '';
    const attributes = [
      `src="${escapeHtml(base)}${CLIENT_PATH}?v=${clientScript().version}"`,
      `data-pagewire-page="${pageId}"`,
      `data-pagewire-socket="${escapeHtml(base)}${SOCKET_PATH}"`,
      `data-pagewire-status="${escapeHtml(base)}${STATUS_PATH}"`,
      `data-pagewire-heartbeat="${options.heartbeatInterval}"`,
      // How long the upgrade may take (socketMiddleware and context): the client waits as long.
      `data-pagewire-connect-timeout="${options.connectTimeout}"`,
      `data-pagewire-max-message="${options.maxMessageBytes}"`,
    ];
    return `<script ${attributes.join(' ')}${dev}></script>`;
  }

  /** `GET /__pagewire/pages?ids=a,b`: which of these pages still live for this browser session. */
  function serveStatus(req: IncomingMessage, res: ServerResponse, url: RequestTarget): void {
    if (req.method === 'POST') return leavePages(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD, POST');
      return sendText(
        res,
        405,
        `${req.method} is not a method of ${STATUS_PATH}: GET asks which pages live, POST ?leave= closes pages`,
      );
    }
    // Shutting down: not yet "reachable", or a page that reloads now would find no server.
    if (registry.closing) return sendText(res, 503, 'the server is shutting down');
    const session = sessionOf(req, options.sessionCookie);
    const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean).slice(0, MAX_IDS);
    const body = JSON.stringify({ live: session ? registry.livePages(session, ids) : [] });
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
  }

  /** A beacon from a document that went away while its socket was down: its pages close now. */
  function leavePages(req: IncomingMessage, res: ServerResponse, url: RequestTarget): void {
    if (registry.closing) return sendText(res, 503, 'the server is shutting down');
    // The beacon carries no body (Content-Length: 0); one that does is not ours, and is not read.
    if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined) {
      res.shouldKeepAlive = false;
      return sendText(res, 400, 'a leave request has no body: the page ids go in ?leave=');
    }
    // A site sent with `Referrer-Policy: no-referrer` makes the beacon's Origin "null"; the
    // browser's own Sec-Fetch-Site, which no page can set, still says it came from this site.
    const sameSite = req.headers['sec-fetch-site'] === 'same-origin';
    if (!sameSite && !originAllowed(options, req.headers.origin, req.headers.host))
      return sendText(res, 403, 'origin not allowed');
    const session = sessionOf(req, options.sessionCookie);
    const ids = (url.searchParams.get('leave') ?? '').split(',').filter(Boolean).slice(0, MAX_IDS);
    // Pages of another session are not this browser's to close: left alone, and not told apart.
    if (session) registry.leaveWithoutSocket(session, ids);
    res.statusCode = 204;
    res.setHeader('cache-control', 'no-store');
    res.end();
  }

  function setSessionCookie(req: IncomingMessage, res: ServerResponse, session: string): void {
    const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
    res.appendHeader('set-cookie', sessionCookie(options.sessionCookie, session, secure));
  }

  function renderFailed(
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction | undefined,
    script: string,
    error: ScriptErrorInfo,
    requestId: string,
    session: string,
    newSession: boolean,
  ): void {
    const reported = report.scriptError(error, { script, requestId });
    // The app asked for it: its error middleware answers (Express only; `handler` has no next).
    if (next && options.renderErrors === 'next') return next(reported);
    res.statusCode = 500;
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    if (!options.dev) return void res.end(productionErrorPage(500, requestId));
    // The error page reloads by itself once a file is saved, the fix with it.
    // An id of its own: the failed page's id may still be in the table, closing (a render that
    // timed out), and its runner's last word about it must not end the error page.
    const errorPageId = randomId();
    registry.watch(errorPageId, session, error.file ?? '', mountOf(req));
    if (newSession) setSessionCookie(req, res, session);
    res.end(injectAtStart(devErrorPage(error), clientTag(req, errorPageId)));
  }

  /**
   * The app's `context` function failed: the log has its error (and `renderErrors: 'next'` hands
   * it to the app); the browser is told its message and stack in dev, and otherwise only what
   * failed and the request id to find it in the log (`contextErrorForBrowser`).
   */
  function contextFailed(res: ServerResponse, next: NextFunction | undefined, error: ContextError): void {
    const { code, requestId } = error;
    report.failure(error, { code, requestId, doing: 'computing the page context', stack: true });
    if (next && options.renderErrors === 'next') return next(error);
    res.setHeader('cache-control', 'no-store');
    const shown = contextErrorForBrowser(error, options.dev);
    sendText(res, 500, shown.detail ?? shown.message);
  }

  function fail(res: ServerResponse, next: NextFunction | undefined, error: unknown): void {
    const requestId = randomId().slice(0, 10);
    report.failure(error, { code: 'REQUEST_FAILED', requestId });
    if (next) return next(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(productionErrorPage(500, requestId));
  }
}

function serveClient(req: IncomingMessage, res: ServerResponse): void {
  const { body, version } = clientScript();
  const etag = `"${version}"`;
  res.setHeader('content-type', 'text/javascript; charset=utf-8');
  res.setHeader('etag', etag);
  // The URL carries the version, so a browser may keep it as long as it likes.
  res.setHeader('cache-control', 'public, max-age=31536000, immutable');
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

function notFound(res: ServerResponse, next: NextFunction | undefined): void {
  if (next) return next();
  sendText(res, 404, 'Not found');
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

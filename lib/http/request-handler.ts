import type { IncomingMessage, ServerResponse } from 'node:http';
import send from 'send';
import type { ScriptErrorInfo } from '../../runner/messages.js';
import { computeContext, type ContextError, contextErrorForBrowser } from '../context.js';
import { createErrorReporter } from '../errors.js';
import { clientScript } from './client-script.js';
import { devErrorPage, productionErrorPage } from './error-page.js';
import { hostGuard } from './host-check.js';
import { escapeHtml, injectAtStart } from './html.js';
import { fragmentHeaders, fragmentOwner, fragmentRefusal, handFragmentOver } from './fragment-request.js';
import { baseUrlOf, nodeEndpoint, redirectToMountSlash, socketPath, statusPath } from './mount.js';
import { mountOf } from './express-request.js';
import type { Peers } from '../cluster/peers.js';
import type { ResolvedOptions } from '../options.js';
import type { PageRegistry, RenderResult } from '../pages/page-registry.js';
import { BodyError, hasBody, readBody } from './request-body.js';
import { type FormFiles, isMultipart, readMultipart, removeUploads } from '../uploads/multipart.js';
import { multerFiles } from '../uploads/multer-files.js';
import { uploadsRoot } from '../uploads/file-names.js';
import { fsJailDirs } from '../fs-jail-dirs.js';
import type { UploadBudget } from '../uploads/upload-budget.js';
import { requestData, type RequestTarget } from './request-data.js';
import { REFUSED, type RouteTable } from './routes.js';
import { newNonce, pagePolicy, setCommonHeaders } from './security-headers.js';
import { randomId, renderSessionOf, sessionCookie } from './session.js';
import { REACHABLE_PATH, sendText as sendPlainText, statusEndpoint } from './status-endpoint.js';

/** A multipart request's files, and the temporary folder they are in. */
type RequestUploads = { files: FormFiles; folder: string };

/** Where the browser runtime is served, under the mount path. */
export const CLIENT_PATH = '/__pagewire/client.js';

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
  peers: Peers,
  uploadBudget?: UploadBudget,
  /** This server's own folder of temporary uploads (process-folder.ts); `<dataDir>/.uploads` without. */
  uploadsFolder?: string,
): RequestHandler {
  const report = createErrorReporter(options);
  const refusedHost = hostGuard(options);
  const serveStatus = statusEndpoint(options, registry, peers);
  const multipartLimits = { ...options, uploadsRoot: uploadsFolder ?? uploadsRoot(fsJailDirs(options).dataDir) };
  return (req, res, next) => {
    // The path as sent, never parsed as a URL: `//host/secret` must not become `/secret`
    // behind a proxy or middleware that matched the literal path.
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const url: RequestTarget = {
      pathname: queryStart === -1 ? target : target.slice(0, queryStart),
      searchParams: new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1)),
    };
    // Pagewire's own: its client, and the status endpoints (a node's `pages`; its `socket` path
    // is an upgrade's, never a request's, and left to the app as any path Pagewire does not serve).
    const node = nodeEndpoint(url.pathname);
    const status = url.pathname === REACHABLE_PATH || (node?.endpoint === 'pages' && node.base === '');
    const ours = url.pathname === CLIENT_PATH || status;
    const route = ours ? undefined : routes.resolve(url.pathname);
    if (!ours && (route === REFUSED || route === undefined)) return notFound(res, next);
    // Every answer of Pagewire's own is for a host of this server only (DNS rebinding); a path
    // it does not serve is left to the app, whatever its host.
    const refusal = refusedHost(req);
    if (refusal !== undefined) return refuseHost(req, res, refusal);
    if (url.pathname === CLIENT_PATH) return serveClient(req, res);
    if (status) return serveStatus(req, res, url, node);
    if (route === REFUSED || route === undefined) return notFound(res, next);
    if (url.pathname === '/') {
      // The index of a mount: answered here, by a redirect to the mount's slash or by its script.
      setCommonHeaders(res, options);
      if (redirectToMountSlash(req, res)) return;
    }
    if (route.kind === 'static') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return notFound(res, next);
      send(req, route.file, { root: options.dir, dotfiles: 'deny', index: false })
        .on('headers', () => setCommonHeaders(res, options))
        .on('error', (error: { status?: number }) =>
          error.status === 404 ? notFound(res, next) : fail(res, next, error),
        )
        .pipe(res);
      return;
    }
    const render = (body: unknown, uploads?: RequestUploads) =>
      renderPage(req, res, next, url, route.script, route.params, body, uploads).catch((error: unknown) =>
        fail(res, next, error),
      );
    if (req.method === 'GET' || req.method === 'HEAD' || !hasBody(req)) {
      void render(undefined);
      return;
    }
    // Files are the request's until it is answered: then what the script did not move goes.
    const withFiles = (uploads: RequestUploads & { fields: unknown }) =>
      // `render` never rejects: its failures are answered.
      render(uploads.fields, uploads).then(() => removeRequestUploads(uploads.folder));
    // A multipart body counts in the bytes of uploads under way, of its session and the server.
    const session = renderSessionOf(req, options).session;
    const budget = uploadBudget && {
      reserve: (bytes: number) => uploadBudget.reserve(session, bytes),
      release: (bytes: number) => uploadBudget.release(session, bytes),
    };
    const body =
      (req as { body?: unknown }).body === undefined && isMultipart(req)
        ? readMultipart(req, { ...multipartLimits, budget }).then(withFiles)
        : multerFiles(req, multipartLimits).then((parsed) =>
            parsed ? withFiles(parsed) : readBody(req, options.maxBodyBytes).then(render),
          );
    body.catch((error: unknown) => {
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
    uploads?: RequestUploads,
  ): Promise<void> {
    const pageId = randomId();
    const owner = fragmentOwner(req);
    if (owner !== undefined && handFragmentOver(req, peers, options.node)) return;
    const refusedFragment = owner === undefined ? undefined : fragmentRefusal(options, req);
    if (refusedFragment !== undefined) return sendText(res, 403, refusedFragment);
    const context = await computeContext(options.context, req);
    if (!context.ok) return contextFailed(res, next, context.error);
    // A cookie the server did not issue is no session: the page gets a new one, set below.
    let { session, issued } = renderSessionOf(req, options);
    // A fresh nonce for each render: the script's own <script nonce> and the client tag carry it.
    const nonce = options.csp === false ? undefined : newNonce();
    // The page keeps where it was rendered: its socket is claimed under that base, and no other.
    const data = {
      ...requestData(req, url, params, body, context.value),
      files: uploads?.files ?? {},
      ...(nonce ? { nonce } : {}),
    };
    let result = await registry.render(script, pageId, session, data, mountOf(req), owner);
    // A fragment belongs to its document's session: never another.
    if (!result.ok && 'refused' in result && result.refused.code === 'TOO_MANY_PAGES_IN_SESSION' && !owner) {
      // Full of connected pages: not a 429, a new session (refused before anything was made, so
      // rendered again). Whoever planted the cookie could fill it; `maxPages` bounds attackers.
      ({ session, issued } = { session: randomId(), issued: true });
      result = await registry.render(script, pageId, session, data, mountOf(req));
    }
    // Rendered: what the script did not move goes before the browser hears the answer.
    if (uploads) await removeRequestUploads(uploads.folder);
    if (!result.ok && 'refused' in result) {
      // A page limit, not a script error: say which, to whoever hit it.
      const { refused } = result;
      options.logger.warn(`${script}: page refused: ${refused.message}`, { code: refused.code, script });
      if (refused.retryAfter !== undefined) res.setHeader('retry-after', String(refused.retryAfter));
      return sendText(res, refused.status, refused.message);
    }
    if (!result.ok) return renderFailed(req, res, next, script, result.error, pageId, session, issued);
    if (owner !== undefined) fragmentHeaders(res, pageId, result.live);
    respond(req, res, result, pageId, issued ? session : undefined, nonce, owner !== undefined);
  }

  function removeRequestUploads(folder: string): Promise<void> {
    return removeUploads(folder).catch((error: unknown) =>
      options.logger.warn(`temporary uploads not removed: ${folder}: ${(error as Error).message}`),
    );
  }

  function respond(
    req: IncomingMessage,
    res: ServerResponse,
    result: Extract<RenderResult, { ok: true }>,
    pageId: string,
    newSession: string | undefined,
    nonce: string | undefined,
    fragment = false,
  ): void {
    res.statusCode = result.status;
    // The script's headers first: where it set one of the security headers, its own wins.
    for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
    pageHeaders(res, nonce);
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'text/html; charset=utf-8');
    let body = result.body;
    if (result.live && !fragment && /^text\/html/i.test(String(res.getHeader('content-type')))) {
      body = injectAtStart(body, clientTag(req, pageId, nonce));
      if (newSession) setSessionCookie(req, res, newSession);
      // A live page is one conversation: never serve it from a cache.
      res.setHeader('cache-control', 'no-store');
    }
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /**
   * A rendered page's headers, each unless the script set it: nosniff, Referrer-Policy, and the
   * Content-Security-Policy (frame-ancestors, and with `csp` this render's nonce).
   */
  function pageHeaders(res: ServerResponse, nonce: string | undefined): void {
    setCommonHeaders(res, options);
    if (res.hasHeader('content-security-policy')) return;
    const policy = pagePolicy(options, nonce);
    if (policy !== undefined) res.setHeader('content-security-policy', policy);
  }

  function clientTag(req: IncomingMessage, pageId: string, nonce: string | undefined): string {
    const base = baseUrlOf(req);
    const dev = options.dev ? ' data-pagewire-dev=""' : '';
    const attributes = [
      // With a nonce CSP (`script-src 'nonce-…' 'strict-dynamic'`), the client runs by its nonce.
      ...(nonce === undefined ? [] : [`nonce="${nonce}"`]),
      `src="${escapeHtml(base)}${CLIENT_PATH}?v=${clientScript().version}"`,
      `data-pagewire-page="${pageId}"`,
      // The socket and status paths name this process (its node): a router that matches a path
      // prefix brings them back to it. Reachability names none: any process answers it.
      `data-pagewire-socket="${escapeHtml(base)}${socketPath(options.node)}"`,
      `data-pagewire-status="${escapeHtml(base)}${statusPath(options.node)}"`,
      `data-pagewire-reachable="${escapeHtml(base)}${REACHABLE_PATH}"`,
      `data-pagewire-heartbeat="${options.heartbeatInterval}"`,
      // How long the upgrade may take (socketMiddleware and context): the client waits as long.
      `data-pagewire-connect-timeout="${options.connectTimeout}"`,
      `data-pagewire-max-message="${options.maxMessageBytes}"`,
    ];
    return `<script ${attributes.join(' ')}${dev}></script>`;
  }

  function setSessionCookie(req: IncomingMessage, res: ServerResponse, session: string): void {
    res.appendHeader('set-cookie', sessionCookie(req, options, session));
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
    const nonce = options.csp === false ? undefined : newNonce();
    pageHeaders(res, nonce);
    if (!options.dev) return void res.end(productionErrorPage(500, requestId));
    // The error page reloads by itself once a file is saved, the fix with it.
    // An id of its own: the failed page's id may still be in the table, closing (a render that
    // timed out), and its runner's last word about it must not end the error page.
    const errorPageId = randomId();
    registry.watch(errorPageId, session, error.file ?? '', mountOf(req));
    if (newSession) setSessionCookie(req, res, session);
    res.end(injectAtStart(devErrorPage(error), clientTag(req, errorPageId, nonce)));
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
    pageHeaders(res, undefined);
    res.end(productionErrorPage(500, requestId));
  }

  function refuseHost(req: IncomingMessage, res: ServerResponse, refusal: string): void {
    // A body is not read for a request refused before it: the connection ends with the answer.
    if (hasBody(req)) {
      res.shouldKeepAlive = false;
      req.resume();
    }
    res.setHeader('cache-control', 'no-store');
    sendText(res, 403, refusal);
  }

  function sendText(res: ServerResponse, status: number, text: string): void {
    setCommonHeaders(res, options);
    sendPlainText(res, status, text);
  }

  function notFound(res: ServerResponse, next: NextFunction | undefined): void {
    if (next) return next();
    sendText(res, 404, 'Not found');
  }

  function serveClient(req: IncomingMessage, res: ServerResponse): void {
    setCommonHeaders(res, options);
    serveClientScript(req, res);
  }
}

function serveClientScript(req: IncomingMessage, res: ServerResponse): void {
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

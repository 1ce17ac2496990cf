import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PageMount } from '../pages/page-entry.js';
import { baseUrlOf } from './mount.js';

/** What Express gives its requests: `app.request` and `app.response` are their prototypes. */
interface ExpressApp {
  request: object;
  response: object;
}

/**
 * Where a request is served: the mount path (`req.baseUrl`, `''` on `node:http`) and the Express
 * app serving it. A page keeps it, so that its socket is claimed under that base, and its
 * upgrade request made what that app makes of its requests.
 */
export function mountOf(req: IncomingMessage): PageMount {
  return { base: baseUrlOf(req), app: expressAppOf(req) };
}

/**
 * The upgrade request never went through Express: it gets Express's own fields as the render had
 * them (`req.baseUrl`, `req.originalUrl`) and what Express's `app.handle` gives a request (the
 * app's `request` and `response` prototypes, `req.res`, `res.req`, `res.locals`), so `req.ip`,
 * `req.get()`, `req.hostname` and `req.query` work in `socketMiddleware` and in `context` as in
 * the render. Route params of the mount (`/:tenant`) are not known here: `req.params` is not set.
 * Without Express (`node:http`), only the two fields are set.
 */
export function asExpressRequest(mount: PageMount, req: IncomingMessage, res: ServerResponse): void {
  Object.assign(req, { baseUrl: mount.base, originalUrl: req.url });
  const app = isExpressApp(mount.app) ? mount.app : undefined;
  if (!app) return;
  Object.assign(req, { res });
  Object.assign(res, { req });
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
  const withLocals = res as ServerResponse & { locals?: object };
  withLocals.locals ??= Object.create(null) as object;
}

function expressAppOf(req: IncomingMessage): ExpressApp | undefined {
  const app = (req as { app?: unknown }).app;
  return isExpressApp(app) ? app : undefined;
}

function isExpressApp(app: unknown): app is ExpressApp {
  if (typeof app !== 'function') return false;
  const { request, response } = app as unknown as Partial<ExpressApp>;
  return typeof request === 'object' && request !== null && typeof response === 'object' && response !== null;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { baseUrlOf, isSocketPath, SOCKET_PATH } from './mount.js';

/** What Express gives its requests: `app.request` and `app.response` are their prototypes. */
interface ExpressApp {
  request: object;
  response: object;
}

/**
 * Bases remembered at most: a mount with a parameter (`app.use('/:tenant', wire)`) makes one per
 * value, and a visitor chooses the values. Past it, the base seen longest ago is forgotten (its
 * pages' next socket is refused as for a restart: they ask the status endpoint, which teaches
 * the base again, and reload).
 */
const MAX_BASES = 1000;

/**
 * Where this instance is mounted: the bases it served requests under (`req.baseUrl`, `''` on
 * `node:http`), each with the Express app that served it. `attach()` sees only an upgrade's full
 * path; it claims `<base>/__pagewire/socket` for these bases and no other (another instance on
 * the same server has its own), and gives the upgrade request what that app gives its requests.
 */
export class Mounts {
  readonly #apps = new Map<string, ExpressApp | undefined>();

  /** Called for every request the handler sees (the status probe of a reconnecting page too). */
  learn(req: IncomingMessage): void {
    this.learnBase(baseUrlOf(req), expressAppOf(req));
  }

  /** `base` is served: `''` as soon as `attach()` finds the handler itself answering the server's requests. */
  learnBase(base: string, app?: ExpressApp): void {
    if (this.#apps.has(base) && this.#apps.get(base) === app) return;
    this.#apps.delete(base);
    this.#apps.set(base, app);
    if (this.#apps.size > MAX_BASES) this.#apps.delete(this.#apps.keys().next().value as string);
  }

  /** The base `path` is the page socket of, or undefined when it is not this instance's. */
  socketBase(path: string): string | undefined {
    if (!isSocketPath(path)) return undefined;
    const base = path.slice(0, -SOCKET_PATH.length);
    return this.#apps.has(base) ? base : undefined;
  }

  /**
   * The upgrade request never went through Express: it gets what Express's `app.handle` gives a
   * request (the app's `request` and `response` prototypes, `req.res`, `res.req`, `res.locals`),
   * so `req.ip`, `req.get()`, `req.hostname` and `req.query` work in `socketMiddleware` and in
   * `context` as in the render. Without Express (`node:http`), they stay as they are.
   */
  asExpressRequest(base: string, req: IncomingMessage, res: ServerResponse): void {
    const app = this.#apps.get(base);
    if (!app) return;
    Object.assign(req, { res });
    Object.assign(res, { req });
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    const withLocals = res as ServerResponse & { locals?: object };
    withLocals.locals ??= Object.create(null) as object;
  }
}

function expressAppOf(req: IncomingMessage): ExpressApp | undefined {
  const app = (req as { app?: unknown }).app;
  if (typeof app !== 'function') return undefined;
  const { request, response } = app as unknown as Partial<ExpressApp>;
  const express = typeof request === 'object' && request !== null && typeof response === 'object' && response !== null;
  return express ? (app as unknown as ExpressApp) : undefined;
}

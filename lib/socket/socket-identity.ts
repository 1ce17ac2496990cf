import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { computeContext, type ContextResult } from '../context.js';
import { createErrorReporter } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { runSocketMiddleware, type SocketMiddleware } from './socket-middleware.js';

/**
 * Who a page socket belongs to, before it is accepted: the app's `socketMiddleware` run on the
 * upgrade request (its session, its user), then the app's `context` computed from it, as for a
 * render. Resolves to that context (which may be a failure: then the socket's joins are refused
 * with its message), or to `undefined` when a middleware answered the request itself or failed
 * (the browser was answered; the failure is reported), or the browser went away.
 */
export async function identifySocket(
  options: Pick<ResolvedOptions, 'context' | 'logger' | 'onError'>,
  middleware: readonly SocketMiddleware[],
  req: IncomingMessage,
  socket: Duplex,
): Promise<ContextResult | undefined> {
  const report = createErrorReporter(options);
  const outcome = await runSocketMiddleware(middleware, req, socket);
  if (outcome.kind === 'failed') {
    report.failure(outcome.error, { code: 'SOCKET_MIDDLEWARE_FAILED', doing: 'a socketMiddleware function' });
    return undefined;
  }
  if (outcome.kind === 'answered') return undefined;
  const context = await computeContext(options.context, req);
  if (!context.ok) {
    report.failure(context.error, { code: context.error.code, doing: "computing a page socket's context" });
  }
  return context;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
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
 *
 * Both are bounded by `connectTimeout` (how long a page waits for its socket): a session store
 * that never answers would otherwise hold the connection open for ever. Past it: refused 503,
 * and the log says which part did not finish.
 */
export async function identifySocket(
  options: Pick<ResolvedOptions, 'context' | 'logger' | 'onError' | 'connectTimeout'>,
  middleware: readonly SocketMiddleware[],
  req: IncomingMessage,
  socket: Duplex,
  prepare?: (res: ServerResponse) => void,
): Promise<ContextResult | undefined> {
  const report = createErrorReporter(options);
  const started = performance.now();
  const outcome = await runSocketMiddleware(middleware, req, socket, options.connectTimeout, prepare);
  if (outcome.kind === 'timed-out') {
    options.logger.warn(timedOut('socketMiddleware', options.connectTimeout), { code: 'SOCKET_TIMEOUT' });
    return undefined;
  }
  if (outcome.kind === 'failed') {
    report.failure(outcome.error, { code: 'SOCKET_MIDDLEWARE_FAILED', doing: 'a socketMiddleware function' });
    return undefined;
  }
  if (outcome.kind === 'answered') return undefined;
  const left = Math.max(0, options.connectTimeout - (performance.now() - started));
  let timer: NodeJS.Timeout | undefined;
  // Unref'd, as every host timer: a `wire.close()` meanwhile must not keep the process alive.
  const late = new Promise<'timed-out'>((resolve) => (timer = setTimeout(() => resolve('timed-out'), left).unref()));
  const context = await Promise.race([computeContext(options.context, req), late]);
  clearTimeout(timer);
  if (context === 'timed-out') {
    options.logger.warn(timedOut('the context function', options.connectTimeout), { code: 'SOCKET_TIMEOUT' });
    refuseUnavailable(socket);
    return undefined;
  }
  if (!context.ok) {
    const { code, requestId } = context.error;
    report.failure(context.error, { code, requestId, doing: "computing a page socket's context", stack: true });
  }
  return context;
}

function timedOut(what: string, ms: number): string {
  return (
    `a page socket was refused (503): ${what} did not finish within connectTimeout (${ms} ms) on its ` +
    'upgrade request. A session store or database that does not answer?'
  );
}

function refuseUnavailable(socket: Duplex): void {
  const text = 'the page socket was refused: Service Unavailable';
  socket.once('finish', () => socket.destroy());
  socket.end(
    'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

import { type IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * An Express-style middleware run on the page socket's upgrade request, before the socket is
 * accepted (as Socket.IO's `engine.use`): `express-session`, `passport.session()`. Declared
 * through a method so that its parameters are bivariant: Express's handlers, typed with
 * Express's request and response, are accepted as they are.
 */
export type SocketMiddleware = {
  middleware(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): unknown;
}['middleware'];

/**
 * How the middleware ended: every one called `next()` (accept the socket); one answered the
 * request itself (`res.end()`: its answer went to the browser, no socket); or one failed
 * (`next(error)`, a throw, a rejected promise).
 */
export type MiddlewareOutcome =
  | { kind: 'next' }
  | { kind: 'answered' }
  | { kind: 'failed'; error: unknown }
  /** Not done within the bound (a session store that never answers): refused 503. */
  | { kind: 'timed-out' };

/**
 * Runs `middleware` in order on the upgrade request. `res` is a real `ServerResponse` bound to
 * the connection (as engine.io does), so a middleware that answers (a 401, a redirect) is heard
 * by the browser, and middleware that hooks the response (express-session's `onHeaders`) finds
 * what it expects; `prepare` gives both what the app's framework gives its own (Express's
 * prototypes). Once every middleware called `next()`, the connection is handed back, untouched,
 * for the WebSocket handshake. Not done within `timeoutMs`: refused 503, and a late `next()`
 * does nothing.
 */
export function runSocketMiddleware(
  middleware: readonly SocketMiddleware[],
  req: IncomingMessage,
  socket: Duplex,
  timeoutMs: number,
  prepare: (res: ServerResponse) => void = () => {},
): Promise<MiddlewareOutcome> {
  const res = new ServerResponse(req);
  prepare(res);
  // The connection ends with whatever answer a middleware gives: it was never an HTTP/1.1
  // keep-alive connection to go on with (the upgrade took it out of the HTTP server's hands).
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: MiddlewareOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.off('finish', answered);
      socket.off('close', gone);
      if (outcome.kind === 'next') res.detachSocket(socket as Socket);
      else if (outcome.kind === 'failed') answerFailure(res, socket, outcome.error);
      else if (outcome.kind === 'timed-out') answerFailure(res, socket, { status: 503 });
      resolve(outcome);
    };
    const answered = () => {
      endConnection(socket);
      settle({ kind: 'answered' });
    };
    // A browser that went away meanwhile: there is nothing left to upgrade.
    const gone = () => settle({ kind: 'answered' });
    res.once('finish', answered);
    socket.once('close', gone);
    // Unref'd, as every host timer: a `wire.close()` meanwhile must not keep the process alive.
    const timer = setTimeout(() => settle({ kind: 'timed-out' }), timeoutMs).unref();
    const run = (index: number) => {
      if (settled) return;
      const current = middleware[index];
      if (!current) return settle({ kind: 'next' });
      let called = false;
      const next = (error?: unknown) => {
        // A middleware that calls next twice: the second call is its bug, not a second run.
        if (called) return;
        called = true;
        // Express's `next('route')` and `next('router')` skip, they do not fail.
        if (error !== undefined && error !== null && error !== 'route' && error !== 'router') {
          return settle({ kind: 'failed', error });
        }
        run(index + 1);
      };
      try {
        const result = current(req, res, next);
        // An async middleware (Express 5 awaits them too): its rejection is a failure.
        if (result instanceof Promise) result.catch((error: unknown) => settle({ kind: 'failed', error }));
      } catch (error) {
        settle({ kind: 'failed', error });
      }
    };
    run(0);
  });
}

/** `next(error)`: the status the error carries (4xx, 5xx; 500 otherwise), and a short text. */
function answerFailure(res: ServerResponse, socket: Duplex, error: unknown): void {
  if (res.headersSent) {
    socket.destroy();
    return;
  }
  const { status: carried, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown };
  const given = carried ?? statusCode;
  const status = typeof given === 'number' && given >= 400 && given <= 599 ? given : 500;
  const text = `the page socket was refused: ${STATUS_CODES[status] ?? 'Error'}`;
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.once('finish', () => endConnection(socket));
  res.end(text);
}

/** Ends the connection once what was written to it has left. */
function endConnection(socket: Duplex): void {
  socket.once('finish', () => socket.destroy());
  socket.end();
}

import type { RunnerToHost, ScriptErrorInfo } from '../runner/messages.js';
import { formatScriptError } from '../runner/script-error.js';
import type { LogFields, Logger } from './logger.js';

/**
 * What `onError` learns of an error, as data. `code` is stable:
 * - a script's: `COMPILE_ERROR`, `SCRIPT_NOT_FOUND`, `LOAD_ERROR`, `RENDER_ERROR`, `RENDER_TIMEOUT`,
 *   `EVENT_ERROR`, `TIMER_ERROR`, `CLOSE_ERROR`, `CHANNEL_ERROR`, `SCRIPT_STUCK`, `SCRIPT_OUT_OF_MEMORY`,
 *   `SCRIPT_QUARANTINED`, `UNHANDLED_REJECTION`, `UNCAUGHT_EXCEPTION`;
 * - Pagewire's own: `REQUEST_FAILED`, `CLOSE_FAILED`, `NO_WORKER`, `WORKER_STOPPED`, `WORKER_START_FAILED`;
 * - the app's, from its options: `CONTEXT_FAILED` (`context`), `SOCKET_MIDDLEWARE_FAILED` (`socketMiddleware`).
 */
export interface ErrorContext extends LogFields {
  code: string;
  message: string;
  /** The error as the script runner reported it (name, stack in script files, code frame). */
  scriptError?: ScriptErrorInfo;
}

/** `onError`: called with every error, besides the log. */
export type ErrorHandler = (error: Error, context: ErrorContext) => void;

/**
 * A script's error as an `Error`: what `onError` gets, and, with `renderErrors: 'next'`, the
 * app's error middleware. Its `stack` is the script's, in script files.
 */
export class PagewireError extends Error {
  readonly code: string;
  readonly context: ErrorContext;
  /** For Express's error handling: a failed render is a 500, and its message is not for the browser. */
  readonly status = 500;
  readonly expose = false;

  constructor(context: ErrorContext) {
    super(context.scriptError ? formatScriptError(context.scriptError) : context.message);
    this.name = 'PagewireError';
    this.code = context.code;
    this.context = context;
    if (context.scriptError?.stack) this.stack = context.scriptError.stack;
  }
}

/** Where an error happened, as far as the caller knows. */
export interface ErrorPlace {
  script?: string;
  pageId?: string;
  requestId?: string;
}

/** Sends every error to the logger and to `onError`, one way for all. */
export interface ErrorReporter {
  /** A script's error. Returns it as an Error, for whoever answers the request. */
  scriptError(info: ScriptErrorInfo, place: ErrorPlace): PagewireError;
  /**
   * A failure; `doing` is what failed, as the log line starts: `closing 3 page(s)`. With `stack`,
   * the error's stack follows (the app's own code failed, and its frames say where).
   */
  failure(error: unknown, context: ErrorPlace & { code: string; doing?: string; stack?: boolean }): void;
  /** A line a script runner logged: script output, or (with `error`) a failure it caught. */
  runnerLog(message: Extract<RunnerToHost, { type: 'log' }>): void;
}

export function createErrorReporter(options: { logger: Logger; onError: ErrorHandler | undefined }): ErrorReporter {
  const { logger, onError } = options;

  function handOn(error: Error, context: ErrorContext): void {
    if (!onError) return;
    try {
      const result: unknown = onError(error, context);
      // An async onError: its rejection is reported like its throw, never left unhandled.
      if (result instanceof Promise) result.catch((thrown: unknown) => onErrorFailed(thrown, context));
    } catch (thrown) {
      onErrorFailed(thrown, context);
    }
  }

  function onErrorFailed(thrown: unknown, context: ErrorContext): void {
    logger.error(`the onError option threw while handling ${context.code}: ${describe(thrown)}`, {
      code: 'ON_ERROR_FAILED',
    });
  }

  return {
    scriptError(info, place) {
      const context = withoutUndefined<ErrorContext>({
        code: info.code,
        message: info.message,
        ...place,
        file: info.file,
        line: info.line,
        column: info.column,
        scriptError: info,
      });
      const detail = [info.stack, info.frame].filter(Boolean).join('\n');
      const request = place.requestId ? `request ${place.requestId}: ` : '';
      const where = place.script ? `${info.code}, ${place.script}` : info.code;
      logger.error(`${request}${formatScriptError(info)} (${where})${detail ? `\n${detail}` : ''}`, fieldsOf(context));
      const error = new PagewireError(context);
      handOn(error, context);
      return error;
    },

    failure(thrown, { doing, stack, ...place }) {
      const error = thrown instanceof Error ? thrown : new Error(describe(thrown));
      const context = withoutUndefined<ErrorContext>({ ...place, message: error.message });
      const request = place.requestId ? `request ${place.requestId}: ` : '';
      const frames = stack && error.stack ? framesOf(error.stack) : '';
      const what = doing ? `${doing} failed: ${error.message}${frames}` : (error.stack ?? error.message);
      logger.error(`${request}${what}`, fieldsOf(context));
      handOn(error, context);
    },

    runnerLog({ script, pageId, level, text, error }) {
      const where = script ? `${script}${pageId ? ` [page ${pageId.slice(0, 6)}]` : ''}: ` : '';
      const place = withoutUndefined<ErrorPlace>({ script: script || undefined, pageId });
      if (!error) return logger[level](`${where}${text}`, place);
      const context = withoutUndefined<ErrorContext>({
        code: error.code,
        message: error.message,
        ...place,
        file: error.file,
        line: error.line,
        column: error.column,
        scriptError: error,
      });
      logger[level](`${where}${text}`, fieldsOf(context));
      handOn(new PagewireError(context), context);
    },
  };
}

function fieldsOf({ code, script, pageId, requestId, file, line, column }: ErrorContext): LogFields {
  return withoutUndefined({ code, script, pageId, requestId, file, line, column });
}

/** Fields that are not known are absent, not `undefined`: `{ ...context }` and JSON stay clean. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  return String(value);
}

/** The `at ...` lines of a stack, each on a line of its own after the message; '' when none. */
function framesOf(stack: string): string {
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return frames.length === 0 ? '' : `\n${frames.join('\n')}`;
}

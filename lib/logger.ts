import { escapeControlsButNewlines, forLog } from './log-text.js';

/**
 * What a log line is about, as data: a structured logger (pino, winston) can index on it. The
 * message says the same in words, so a logger that ignores the fields loses nothing.
 */
export interface LogFields {
  /** A stable code: `EVENT_ERROR`, `RENDER_ERROR`, `WORKER_STOPPED`, ... (see `ErrorContext`). */
  code?: string;
  /** The script, relative to the scripts folder. */
  script?: string;
  pageId?: string;
  /** The id a production error page shows, to find its details in the log. */
  requestId?: string;
  /** Where in the scripts folder it happened (a partial's file, not always `script`). */
  file?: string;
  line?: number;
  column?: number;
}

/**
 * Where Pagewire writes what happens: script output, script errors, refused sockets. Each call
 * gets a message and, when the line is about a script, a page or an error, its fields.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * Writes to the console, each message prefixed with `[pagewire]`; fields the message does not
 * already show follow its first line, as `name=value`. What it prints cannot forge a line or drive
 * the terminal: control characters are escaped (`\u001b`), and a message's other lines (a stack,
 * a script's multi-line output) are indented when they are not already, so that only Pagewire's
 * own lines start in column 0.
 */
export const consoleLogger: Logger = {
  debug: (message, fields) => console.debug(consoleLine(message, fields)),
  info: (message, fields) => console.info(consoleLine(message, fields)),
  warn: (message, fields) => console.warn(consoleLine(message, fields)),
  error: (message, fields) => console.error(consoleLine(message, fields)),
};

/** `[pagewire] first line · page=3f2a9c request=Xy12`, then the message's other lines, indented. */
export function consoleLine(raw: string, fields: LogFields = {}): string {
  const message = escapeControlsButNewlines(raw);
  const end = message.indexOf('\n');
  const first = end === -1 ? message : message.slice(0, end);
  const shown = [
    ['code', fields.code],
    ['script', fields.script],
    // Six characters name a page in the log, as elsewhere: enough to tell pages apart.
    ['page', fields.pageId?.slice(0, 6)],
    ['request', fields.requestId],
    [
      'at',
      fields.file && `${fields.file}${fields.line ? `:${fields.line}${fields.column ? `:${fields.column}` : ''}` : ''}`,
    ],
  ].filter(
    (field): field is [string, string] => typeof field[1] === 'string' && field[1] !== '' && !first.includes(field[1]),
  );
  const tail = shown.length > 0 ? ` · ${shown.map(([name, value]) => `${name}=${forLog(value)}`).join(' ')}` : '';
  return `[pagewire] ${first}${tail}${end === -1 ? '' : message.slice(end).replace(UNINDENTED_LINE, '\n  ')}`;
}

/** A line after a message's first that starts in column 0, where only Pagewire's own lines start. */
const UNINDENTED_LINE = /\n(?=[^ \n])/g;

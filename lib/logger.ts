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
 * Writes to the console, each line prefixed with `[pagewire]`; fields the message does not
 * already show follow its first line, as `name=value`.
 */
export const consoleLogger: Logger = {
  debug: (message, fields) => console.debug(consoleLine(message, fields)),
  info: (message, fields) => console.info(consoleLine(message, fields)),
  warn: (message, fields) => console.warn(consoleLine(message, fields)),
  error: (message, fields) => console.error(consoleLine(message, fields)),
};

/** `[pagewire] first line · page=3f2a9c request=Xy12`, then the message's other lines. */
export function consoleLine(message: string, fields: LogFields = {}): string {
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
  const tail = shown.length > 0 ? ` · ${shown.map(([name, value]) => `${name}=${value}`).join(' ')}` : '';
  return `[pagewire] ${first}${tail}${end === -1 ? '' : message.slice(end)}`;
}

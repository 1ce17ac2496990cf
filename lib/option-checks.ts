import { inspect } from 'node:util';
import { NODE_ID_PATTERN } from './cluster/node-id.js';
import { redisOptionProblem } from './redis/redis-target.js';
import { neverServedExtension } from './http/static-files.js';
import type { PagewireOptions } from './options.js';

/** Node's timers fire at once past 2^31 - 1 ms: durations are checked against it. */
const MAX_TIMER = 2 ** 31 - 1;

type OptionName = Exclude<keyof PagewireOptions, 'dir'>;

/** What a value must be, said as the end of "'name' must be ...", or nothing when it is good. */
type Check = (value: unknown) => string | undefined;

const isWhole = (value: unknown): value is number => Number.isInteger(value);

const duration: Check = (value) =>
  isWhole(value) && value > 0 && value <= MAX_TIMER
    ? undefined
    : `a positive number of milliseconds, a whole number up to ${MAX_TIMER} (Node's timer limit, about 24.8 days)`;
const bytes: Check = (value) =>
  isWhole(value) && value > 0 ? undefined : 'a positive number of bytes, a whole number';
const count: Check = (value) => (isWhole(value) && value > 0 ? undefined : 'a positive number, a whole number');

function strings(must: string, valid: (text: string) => boolean): Check {
  return (value) =>
    Array.isArray(value) && value.every((item) => typeof item === 'string' && valid(item)) ? undefined : must;
}

const isSecret = (value: unknown) => typeof value === 'string' && value.length >= 32;

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/** One check for every option but `dir`: the compiler sees that none is missing. */
const CHECKS: Record<OptionName, Check> = {
  dev: (value) => (typeof value === 'boolean' ? undefined : 'true or false'),
  allowedOrigins: strings(
    "a list of origins (allowedOrigins entries look like 'https://example.com': a scheme and a host, no path)",
    (origin) => /^https?:\/\/[^/]+$/.test(origin),
  ),
  allowedHosts: (value) =>
    value === true || strings('', (host) => /^\.?[\w]([\w.-]*\w)?$/.test(host))(value) === undefined
      ? undefined
      : "a list of host names (no scheme, no port: 'example.com', or '.example.com' for it and its subdomains), " +
        'or true (any host: not recommended)',
  trustProxy: (value) => (typeof value === 'boolean' ? undefined : 'true or false'),
  staticExtensions: (value) => {
    const must = strings("a list of extensions, each with its dot ('.css')", (ext) => /^\.[\w.-]*\w$/.test(ext))(value);
    const refused = must ? undefined : neverServedExtension(value as string[]);
    return refused
      ? `a list of extensions that may be served: '${refused}' is never served (script sources, their backups and ` +
          'editor files are not, whatever this option says)'
      : must;
  },
  frameAncestors: (value) =>
    value === false ||
    (Array.isArray(value) &&
      value.length > 0 &&
      strings('', (source) => /^[^\s;,]+$/.test(source))(value) === undefined)
      ? undefined
      : `a list of CSP sources (["'self'"], ["'none'"], ["'self'", 'https://example.com']), or false (not sent)`,
  referrerPolicy: (value) =>
    value === false || (typeof value === 'string' && /^[a-z-]+(\s*,\s*[a-z-]+)*$/.test(value))
      ? undefined
      : "a Referrer-Policy ('same-origin', 'strict-origin-when-cross-origin', ...), or false (not sent)",
  csp: (value) =>
    value === false || value === 'nonce' || typeof value === 'function'
      ? undefined
      : "'nonce', a function (nonce) => policy, or false",
  connectTimeout: duration,
  renderTimeout: duration,
  disconnectTimeout: duration,
  idleTimeout: (value) =>
    value === Infinity || duration(value) === undefined
      ? undefined
      : `a positive number of milliseconds up to ${MAX_TIMER}, or Infinity (pages never close for being idle)`,
  heartbeatInterval: duration,
  watchdogTimeout: duration,
  maxMessageBytes: bytes,
  maxBodyBytes: bytes,
  maxBufferedPushes: count,
  maxBufferedBytes: bytes,
  maxTotalBufferedBytes: bytes,
  maxWorkerHeapBytes: bytes,
  maxWorkerMemoryBytes: bytes,
  maxResponseBytes: bytes,
  maxScriptBufferBytes: bytes,
  maxSharedKeyBytes: bytes,
  maxSharedValueBytes: bytes,
  maxSharedBytes: bytes,
  maxPagesPerSession: count,
  maxPages: count,
  maxPendingPages: count,
  maxDisconnectedPages: count,
  maxEventsPerSecond: count,
  maxQueuedEvents: count,
  maxUploadFileBytes: bytes,
  maxUploadFiles: count,
  maxUploadSessionBytes: bytes,
  maxUploadServerBytes: bytes,
  uploadStallTimeout: duration,
  workers: (value) =>
    isWhole(value) && value >= 0
      ? undefined
      : "a whole number of worker threads, or 0 (scripts in the server's thread)",
  forbiddenModules: strings('a list of module names', (name) => name !== ''),
  env: strings('a list of environment variable names', (name) => name !== '' && !name.includes('=')),
  dataDir: (value) => (typeof value === 'string' && value !== '' ? undefined : 'a folder (a path, not empty)'),
  readDirs: strings('a list of folders (paths, not empty)', (folder) => folder !== ''),
  node: (value) =>
    typeof value === 'string' && NODE_ID_PATTERN.test(value)
      ? undefined
      : 'a node id: 1 to 64 letters, digits, _ or - (it is written into URLs)',
  redis: (value) => redisOptionProblem(value),
  sessionCookie: (value) =>
    typeof value === 'string' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value)
      ? undefined
      : "a cookie name (letters, digits and !#$%&'*+-.^_`|~)",
  sessionSecret: (value) =>
    isSecret(value) || (Array.isArray(value) && value.length > 0 && value.every(isSecret))
      ? undefined
      : 'a secret of at least 32 characters (openssl rand -base64 32), or a list of them (the first signs)',
  logger: (value) =>
    value !== null &&
    typeof value === 'object' &&
    LOGGER_METHODS.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
      ? undefined
      : 'an object with debug, info, warn and error methods',
  onError: (value) => (typeof value === 'function' ? undefined : 'a function (error, context) => void'),
  renderErrors: (value) =>
    value === 'page' || value === 'next'
      ? undefined
      : "'page' (Pagewire's error page) or 'next' (the app's error middleware)",
  context: (value) => (typeof value === 'function' ? undefined : 'a function (req) => ({ user: req.user })'),
  socketMiddleware: (value) =>
    Array.isArray(value) && value.every((item) => typeof item === 'function')
      ? undefined
      : 'a list of (req, res, next) middleware functions, such as [session, passport.session()]',
};

/** A value that would do, for options whose default does not show one. */
const EXAMPLES: Partial<Record<OptionName, string>> = {
  dev: 'true',
  allowedOrigins: "['https://example.com']",
  allowedHosts: "['example.com']",
  trustProxy: 'true',
  sessionSecret: 'process.env.SESSION_SECRET',
  redis: "'redis://127.0.0.1:6379'",
  staticExtensions: "[...DEFAULT_STATIC_EXTENSIONS, '.json']",
  frameAncestors: `["'none'"]`,
  csp: "'nonce'",
  idleTimeout: '10 * 60_000',
  workers: '0',
  forbiddenModules: "[...DEFAULT_FORBIDDEN_MODULES, 'fs']",
  env: "['NODE_ENV', 'DATABASE_URL']",
  dataDir: "'/var/lib/my-site'",
  node: "'web-1'",
  readDirs: "['/srv/shared/content']",
  logger: 'console',
  onError: '(error, context) => report(error, context)',
  renderErrors: "'next'",
  context: '(req) => ({ user: req.user })',
  socketMiddleware: '[session, passport.session()]',
};

/**
 * Throws a RangeError or TypeError that names the option, the value it got, and a value that
 * would do: the default (`fallback`) for numbers, an example otherwise.
 */
export function checkOption(name: OptionName, value: unknown, fallback: unknown): void {
  const must = CHECKS[name](value);
  if (!must) return;
  // Zero is never "off" here: say so to whoever expects it (Node's `server.timeout = 0` is off).
  const zero = value === 0 ? ' No option takes 0 to mean "off": a limit of 0 would refuse everything.' : '';
  const example = EXAMPLES[name] ?? show(fallback);
  const note = EXAMPLES[name] ? '' : ' (the default)';
  const fix = `For example: pagewire({ ${name}: ${example} })${note}`;
  // A secret is never printed, not even a wrong one: a log is read by more people than the key.
  const got = name === 'sessionSecret' ? 'something else (not shown: it is a secret)' : show(value);
  const message = `pagewire(): '${name}' must be ${must}, got ${got}.${zero} ${fix}`;
  throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

/**
 * Names an option that is not one: a typo (`idleTimout`) gets the closest name; a name this
 * version changed gets the new one and its unit.
 */
export function unknownOption(name: string, known: readonly string[]): string {
  const renamed = RENAMED[name];
  if (renamed) return `pagewire(): there is no option '${name}' any more: it is '${renamed}'`;
  const closest = known
    .map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  if (closest && closest.distance <= Math.max(2, Math.floor(name.length / 4))) {
    return `pagewire(): unknown option '${name}'. Did you mean '${closest.candidate}'?`;
  }
  return `pagewire(): unknown option '${name}'. The options are: dir, ${known.join(', ')}`;
}

/** Options renamed before the first release, for code written against the old names. */
const RENAMED: Readonly<Record<string, string>> = {
  disconnectGrace: 'disconnectTimeout (ms)',
  watchdog: 'watchdogTimeout (ms)',
  workerMemory: 'maxWorkerHeapBytes, in bytes: workerMemory was in MB',
  maxMessageSize: 'maxMessageBytes',
  maxBodySize: 'maxBodyBytes',
  maxResponseSize: 'maxResponseBytes',
};

/** Edits (insert, delete, replace, swap two neighbours) from `a` to `b`: `idelTimeout` is 1 from `idleTimeout`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (rows[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

function show(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, numericSeparator: true });
}

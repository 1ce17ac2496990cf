/**
 * The `redis` option, checked and made whole: which Redis, and the prefix of every key and
 * channel Pagewire uses there (so that sites, or several Pagewire mounts, can share one Redis).
 */

export interface RedisOption {
  /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url: string;
  /**
   * Put before every key and channel name. Sites (or Pagewire mounts) that share a Redis need
   * different ones; the machines of one site, the same one.
   * @default 'pagewire:'
   */
  prefix?: string;
}

export interface RedisTarget {
  url: string;
  prefix: string;
  /** The database the URL names (`/2`), 0 by default. */
  db: number;
  /** The URL without its user, password or query: what logs and errors show. */
  where: string;
}

export const DEFAULT_REDIS_PREFIX = 'pagewire:';

/** Why `value` is no `redis` option (what it must be), or nothing. */
export function redisOptionProblem(value: unknown): string | undefined {
  const must =
    "a Redis URL ('redis://127.0.0.1:6379', 'redis://:PASSWORD@host:6379/2', 'rediss://...' for TLS), or " +
    '{ url, prefix }';
  const option = typeof value === 'string' ? { url: value } : value;
  if (option === null || typeof option !== 'object') return must;
  const { url, prefix, ...others } = option as Record<string, unknown>;
  if (Object.keys(others).length > 0) return `${must}; ${Object.keys(others).join(', ')} is not one of them`;
  if (typeof url !== 'string' || !isRedisUrl(url)) return must;
  if (!/^\/?(\d+)?$/.test(new URL(url).pathname)) {
    return `${must}: after the port only a database number may follow (/2), not '${new URL(url).pathname}'`;
  }
  if (prefix !== undefined && !(typeof prefix === 'string' && prefix.length > 0 && prefix.length <= 64)) {
    return (
      `${must}, where prefix (--redis-prefix) starts every key and channel: 1 to 64 characters, ` +
      "ending in ':' by custom ('mysite:')"
    );
  }
  return undefined;
}

/** The checked option, whole. */
export function redisTarget(option: string | RedisOption): RedisTarget {
  const { url, prefix = DEFAULT_REDIS_PREFIX } = typeof option === 'string' ? { url: option } : option;
  const db = Number(new URL(url).pathname.slice(1) || 0);
  return { url, prefix, db, where: withoutPassword(url) };
}

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The URL as logs and errors show it: scheme, host, port and database, never a user or password
 * (in the URL's user part, or in its query: ioredis reads `?password=` too).
 */
function withoutPassword(text: string): string {
  const url = new URL(text);
  const db = url.pathname === '/' ? '' : url.pathname;
  return `${url.protocol}//${url.host}${db}`;
}

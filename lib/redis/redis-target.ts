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
  /** The URL without its password: what logs and errors show. */
  where: string;
}

export const DEFAULT_REDIS_PREFIX = 'pagewire:';

/** Why `value` is no `redis` option (what it must be), or nothing. */
export function redisOptionProblem(value: unknown): string | undefined {
  const must =
    "a Redis URL ('redis://127.0.0.1:6379'), or { url, prefix } where prefix is what every key and channel " +
    'starts with (at most 64 characters)';
  const option = typeof value === 'string' ? { url: value } : value;
  if (option === null || typeof option !== 'object') return must;
  const { url, prefix, ...others } = option as Record<string, unknown>;
  if (Object.keys(others).length > 0) return `${must}; ${Object.keys(others).join(', ')} is not one of them`;
  if (typeof url !== 'string' || !isRedisUrl(url)) return must;
  if (prefix !== undefined && !(typeof prefix === 'string' && prefix.length > 0 && prefix.length <= 64)) return must;
  return undefined;
}

/** The checked option, whole. */
export function redisTarget(option: string | RedisOption): RedisTarget {
  const { url, prefix = DEFAULT_REDIS_PREFIX } = typeof option === 'string' ? { url: option } : option;
  return { url, prefix, where: withoutPassword(url) };
}

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function withoutPassword(text: string): string {
  const url = new URL(text);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

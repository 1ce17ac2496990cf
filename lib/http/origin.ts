import type { ResolvedOptions } from '../options.js';

/**
 * Whether a request from `origin` may act on this server's pages: the page socket's upgrade,
 * and the beacon that closes pages. Browsers send an Origin with both; a request without one
 * is not from a page of another site. Allowed: the same host, or `allowedOrigins` when given.
 */
export function originAllowed(
  options: Pick<ResolvedOptions, 'allowedOrigins'>,
  origin: string | undefined,
  host: string | undefined,
): boolean {
  if (origin === undefined) return true;
  if (options.allowedOrigins.length > 0) return options.allowedOrigins.includes(origin);
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

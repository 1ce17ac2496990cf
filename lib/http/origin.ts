import type { ResolvedOptions } from '../options.js';

/**
 * Whether a request from `origin` may act on this server's pages: the page socket's upgrade,
 * and the beacon that closes pages. Browsers send an Origin with both; a request without one
 * is not from a page of another site. Allowed: the same host, or `allowedOrigins` when given.
 * `scheme`, when the server knows the public one (`requestScheme`): the same scheme too, so that
 * a plain-HTTP page of the host (another origin, which anyone on the path can write) does not
 * act on the pages of its HTTPS site.
 */
export function originAllowed(
  options: Pick<ResolvedOptions, 'allowedOrigins'>,
  origin: string | undefined,
  host: string | undefined,
  scheme?: 'http' | 'https',
): boolean {
  if (origin === undefined) return true;
  if (options.allowedOrigins.length > 0) return options.allowedOrigins.includes(origin);
  try {
    const url = new URL(origin);
    return url.host === host && (scheme === undefined || url.protocol === `${scheme}:`);
  } catch {
    return false;
  }
}

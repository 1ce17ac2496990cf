import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * The `csp` option: `'nonce'`, Pagewire's strict policy with a fresh nonce per render; a function
 * that writes the app's own policy around the nonce; `false`, no policy.
 */
export type ContentSecurityPolicy = false | 'nonce' | ((nonce: string) => string);

/** The options these headers read. */
export interface SecurityHeaderOptions {
  frameAncestors: readonly string[] | false;
  referrerPolicy: string | false;
  csp: ContentSecurityPolicy;
}

/**
 * Headers on every response of Pagewire's own (pages, static files, the client script, the
 * status endpoint, refusals): the browser never guesses a type (a `.txt` read as HTML), and a
 * link to another site does not hand it the page's path and query. Set only where absent: a
 * script's own header wins.
 */
export function setCommonHeaders(res: ServerResponse, options: SecurityHeaderOptions): void {
  if (!res.hasHeader('x-content-type-options')) res.setHeader('x-content-type-options', 'nosniff');
  if (options.referrerPolicy !== false && !res.hasHeader('referrer-policy')) {
    res.setHeader('referrer-policy', options.referrerPolicy);
  }
}

/** A nonce for one render: 128 random bits, base64 (what CSP's `'nonce-…'` takes). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The `Content-Security-Policy` of a rendered page, or `undefined` when none is due: the `csp`
 * option's policy (with this render's nonce) and `frame-ancestors` (clickjacking), in one header.
 * A page whose script set its own `Content-Security-Policy` keeps it as it is.
 */
export function pagePolicy(options: SecurityHeaderOptions, nonce: string | undefined): string | undefined {
  const parts: string[] = [];
  if (nonce !== undefined && options.csp === 'nonce') {
    parts.push(`script-src 'nonce-${nonce}' 'strict-dynamic'`, "object-src 'none'", "base-uri 'none'");
  } else if (nonce !== undefined && typeof options.csp === 'function') {
    parts.push(options.csp(nonce));
  }
  // The app's own policy may say who frames it; otherwise the option does.
  const framed = parts.some((part) => /(^|;)\s*frame-ancestors\b/i.test(part));
  if (options.frameAncestors !== false && !framed) parts.push(`frame-ancestors ${options.frameAncestors.join(' ')}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

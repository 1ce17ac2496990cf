import { randomBytes, randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { sign, unsign } from 'cookie-signature';
import { clusterSessionKey } from '../cluster/cluster-env.js';
import type { ResolvedOptions } from '../options.js';

/** The options the session cookie is made and read with. */
export type SessionOptions = Pick<ResolvedOptions, 'sessionCookie' | 'sessionSecret' | 'trustProxy'>;

/**
 * The browser session that owns pages: a random id in an HttpOnly cookie, signed with a key the
 * server holds. Page scripts can never read it, so a page id stolen from a page's HTML is useless
 * from another browser; and a cookie the server did not issue (planted by a page on another
 * port of the same host, before the victim's first visit) is not a session: it is ignored, and
 * the render replaces it.
 *
 * The sessions of every session cookie the request carries that the server issued, in the order
 * the browser sent them, without repeats. A browser sends several cookies of one name when they
 * were set for different paths (the longest path first): a planted one comes first, and is passed
 * over unless it verifies.
 */
export function sessionsOf(req: IncomingMessage, options: SessionOptions): string[] {
  const header = req.headers.cookie;
  if (!header) return [];
  const keys = keysOf(options.sessionSecret);
  const name = `${cookieNameOf(req, options)}=`;
  const sessions: string[] = [];
  let candidates = 0;
  for (const pair of header.split(';')) {
    const cookie = pair.trim();
    if (!cookie.startsWith(name)) continue;
    const value = cookie.slice(name.length).replace(/^"(.*)"$/, '$1');
    // Each one costs an HMAC: a header crammed with well-shaped forgeries is not all checked.
    if (!SIGNED_SESSION.test(value) || ++candidates > MAX_CANDIDATES) continue;
    const session = verify(value, keys);
    if (session !== undefined && !sessions.includes(session)) sessions.push(session);
  }
  return sessions;
}

/**
 * The session a render puts its page in: the *last* session cookie the server issued, or, with
 * none, a new one. The last, because Pagewire sets its cookie for `Path=/`, and a browser sends
 * the cookies of longer paths first: a cookie planted for the page's path (issued to the
 * attacker's own browser) comes before the browser's own, and may not be sent to the socket's
 * path at all, so a page put in it could never join. (A full session gets a new one too: see the
 * request handler.)
 */
export function renderSessionOf(req: IncomingMessage, options: SessionOptions): { session: string; issued: boolean } {
  const last = sessionsOf(req, options).at(-1);
  return last === undefined ? { session: randomId(), issued: true } : { session: last, issued: false };
}

/**
 * A `Set-Cookie` value for a new session, signed with the first key. Over HTTPS it is
 * `__Host-<name>`, `Secure`, `Path=/` and without `Domain`: a browser takes such a cookie only
 * from a secure page of this very host, and never with another path, so neither a plain-HTTP page
 * on another port nor a subdomain can plant one. Pagewire's cookie is `Path=/` whatever the mount
 * (one browser session per host), which the prefix asks for anyway. Written by hand (it runs on
 * every render for a new browser): the name is checked once, in the options, and the value is
 * base64 by construction.
 */
export function sessionCookie(req: IncomingMessage, options: SessionOptions, session: string): string {
  const value = sign(session, keysOf(options.sessionSecret)[0] as string);
  const secure = isHttps(req, options.trustProxy) ? '; Secure' : '';
  return `${cookieNameOf(req, options)}=${value}; Path=/; HttpOnly; SameSite=Lax${secure}`;
}

/** The cookie's name for this request: `__Host-` prefixed over HTTPS. */
export function cookieNameOf(req: IncomingMessage, options: SessionOptions): string {
  const name = options.sessionCookie;
  if (!isHttps(req, options.trustProxy) || name.startsWith(HOST_PREFIX)) return name;
  return `${HOST_PREFIX}${name}`;
}

/**
 * The request reached the server over TLS: its own socket's, or, with `trustProxy`, the
 * `X-Forwarded-Proto` of the proxy that ended TLS (its first value, as Express reads it).
 */
export function isHttps(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  if (!trustProxy) return false;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0];
  return first?.trim().toLowerCase() === 'https';
}

/** 128 random bits, URL-safe: for session and page ids. */
export function randomId(): string {
  // One system call per 256 ids instead of one per id: this runs on every render.
  if (poolOffset + ID_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const id = pool.toString('base64url', poolOffset, poolOffset + ID_BYTES);
  poolOffset += ID_BYTES;
  return id;
}

/** The session a signed value names, if one of the keys signed it. */
function verify(value: string, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    // cookie-signature compares in constant time.
    const session = unsign(value, key);
    if (session !== false) return session;
  }
  return undefined;
}

/** `sessionSecret` as keys, the first signing; by default the process's own key. */
function keysOf(secret: SessionOptions['sessionSecret']): readonly string[] {
  if (secret === undefined) return PROCESS_KEYS;
  return typeof secret === 'string' ? [secret] : secret;
}

/**
 * Made once per process, so that every Pagewire instance of the process (several mounts share the
 * cookie) accepts the others' sessions. A restart makes another: the old cookies are replaced at
 * the next render, and their pages were in memory anyway. The processes of Pagewire's cluster
 * share the one their primary made; other processes serving one site must share a `sessionSecret`.
 */
const PROCESS_KEYS: readonly string[] = Object.freeze([clusterSessionKey() ?? randomBytes(32).toString('base64')]);

const HOST_PREFIX = '__Host-';
/** At most this many cookies of the name are verified for one request. */
const MAX_CANDIDATES = 16;

const ID_BYTES = 16;
const pool = Buffer.alloc(ID_BYTES * 256);
let poolOffset = pool.length;

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
export const PAGE_ID = SESSION_ID;
/** A session id and its HMAC-SHA256 in base64 without padding, as cookie-signature writes it. */
const SIGNED_SESSION = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9+/]{43}$/;

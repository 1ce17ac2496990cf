import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies, serialize } from 'cookie';

/**
 * The browser session that owns pages: a random id in an HttpOnly cookie. Page scripts can
 * never read it, so a page id stolen from a page's HTML is useless from another browser.
 */
export function sessionOf(req: IncomingMessage, cookieName: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const value = parseCookies(header)[cookieName];
  return value && SESSION_ID.test(value) ? value : undefined;
}

/** A `Set-Cookie` value for a new session. `Secure` when the request came over TLS. */
export function sessionCookie(cookieName: string, session: string, secure: boolean): string {
  return serialize(cookieName, session, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}

/** 128 random bits, URL-safe: for session and page ids. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
export const PAGE_ID = SESSION_ID;

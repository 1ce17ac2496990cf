import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';

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

/**
 * A `Set-Cookie` value for a new session. `Secure` when the request came over TLS. Written by
 * hand (it runs on every render for a new browser): the name is checked once, in the options,
 * and the value is URL-safe base64 by construction.
 */
export function sessionCookie(cookieName: string, session: string, secure: boolean): string {
  return `${cookieName}=${session}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
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

const ID_BYTES = 16;
const pool = Buffer.alloc(ID_BYTES * 256);
let poolOffset = pool.length;

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
export const PAGE_ID = SESSION_ID;

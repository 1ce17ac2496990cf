import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';
import type { RequestData } from '../../runner/messages.js';
import { baseUrlOf } from './mount.js';

/** The request target split once: the literal path, and the query. */
export interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

/** Everything a script sees as `request`, as plain data. */
export function requestData(
  req: IncomingMessage,
  url: RequestTarget,
  params: Record<string, string>,
  body: unknown,
  context: object,
): RequestData {
  // No prototype, so that `?__proto__=x` cannot reach one here; the sandbox's copy
  // (runner/sandbox/codec.ts, withoutPrototypes) then drops `__proto__`, `constructor` and `prototype`.
  const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of url.searchParams) addField(query, name, value);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: req.method ?? 'GET',
    url: req.url ?? url.pathname,
    path: safeDecode(url.pathname),
    baseUrl: baseUrlOf(req),
    query,
    params,
    headers,
    cookies: parseCookies(req.headers.cookie ?? '') as Record<string, string>,
    body,
    context,
  };
}

/** Adds a query or form field; a name given twice holds its values in order. */
export function addField(target: Record<string, string | string[]>, name: string, value: string): void {
  const existing = target[name];
  if (existing === undefined) target[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else target[name] = [existing, value];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

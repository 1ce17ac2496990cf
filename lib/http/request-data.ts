import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';
import type { RequestData } from '../../runner/messages.js';

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
): RequestData {
  // No prototype: `?constructor=x` or `?__proto__=x` are fields like any other.
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
    query,
    params,
    headers,
    cookies: parseCookies(req.headers.cookie ?? '') as Record<string, string>,
    body,
  };
}

/** The reason a body could not be read, with the HTTP status to answer. */
export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** True when the request may carry a body that `readBody` should read. */
export function hasBody(req: IncomingMessage & { body?: unknown }): boolean {
  if (req.body !== undefined) return true;
  return req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads and parses the body: JSON, URL-encoded form fields, or text. A body already parsed by
 * the host application (Express's `express.json()`) is used as it is.
 */
export async function readBody(req: IncomingMessage & { body?: unknown }, limit: number): Promise<unknown> {
  if (req.body !== undefined) return req.body;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyError(413, `the request body is larger than ${limit} bytes (maxBodySize)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyError(413, `the request body is larger than ${limit} bytes (maxBodySize)`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new BodyError(400, `the request body is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    for (const [name, value] of new URLSearchParams(text)) addField(fields, name, value);
    return fields;
  }
  return text;
}

function addField(target: Record<string, string | string[]>, name: string, value: string): void {
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

import { createHash } from 'node:crypto';
import { bundleUrl, readBundle } from '../../runner/built-bundle.js';

/** The browser runtime as one classic script, and a short hash of it for cache busting. */
export interface ClientScript {
  body: string;
  version: string;
}

/** The client's classic-script bundle (an IIFE, so it loads synchronously at the top of a page). */
const BUNDLE = bundleUrl(
  import.meta.url,
  '../../dist/client/server-socket.iife.js',
  '../../client/server-socket.iife.js',
);

let cached: ClientScript | undefined;

/** The client script, read once per process. */
export function clientScript(): ClientScript {
  if (cached) return cached;
  const body = readBundle(BUNDLE, 'browser client');
  cached = { body, version: createHash('sha256').update(body).digest('base64url').slice(0, 12) };
  return cached;
}

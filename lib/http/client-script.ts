import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { transform } from 'sucrase';

/** The browser runtime as one classic script, and a short hash of it for cache busting. */
export interface ClientScript {
  body: string;
  version: string;
}

let cached: ClientScript | undefined;

/**
 * Compiles `client/server-socket.ts` once per process into a classic script (an IIFE), so it
 * can load synchronously at the top of a page. The build copies the source into `dist/client`,
 * next to where this module lands, so the same relative path works from source and from `dist/`.
 */
export function clientScript(): ClientScript {
  if (cached) return cached;
  const source = readFileSync(new URL('../../client/server-socket.ts', import.meta.url), 'utf8');
  const code = transform(source, { transforms: ['typescript', 'imports'], disableESTransforms: true }).code;
  const body = `(function () {\nvar exports = {};\n${code}\n})();\n`;
  cached = { body, version: createHash('sha256').update(body).digest('base64url').slice(0, 12) };
  return cached;
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The browser runtime as one classic script, and a short hash of it for cache busting. */
export interface ClientScript {
  body: string;
  version: string;
}

/**
 * The client's classic-script bundle (an IIFE, so it loads synchronously at the top of a page),
 * built by `npm run build` (tools/bundle.mjs) into `dist/client/`. From `dist/` that is two
 * folders up from this module; run from source (a `.ts` module, under tsx) this module reads the
 * same bundle in the package's `dist/`.
 */
const BUNDLE = new URL(
  import.meta.url.endsWith('.ts') ? '../../dist/client/server-socket.iife.js' : '../../client/server-socket.iife.js',
  import.meta.url,
);

let cached: ClientScript | undefined;

/** The client script, read once per process. */
export function clientScript(): ClientScript {
  if (cached) return cached;
  let body: string;
  try {
    body = readFileSync(BUNDLE, 'utf8');
  } catch (error) {
    throw new Error(
      `Pagewire's browser client is not built: cannot read ${fileURLToPath(BUNDLE)} ` +
        `(${(error as NodeJS.ErrnoException).code ?? String(error)}). Run \`npm run build\` in the pagewire folder.`,
    );
  }
  cached = { body, version: createHash('sha256').update(body).digest('base64url').slice(0, 12) };
  return cached;
}

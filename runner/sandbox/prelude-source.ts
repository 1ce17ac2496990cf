import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The sandbox prelude's bundle, built by `npm run build` (tools/bundle.mjs) into
 * `dist/runner/sandbox/prelude.cjs`. From `dist/` it sits next to this module; run from source
 * (a `.ts` module, under tsx) this module reads the same bundle in the package's `dist/`.
 */
const BUNDLE = new URL(
  import.meta.url.endsWith('.ts') ? '../../dist/runner/sandbox/prelude.cjs' : './prelude.cjs',
  import.meta.url,
);

let cached: string | undefined;

/** The sandbox prelude as one CommonJS script, read once per process (once per worker thread). */
export function preludeSource(): string {
  if (cached === undefined) {
    try {
      cached = readFileSync(BUNDLE, 'utf8');
    } catch (error) {
      throw new Error(
        `Pagewire's sandbox prelude is not built: cannot read ${fileURLToPath(BUNDLE)} ` +
          `(${(error as NodeJS.ErrnoException).code ?? String(error)}). Run \`npm run build\` in the pagewire folder.`,
      );
    }
  }
  return cached;
}

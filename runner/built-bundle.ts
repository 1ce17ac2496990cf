import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where a bundle that `npm run build` writes (tools/bundle.mjs) lies for the module at `base`:
 * `fromDist` beside the compiled module in `dist/`, or, run from source (a `.ts` module, under
 * tsx), `fromSource`, the same bundle in the package's `dist/`.
 */
export function bundleUrl(base: string, fromSource: string, fromDist: string): URL {
  return new URL(base.endsWith('.ts') ? fromSource : fromDist, base);
}

/** Reads a built bundle; a missing one is an error that says how to fix it. */
export function readBundle(file: URL, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(
      `Pagewire's ${what} is not built: cannot read ${fileURLToPath(file)} (${why}). ` +
        'Run `npm run build` in the pagewire folder.',
    );
  }
}

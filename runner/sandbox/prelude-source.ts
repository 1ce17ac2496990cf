import { readFileSync } from 'node:fs';
import { transform } from 'sucrase';

let cached: string | undefined;

/**
 * The sandbox prelude as JavaScript, compiled once per process. The build copies
 * `sandbox/prelude.ts` next to this module, so the same path works from source and from `dist/`.
 */
export function preludeSource(): string {
  if (cached === undefined) {
    const source = readFileSync(new URL('./prelude.ts', import.meta.url), 'utf8');
    cached = transform(source, { transforms: ['typescript'], disableESTransforms: true }).code;
  }
  return cached;
}

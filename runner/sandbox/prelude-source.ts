import { bundleUrl, readBundle } from '../built-bundle.js';

/** The sandbox prelude's bundle: `dist/runner/sandbox/prelude.cjs`. */
const BUNDLE = bundleUrl(import.meta.url, '../../dist/runner/sandbox/prelude.cjs', './prelude.cjs');

let cached: string | undefined;

/** The sandbox prelude as one CommonJS script, read once per process (once per worker thread). */
export function preludeSource(): string {
  cached ??= readBundle(BUNDLE, 'sandbox prelude');
  return cached;
}

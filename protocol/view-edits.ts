/**
 * Applying a view's edits (`DomOp` `view` with `edits`, protocol/wire.ts) to the HTML string the
 * browser last received for that view, and the hash that proves the result is the server's. Shared
 * by the client (which applies) and the prelude (which hashes what it diffed): kept tiny, as it is
 * in every browser's bundle.
 */
import type { ViewEdit } from './wire.js';

/**
 * The base with `edits` applied, what is left of the base after the last step kept; or undefined
 * when a step reads past the base's end (a base that is not the one the server diffed against).
 */
export function applyViewEdits(base: string, edits: readonly ViewEdit[]): string | undefined {
  let out = '';
  let at = 0;
  for (const edit of edits) {
    if (typeof edit === 'string') out += edit;
    else if (!Number.isInteger(edit) || at + Math.abs(edit) > base.length) return undefined;
    else {
      if (edit > 0) out += base.slice(at, at + edit);
      at += Math.abs(edit);
    }
  }
  return out + base.slice(at);
}

/** FNV-1a over the UTF-16 code units: cheap, and a base that differs is all but sure to show. */
export function textHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

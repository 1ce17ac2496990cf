/**
 * A view's updates (`page.view`, the `view` DomOp of protocol/wire.ts): the HTML string each view
 * last received, kept per page as the base its next edits apply to. The string, not the DOM: the
 * DOM also changes by morphs, the person's input, `pw-ignore` and hooks, and its serialization is
 * not the server's string. Pushes arrive exactly once and in order across reconnects, so the base
 * here is the one the server diffed against; one that is not (no base, or a result whose hash is
 * not the server's) is never shown: the page keeps the view as it is and asks for it whole.
 */
import { applyViewEdits, textHash } from '../protocol/view-edits.js';
import type { DomOp } from '../protocol/wire.js';

export type ViewOp = Extract<DomOp, { op: 'view' }>;

export class ViewBases {
  /** By view id; null: its whole HTML was asked for and has not come yet. */
  readonly #bases = new Map<string, string | null>();

  /** `askWhole(id)`: asks the server for the view's whole HTML (VIEW_RESEND_EVENT). */
  constructor(readonly askWhole: (id: string) => void) {}

  /** The view's new inner HTML; undefined when its edits did not apply (the view stays as it is). */
  next(op: ViewOp, dev: boolean): string | undefined {
    if ('html' in op) {
      this.#bases.set(op.id, op.html);
      return op.html;
    }
    const base = this.#bases.get(op.id);
    // Edits the server made before it heard the page ask: the whole view follows them.
    if (base === null) return undefined;
    const next = base === undefined ? undefined : applyViewEdits(base, op.edits);
    if (next !== undefined && textHash(next) === op.hash) {
      this.#bases.set(op.id, next);
      return next;
    }
    this.#bases.set(op.id, null);
    if (dev) {
      const why = base === undefined ? 'the page holds no HTML for it' : "its result is not the server's";
      console.warn(`[pagewire] view #${op.id}: an update did not apply (${why}); the page asked for the whole view`);
    }
    this.askWhole(op.id);
    return undefined;
  }
}

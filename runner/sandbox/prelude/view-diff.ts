/**
 * What a view's update sends (`page.view`, dom-updates.ts): the edits from the HTML string the
 * browser last received for the view to the new one, when they are smaller than the new HTML;
 * the whole new HTML when not, or when the browser holds no base yet.
 *
 * The diff is diff-match-patch's (Myers' algorithm; diff-match-patch-es, its TypeScript port)
 * over tokens rather than characters: tags, words and runs of white space, each mapped to one
 * character, so that its work follows the number of tokens. A run of replaced tokens up to
 * MAX_REFINED characters is then diffed by characters, so that a class added to a tag costs the
 * class. Its work grows with the product of the changed lengths (a reordered list of a few
 * hundred items took fast-diff, which has no time bound, a quarter of a second): past DIFF_MS, in
 * the sandbox's task, what is left of the diff is a plain deletion and insertion, still correct,
 * and the whole view then is usually the smaller.
 */
import { DIFF_DELETE, DIFF_EQUAL, DIFF_INSERT, type Diff, diffMain } from 'diff-match-patch-es';
import { textHash } from '../../../protocol/view-edits.js';
import type { DomOp, ViewEdit } from '../../../protocol/wire.js';

const TOKENS = /<[^>]*>?|[^<\s]+|\s+/g;

/** The time one view's diff may take, in ms. */
const DIFF_MS = 20;
/** Each distinct changed token is one UTF-16 code unit: past this many, the view goes whole. */
const MAX_CHANGED_TOKENS = 20_000;
/** The longest replaced run (deleted and inserted characters) diffed again by characters. */
const MAX_REFINED = 2000;

/** The op that updates view `id` from `base` (undefined: the browser has none) to `next`. */
export function viewUpdate(id: string, base: string | undefined, next: string): DomOp {
  const whole: DomOp = { op: 'view', id, html: next };
  const edits = base === undefined ? undefined : viewEdits(base, next);
  if (!edits) return whole;
  const diffed: DomOp = { op: 'view', id, edits, hash: textHash(next) };
  return JSON.stringify(diffed).length < JSON.stringify(whole).length ? diffed : whole;
}

/** The edits that turn `base` into `next` (protocol/view-edits.ts), or undefined when too many tokens changed. */
export function viewEdits(base: string, next: string): ViewEdit[] | undefined {
  const a = base.match(TOKENS) ?? [];
  const b = next.match(TOKENS) ?? [];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  if (endA - start + (endB - start) > MAX_CHANGED_TOKENS) return undefined;
  const codes = new Map<string, string>();
  const encode = (tokens: string[]) =>
    tokens
      .map((token) => {
        const code = codes.get(token) ?? String.fromCharCode(codes.size);
        codes.set(token, code);
        return code;
      })
      .join('');
  const steps: Diff[] = [[DIFF_EQUAL, a.slice(0, start).join('')]];
  let inA = start;
  let inB = start;
  const deadline = Date.now() + DIFF_MS;
  const diff = (x: string, y: string) => diffMain(x, y, undefined, false, deadline);
  for (const [kind, text] of diff(encode(a.slice(start, endA)), encode(b.slice(start, endB)))) {
    const n = text.length;
    if (kind === DIFF_INSERT) steps.push([kind, b.slice(inB, inB + n).join('')]);
    else steps.push([kind, a.slice(inA, inA + n).join('')]);
    if (kind !== DIFF_INSERT) inA += n;
    if (kind !== DIFF_DELETE) inB += n;
  }
  const edits = new EditList();
  for (let i = 0; i < steps.length; i++) {
    const [kind, text] = steps[i] as Diff;
    const next = steps[i + 1];
    let parts: Diff[] = [[kind, text]];
    // A replaced tag or word: its characters' diff (a class added to a tag costs the class, not the tag).
    const refine = kind === DIFF_DELETE && next?.[0] === DIFF_INSERT && text.length + next[1].length <= MAX_REFINED;
    if (refine) {
      parts = diff(text, next[1]);
      i++;
    }
    for (const [k, t] of parts) edits.add(k === DIFF_INSERT ? t : k === DIFF_DELETE ? -t.length : t.length);
  }
  return edits.done();
}

/** Edits with neighbours of a kind merged, and without the last copy (what follows the last step is kept). */
class EditList {
  readonly #edits: ViewEdit[] = [];

  add(edit: ViewEdit): void {
    if (edit === 0 || edit === '') return;
    const last = this.#edits.length - 1;
    const previous = this.#edits[last];
    if (typeof previous === 'string' && typeof edit === 'string') this.#edits[last] = previous + edit;
    else if (typeof previous === 'number' && typeof edit === 'number' && previous < 0 === edit < 0) {
      this.#edits[last] = previous + edit;
    } else this.#edits.push(edit);
  }

  done(): ViewEdit[] {
    const last = this.#edits[this.#edits.length - 1];
    if (typeof last === 'number' && last > 0) this.#edits.pop();
    return this.#edits;
  }
}

/**
 * What a view's update sends (`page.view`, dom-updates.ts): the edits from the HTML string the
 * browser last received for the view to the new one, when they are smaller than the new HTML;
 * the whole new HTML when not, or when the browser holds no base yet.
 *
 * The diff is fast-diff's (Myers' algorithm, as in diff-match-patch) over tokens rather than
 * characters: tags, words and runs of white space, each mapped to one character. A change then
 * costs at most a tag or a word, and the diff's work (which grows with the product of the changed
 * lengths and cannot be interrupted) stays bounded: past MAX_CHANGED_TOKENS changed tokens, the
 * view goes whole. A run of replaced tokens up to MAX_REFINED characters is then diffed by
 * characters, so that a class added to a tag costs the class.
 */
import diff from 'fast-diff';
import { textHash } from '../../../protocol/view-edits.js';
import type { DomOp, ViewEdit } from '../../../protocol/wire.js';

const TOKENS = /<[^>]*>?|[^<\s]+|\s+/g;

/** Under the surrogates (0xd800), which fast-diff keeps in pairs: each token is one plain character. */
const MAX_CHANGED_TOKENS = 10_000;
/**
 * Half an emoji (a string cut in the middle of one): fast-diff 1.3.0 recurses without end on it
 * (`diff('😀x😀', '😀x\ud83d \ude00')`), so such a run is sent as it is. Tokens are never split.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
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
  const steps: diff.Diff[] = [[diff.EQUAL, a.slice(0, start).join('')]];
  let inA = start;
  let inB = start;
  for (const [kind, text] of diff(encode(a.slice(start, endA)), encode(b.slice(start, endB)))) {
    const n = text.length;
    if (kind === diff.INSERT) steps.push([kind, b.slice(inB, inB + n).join('')]);
    else steps.push([kind, a.slice(inA, inA + n).join('')]);
    if (kind !== diff.INSERT) inA += n;
    if (kind !== diff.DELETE) inB += n;
  }
  const edits = new EditList();
  for (let i = 0; i < steps.length; i++) {
    const [kind, text] = steps[i] as diff.Diff;
    const next = steps[i + 1];
    let parts: diff.Diff[] = [[kind, text]];
    // A replaced tag or word: its characters' diff (a class added to a tag costs the class, not the tag).
    const refine = kind === diff.DELETE && next?.[0] === diff.INSERT && text.length + next[1].length <= MAX_REFINED;
    if (refine && !LONE_SURROGATE.test(text) && !LONE_SURROGATE.test(next[1])) {
      parts = diff(text, next[1]);
      i++;
    }
    for (const [k, t] of parts) edits.add(k === diff.INSERT ? t : k === diff.DELETE ? -t.length : t.length);
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

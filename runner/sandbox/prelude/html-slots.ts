/**
 * What html-tokenizer.ts finds for a template, and html.ts writes by: a slot per interpolation
 * (where it lands), the URL attributes to check, and whether the template ends in text.
 */

/** A URL attribute (or a `name`/`id`) that interpolations write to: its static text (decoded) around them. */
export interface UrlValue {
  readonly element: string;
  readonly name: string;
  /** The static text before, between and after its interpolations, as the browser reads it. */
  readonly parts: string[];
  /** The indices of its interpolations in the template. */
  readonly slots: number[];
  /** A `name` or `id`, not a URL: checked against the names the client defines (html-urls.ts). */
  readonly naming: boolean;
}

export type Slot =
  | { readonly kind: 'text' }
  | { readonly kind: 'rcdata'; readonly element: string }
  | { readonly kind: 'attribute'; readonly element: string; readonly name: string }
  | { readonly kind: 'url'; readonly element: string; readonly name: string }
  /** In a `srcdoc` value: `inner` is where the value lands in the frame's document (html-tokenizer.ts). */
  | { readonly kind: 'srcdoc'; readonly element: string; readonly inner: Slot }
  | {
      readonly kind: 'code';
      readonly where: string;
      readonly language: 'script' | 'style';
      readonly attribute: boolean;
    }
  | { readonly kind: 'comment' }
  | { readonly kind: 'tag'; readonly element: string }
  /** Refused whatever the value, but for `raw()` where `rawPasses`: `where` it is, `fix` what to write. */
  | { readonly kind: 'refused'; readonly where: string; readonly fix: string; readonly rawPasses: boolean };

export interface TemplatePlan {
  readonly slots: readonly Slot[];
  readonly urls: readonly UrlValue[];
  /** Whether the template ends in text, outside any tag, comment, raw-text element or `<svg>`. */
  readonly whole: boolean;
}

/** Every slot has every field, in one order: one object shape, so renders read `kind` fast. */
export function slot<T extends Slot>(fields: T): T {
  const empty = {
    kind: '',
    element: '',
    name: '',
    where: '',
    fix: '',
    rawPasses: false,
    language: '',
    attribute: false,
    inner: undefined,
  };
  return { ...empty, ...fields };
}

export function refused(where: string, fix: string, rawPasses: boolean): Slot {
  return slot({ kind: 'refused', where, fix, rawPasses });
}

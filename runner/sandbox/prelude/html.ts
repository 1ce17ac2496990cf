/**
 * `html`, `raw` and `json`: HTML templates that escape each interpolation for the place it lands
 * (html-tokenizer.ts reads where, once per template), and refuse the places where no escaping
 * makes a value safe: a URL attribute given a script's scheme, an unquoted attribute, a tag's
 * name, script and event handlers without `json()`.
 */
import type { Slot, TemplatePlan, UrlValue } from './html-slots.js';
import { analyse } from './html-tokenizer.js';
import { CLIENT_NAMES, decodeAttribute, refusedUrl, SAFE_SCHEMES, valueSetsHost } from './html-urls.js';

/** HTML written by `html`: `whole` when it ends in text, outside any tag (html-tokenizer.ts). */
export class HtmlString {
  readonly value: string;
  readonly whole: boolean;
  constructor(value: string, whole = true) {
    this.value = value;
    this.whole = whole;
  }
  toString(): string {
    return this.value;
  }
}

/** Text the script vouches for: written as is wherever it lands (`raw()`). */
export class RawHtml extends HtmlString {}

/** JSON that no `<script>`, `<style>` or attribute can be closed by (`json()`). */
export class JsonText {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** In a comment, `-` and `!` too (`--!>` and `-->` end it), and never nothing (html-tokenizer.ts). */
function escapeComment(text: string): string {
  return escapeHtml(text).replace(/-/g, '&#45;').replace(/!/g, '&#33;') || ' ';
}

const JSON_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  "'": '\\u0027',
  '`': '\\u0060',
  $: '\\u0024',
  '/': '\\/',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

export function json(value: unknown): JsonText {
  const text = JSON.stringify(value) ?? 'null';
  return new JsonText(text.replace(/[<>&'`$/\u2028\u2029]/g, (c) => JSON_ESCAPES[c] as string));
}

export function raw(text: unknown): HtmlString {
  return new RawHtml(text === null || text === undefined ? '' : String(text));
}

const plans = new WeakMap<object, TemplatePlan>();
const TEXT: Slot = { kind: 'text' };

/**
 * The template's plan, read once: a call site's strings are the same object at every call, and
 * frozen. An array passed by hand (`html(parts, …)`) may change between calls: read every time.
 */
export function planOf(strings: TemplateStringsArray): TemplatePlan {
  if (!Object.isFrozen(strings) || !Array.isArray(strings.raw) || !Object.isFrozen(strings.raw)) {
    return analyse(strings);
  }
  let plan = plans.get(strings);
  if (plan === undefined) {
    plan = analyse(strings);
    plans.set(strings, plan);
  }
  return plan;
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): HtmlString {
  const plan = planOf(strings);
  let out = strings[0] ?? '';
  // What each URL slot's value reads as: taken from the very string written (a value is
  // stringified once), so a toString that answers differently the second time cannot pass.
  // A template whose URLs are all settled by their static start (`/people/${id}`) checks none.
  if (plan.urls.length === 0) {
    for (let i = 0; i < values.length; i++) out += write(values[i], plan.slots[i] ?? TEXT) + (strings[i + 1] ?? '');
    return new HtmlString(out, plan.whole);
  }
  const reads: (UrlRead | undefined)[] = new Array(values.length).fill(undefined);
  for (let i = 0; i < values.length; i++) {
    const slot = plan.slots[i] ?? TEXT;
    let depth = 0;
    let landing = slot;
    for (; landing.kind === 'srcdoc'; depth++) landing = landing.inner;
    if (landing.kind === 'url') {
      const read: UrlRead = { text: '', plain: false };
      reads[i] = read;
      out += writeUrl(values[i], read, depth) + (strings[i + 1] ?? '');
    } else out += write(values[i], slot) + (strings[i + 1] ?? '');
  }
  for (const url of plan.urls) checkUrl(url, reads);
  return new HtmlString(out, plan.whole);
}

/** A URL slot's value as the browser reads it, and whether any of it is not `raw()`. */
interface UrlRead {
  text: string;
  plain: boolean;
}

/**
 * HTML's boolean attributes, written between attributes as they are (`${done ? 'checked' : ''}`).
 * None runs code; `async`, `defer` and `nomodule` are left out, as they change how a script loads.
 */
const BOOLEAN_ATTRIBUTES: ReadonlySet<string> = new Set([
  'allowfullscreen',
  'autofocus',
  'autoplay',
  'checked',
  'controls',
  'default',
  'disabled',
  'formnovalidate',
  'hidden',
  'inert',
  'ismap',
  'itemscope',
  'loop',
  'multiple',
  'muted',
  'novalidate',
  'open',
  'playsinline',
  'readonly',
  'required',
  'reversed',
  'selected',
]);
const BOOLEAN_NAMES_HINT = 'checked, disabled, selected, required, hidden...';

const isNothing = (value: unknown) => value === null || value === undefined || value === false;
const textOf = (value: unknown) =>
  value instanceof HtmlString || value instanceof JsonText ? value.value : String(value);

function write(value: unknown, slot: Slot): string {
  // The common case first: a string or a number in text or in a quoted attribute.
  const kind = slot.kind;
  if ((typeof value === 'string' || typeof value === 'number') && (kind === 'text' || kind === 'attribute')) {
    return escapeHtml(String(value));
  }
  if (kind === 'srcdoc') return writeSrcdoc(value, slot.inner);
  if (Array.isArray(value)) {
    const joined = value.map((item) => write(item, slot)).join('');
    // Never nothing in a comment, an empty array included: `<!--` + `>` would end it.
    return joined === '' && kind === 'comment' ? ' ' : joined;
  }
  if (slot.kind === 'refused') {
    if (slot.rawPasses && value instanceof RawHtml) return value.value;
    const raw = slot.rawPasses ? ' (or raw() for code you wrote)' : '; raw() does not pass here either';
    throw refusal(`The value interpolated ${slot.where} is refused: ${slot.fix}${raw}.`);
  }
  if (isNothing(value)) return slot.kind === 'comment' ? ' ' : '';
  if (value instanceof RawHtml) return slot.kind === 'comment' ? value.value || ' ' : value.value;
  switch (slot.kind) {
    case 'text':
      if (!(value instanceof HtmlString)) return escapeHtml(textOf(value));
      if (value.whole) return value.value;
      throw refusal(
        'An html value that ends inside a tag, a comment or a raw-text element is refused in text: each ' +
          'html template is read on its own, and must close what it opens. Write the tag in one template.',
      );
    case 'code':
      if (value instanceof JsonText) return slot.attribute ? escapeHtml(value.value) : value.value;
      throw refusal(
        `A value interpolated ${slot.where} is ${slot.language === 'style' ? 'CSS' : 'JavaScript'}: only ` +
          'json(value) (or raw() for code you wrote) may be written there; json() writes a JSON value that ' +
          `cannot end the ${slot.attribute ? 'attribute' : 'element'} nor a string in it.`,
      );
    case 'tag':
      if (value === '') return '';
      // `${todo.done ? 'checked' : ''}`: a name from a fixed list, with no value, cannot carry script.
      if (typeof value === 'string' && BOOLEAN_ATTRIBUTES.has(value)) return ` ${value}`;
      throw refusal(
        `A value interpolated between the attributes of <${slot.element}> is refused: write the attribute ` +
          `in the template (name="\${value}"); only '' and a boolean attribute's name (${BOOLEAN_NAMES_HINT}) ` +
          'are written there, or raw() for attributes you built and checked yourself.',
      );
    case 'comment':
      return escapeComment(textOf(value));
    default:
      // Text inside <textarea>, <title>; quoted attribute values (markup there is text too).
      return escapeHtml(textOf(value));
  }
}

/**
 * A document in an attribute: the value is written for the place it lands in that document
 * (`inner`), then escaped for the attribute; `raw()` is written as is into the attribute.
 */
function writeSrcdoc(value: unknown, inner: Slot): string {
  if (value instanceof RawHtml) return value.value;
  if (Array.isArray(value)) {
    const joined = value.map((item) => writeSrcdoc(item, inner)).join('');
    return joined === '' && inner.kind === 'comment' ? ' ' : joined;
  }
  return escapeHtml(write(value, inner));
}

/**
 * Writes a value into a URL attribute, of a `srcdoc` document's at `depth` (escaped once more for
 * each), keeping in `read` the text the browser reads of it.
 */
function writeUrl(value: unknown, read: UrlRead, depth: number): string {
  if (Array.isArray(value)) return value.map((item) => writeUrl(item, read, depth)).join('');
  if (isNothing(value)) return '';
  if (value instanceof RawHtml) {
    let text = value.value;
    for (let n = 0; n <= depth; n++) text = decodeAttribute(text).text;
    read.text += text;
    return value.value;
  }
  read.plain = true;
  const text = textOf(value);
  read.text += text;
  let written = escapeHtml(text);
  for (let n = 0; n < depth; n++) written = escapeHtml(written);
  return written;
}

/** A URL attribute with at least one interpolation that is not `raw()`: its whole value is checked. */
function checkUrl(url: UrlValue, reads: readonly (UrlRead | undefined)[]): void {
  if (!url.slots.some((index) => reads[index]?.plain)) return;
  let value = url.parts[0] ?? '';
  url.slots.forEach((index, n) => {
    value += (reads[index]?.text ?? '') + (url.parts[n + 1] ?? '');
  });
  if (url.naming) {
    if (!CLIENT_NAMES.has(value)) return;
    throw refusal(
      `The value interpolated in the ${url.name} attribute of <${url.element}> makes it "${value}", which ` +
        `would replace document.${value}, the Pagewire client's, for the page's own code. Choose another name.`,
    );
  }
  const prefix = url.parts[0] ?? '';
  if (valueSetsHost(prefix, value.slice(prefix.length))) {
    throw refusal(
      `The URL interpolated in the ${url.name} attribute of <${url.element}> starts with "/" and its value with ` +
        '"/" or "\\": the browser reads "//host", another site. Check the value (no leading "/" or "\\"), ' +
        'or write the whole URL as a value.',
    );
  }
  const refused = refusedUrl(url.element, url.name, value);
  if (!refused) return;
  const allowed = SAFE_SCHEMES.map((scheme) => `${scheme}:`).join(', ');
  throw refusal(
    `The URL interpolated in the ${url.name} attribute of <${url.element}> has the scheme "${refused.scheme}:", ` +
      `which is refused (allowed: relative URLs, ${allowed}, and data: images in <img> and <source>). ` +
      'Check the URL before writing it (new URL(value).protocol), or wrap a URL you built and trust in raw().',
  );
}

function refusal(message: string): Error {
  const error = new Error(`html: ${message}`);
  error.name = 'HtmlContextError';
  return error;
}

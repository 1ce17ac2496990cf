/**
 * Where each interpolation of an `html` template lands, read once from its static parts: the
 * HTML standard's tokenizer (the states of §13.2.5 that decide contexts), run over the template's
 * text with each interpolation a point between two characters. html.ts keeps the result per
 * template (`TemplateStringsArray` identity), so a render never pays for it again.
 *
 * Each template is read on its own, as if it started in text: an `html` value written into
 * another one's text must end in text too (`whole`), or the outer template refuses it.
 */
import { type CodeReader, CssReader, codeFix, JsReader, POSITIONS } from './html-code.js';
import { refused, type Slot, slot, type TemplatePlan, type UrlValue } from './html-slots.js';
import { decodeAttribute, isNamingAttribute, isUrlAttribute, prefixSettlesSafe } from './html-urls.js';

type State =
  | 'data'
  | 'tagOpen'
  | 'endTagOpen'
  | 'tagName'
  | 'beforeAttrName'
  | 'attrName'
  | 'afterAttrName'
  | 'beforeAttrValue'
  | 'attrValue'
  | 'unquoted'
  | 'afterAttrValue'
  | 'selfClosing'
  | 'markupOpen'
  | 'commentStart'
  | 'commentStartDash'
  | 'comment'
  | 'commentEndDash'
  | 'commentEnd'
  | 'commentEndBang'
  | 'bogusComment'
  | 'rawText';

type RawKind = 'rcdata' | 'script' | 'style' | 'plaintext';

/** Elements whose content is text up to their end tag: RCDATA (references decoded) and RAWTEXT. */
const RCDATA = new Set(['textarea', 'title']);
const RAWTEXT = new Set(['xmp', 'iframe', 'noembed', 'noframes', 'noscript']);
const isSpace = (c: string) => c === ' ' || c === '\n' || c === '\t' || c === '\f' || c === '\r';
const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
/** The comment states, by state then character (`''`: any other): `-->`, `--!>`, `<!-->` end one. */
const COMMENT_STEPS: Partial<Record<State, Readonly<Record<string, State>>>> = {
  commentStart: { '-': 'commentStartDash', '>': 'data', '': 'comment' },
  commentStartDash: { '-': 'commentEnd', '>': 'data', '': 'comment' },
  comment: { '-': 'commentEndDash', '': 'comment' },
  commentEndDash: { '-': 'commentEnd', '': 'comment' },
  commentEnd: { '>': 'data', '!': 'commentEndBang', '-': 'commentEnd', '': 'comment' },
  commentEndBang: { '-': 'commentEndDash', '>': 'data', '': 'comment' },
};
/** What may be the start of an end tag (or of `<!--` in a script) when an interpolation comes. */
const PARTIAL_CLOSE = /<\/?[a-z]*$|<!-?$/;
/** A character reference an interpolation could complete (`&#10` + `6…` is `j`). */
const OPEN_REFERENCE = /&[#a-zA-Z0-9]*$/;

export function analyse(strings: readonly string[]): TemplatePlan {
  const reader = new TemplateReader();
  const slots: Slot[] = [];
  strings.forEach((text, index) => {
    if (index > 0) slots.push(reader.slot(index - 1));
    for (const c of text ?? '') reader.step(c);
  });
  return { slots, urls: reader.urls, whole: reader.whole() };
}

class TemplateReader {
  /** Shared with the readers of `srcdoc` documents inside: their URL attributes are checked too. */
  readonly urls: UrlValue[];
  #state: State = 'data';
  #tag = '';
  #endTag = false;
  #attribute = '';
  #quote = '';
  /** The current attribute value's raw text since its start or its last interpolation. */
  #chunk = '';
  #url: UrlValue | undefined;
  #handler: JsReader | undefined;
  #dashes = 0;
  /** Inside `<svg>` or `<math>`: no RCDATA or RAWTEXT there (`<title>` holds markup). */
  #foreign = 0;
  /** Raw-text content: its element, its end tag, the last characters read, the code reader. */
  #kind: RawKind = 'rcdata';
  #rawEnd = /$^/;
  #tail = '';
  #scriptEscape = 0;
  #code: CodeReader | undefined;
  /**
   * `<script>`/`<style>` in `<svg>`/`<math>` is foreign content, parsed as markup: references are
   * decoded and `<` opens tags before the code is read. Values are refused once the static text
   * has `&` or `<` (`&quot;${json(v)}&quot;` would put the value inside a string).
   */
  #foreignCode = false;
  #markupInCode = false;
  /** A `srcdoc` value's document, read as the frame's parser will: its decoded static text. */
  #srcdoc: TemplateReader | undefined;

  constructor(urls: UrlValue[] = []) {
    this.urls = urls;
  }

  whole(): boolean {
    return this.#state === 'data' && this.#foreign === 0;
  }

  step(c: string): void {
    switch (this.#state) {
      case 'data':
        if (c === '<') this.#state = 'tagOpen';
        return;
      case 'tagOpen':
        if (isLetter(c)) return this.#startTag(c, false);
        if (c === '!') return this.#to('markupOpen', 0);
        if (c === '/') return this.#to('endTagOpen', 0);
        this.#state = c === '?' ? 'bogusComment' : 'data';
        return this.step(c);
      case 'endTagOpen':
        if (isLetter(c)) return this.#startTag(c, true);
        this.#state = c === '>' ? 'data' : 'bogusComment';
        return;
      case 'tagName':
        if (isSpace(c)) this.#state = 'beforeAttrName';
        else if (c === '/') this.#state = 'selfClosing';
        else if (c === '>') this.#emitTag(false);
        else this.#tag += c.toLowerCase();
        return;
      case 'beforeAttrName':
        if (isSpace(c)) return;
        if (c === '/' || c === '>') {
          this.#state = 'afterAttrName';
          return this.step(c);
        }
        return this.#startAttribute(c);
      case 'attrName':
        if (isSpace(c) || c === '/' || c === '>') {
          this.#state = 'afterAttrName';
          return this.step(c);
        }
        if (c === '=') this.#state = 'beforeAttrValue';
        else this.#attribute += c.toLowerCase();
        return;
      case 'afterAttrName':
        if (isSpace(c)) return;
        if (c === '/') this.#state = 'selfClosing';
        else if (c === '=') this.#state = 'beforeAttrValue';
        else if (c === '>') this.#emitTag(false);
        else this.#startAttribute(c);
        return;
      case 'beforeAttrValue':
        if (isSpace(c)) return;
        if (c === '>') return this.#emitTag(false);
        this.#startValue(c === '"' || c === "'" ? c : '');
        if (this.#quote === '') return this.step(c);
        return;
      case 'attrValue':
        if (c === this.#quote) {
          this.#endValue();
          this.#state = 'afterAttrValue';
        } else this.#chunk += c;
        return;
      case 'unquoted':
        if (isSpace(c) || c === '>') {
          this.#endValue();
          this.#state = 'beforeAttrName';
          if (c === '>') this.#emitTag(false);
        } else this.#chunk += c;
        return;
      case 'afterAttrValue':
        if (isSpace(c)) this.#state = 'beforeAttrName';
        else if (c === '/') this.#state = 'selfClosing';
        else if (c === '>') this.#emitTag(false);
        else {
          this.#state = 'beforeAttrName';
          this.step(c);
        }
        return;
      case 'selfClosing':
        if (c === '>') return this.#emitTag(true);
        this.#state = 'beforeAttrName';
        return this.step(c);
      case 'markupOpen':
        if (c === '-' && this.#dashes === 1) return this.#to('commentStart', 0);
        if (c === '-') return this.#to('markupOpen', 1);
        this.#state = 'bogusComment';
        return this.step(c);
      case 'bogusComment':
        if (c === '>') this.#state = 'data';
        return;
      case 'rawText':
        return this.#rawText(c);
      default: {
        const steps = COMMENT_STEPS[this.#state];
        this.#state = steps?.[c] ?? steps?.[''] ?? 'data';
      }
    }
  }

  /** Where the interpolation with this index lands, the reader's state being where it is now. */
  slot(index: number): Slot {
    const element = this.#tag;
    switch (this.#state) {
      case 'data':
        return slot({ kind: 'text' });
      case 'tagOpen':
      case 'endTagOpen':
      case 'tagName':
        return refused('in the name of a tag', 'write element names in the template (a template for each)', false);
      case 'beforeAttrName':
      case 'afterAttrName':
      case 'afterAttrValue':
      case 'selfClosing':
        this.#state = 'beforeAttrName';
        return slot({ kind: 'tag', element });
      case 'attrName':
        return refused(`in the name of an attribute of <${element}>`, 'write attribute names in the template', false);
      case 'beforeAttrValue':
      case 'unquoted':
        return refused(
          `as the unquoted value of the ${this.#attribute} attribute of <${element}>`,
          `quote the attribute: ${this.#attribute}="\${…}"`,
          false,
        );
      case 'attrValue':
        return this.#valueSlot(index);
      case 'markupOpen':
        return refused('inside `<!`', 'write `<!--` whole before the interpolation', false);
      case 'bogusComment':
        return slot({ kind: 'comment' });
      case 'rawText':
        return this.#rawTextSlot();
      default:
        this.#state = 'comment';
        return slot({ kind: 'comment' });
    }
  }

  #to(state: State, dashes: number): void {
    this.#state = state;
    this.#dashes = dashes;
  }

  #startTag(c: string, end: boolean): void {
    this.#tag = c.toLowerCase();
    this.#endTag = end;
    this.#state = 'tagName';
  }

  #startAttribute(c: string): void {
    this.#attribute = c.toLowerCase();
    this.#state = 'attrName';
  }

  #startValue(quote: string): void {
    this.#quote = quote;
    this.#chunk = '';
    this.#url = undefined;
    this.#handler = undefined;
    this.#srcdoc = undefined;
    this.#state = quote ? 'attrValue' : 'unquoted';
  }

  #endValue(): void {
    this.#url?.parts.push(decodeAttribute(this.#chunk).text);
    this.#url = undefined;
    this.#handler = undefined;
    this.#srcdoc = undefined;
    this.#chunk = '';
  }

  #valueSlot(index: number): Slot {
    const element = this.#tag;
    const name = this.#attribute;
    const chunk = this.#chunk;
    this.#chunk = '';
    const where = `in the ${name} attribute of <${element}>`;
    if (OPEN_REFERENCE.test(chunk)) {
      return refused(`${where}, right after \`&\``, 'end the character reference (`;`) before it', false);
    }
    if (name.startsWith('on')) return this.#handlerSlot(chunk, where);
    if (name === 'srcdoc') return this.#srcdocSlot(chunk, where, index);
    const naming = isNamingAttribute(name);
    if (!naming && !isUrlAttribute(element, name)) return slot({ kind: 'attribute', element, name });
    const decoded = decodeAttribute(chunk).text;
    if (this.#url) this.#url.parts.push(decoded);
    else {
      this.#url = { element, name, parts: [decoded], slots: [], naming };
      // A value whose start settles its scheme as safe costs renders nothing.
      if (naming || !prefixSettlesSafe(element, name, decoded)) this.urls.push(this.#url);
    }
    this.#url.slots.push(index);
    return slot({ kind: 'url', element, name });
  }

  /**
   * A `srcdoc` value is a document: its static text, decoded, is read by a reader of its own, and
   * a value gets the slot it finds there (written by that slot's rules, then escaped once more).
   */
  #srcdocSlot(chunk: string, where: string, index: number): Slot {
    const { text, unknown } = decodeAttribute(chunk);
    if (unknown > 0) return refused(where, 'write the characters, not named character references', false);
    const inner = this.#srcdoc ?? new TemplateReader(this.urls);
    this.#srcdoc = inner;
    for (const c of text) inner.step(c);
    const found = inner.slot(index);
    if (found.kind === 'refused') return refused(`${where}, ${found.where}`, found.fix, found.rawPasses);
    const landing = found.kind === 'code' ? slot({ ...found, where: `${where}, ${found.where}` }) : found;
    return slot({ kind: 'srcdoc', element: this.#tag, inner: landing });
  }

  #handlerSlot(chunk: string, where: string): Slot {
    const handler = this.#handler ?? new JsReader();
    this.#handler = handler;
    const { text, unknown } = decodeAttribute(chunk);
    if (unknown > 0) return refused(where, 'write the characters, not named character references', false);
    for (const c of text) handler.feed(c);
    const position = handler.position();
    handler.value();
    if (position === 'code') return slot({ kind: 'code', where, language: 'script', attribute: true });
    return refused(`${where}, inside a ${POSITIONS[position]}`, codeFix(position), true);
  }

  #emitTag(selfClosing: boolean): void {
    const tag = this.#tag;
    this.#state = 'data';
    if (this.#endTag) {
      if ((tag === 'svg' || tag === 'math') && this.#foreign > 0) this.#foreign--;
      return;
    }
    if (tag === 'svg' || tag === 'math') {
      if (!selfClosing) this.#foreign++;
      return;
    }
    if (this.#foreign > 0 && (selfClosing || (tag !== 'script' && tag !== 'style'))) return;
    if (tag === 'script') this.#enterRawText('script', new JsReader());
    else if (tag === 'style') this.#enterRawText('style', new CssReader());
    else if (tag === 'plaintext') this.#enterRawText('plaintext', undefined);
    else if (RCDATA.has(tag) || RAWTEXT.has(tag)) this.#enterRawText('rcdata', undefined);
  }

  #enterRawText(kind: RawKind, code: CodeReader | undefined): void {
    this.#state = 'rawText';
    this.#kind = kind;
    this.#rawEnd = new RegExp(`</${this.#tag}[\\t\\n\\f\\r />]$`);
    this.#tail = '';
    this.#scriptEscape = 0;
    this.#code = code;
    this.#foreignCode = this.#foreign > 0;
    this.#markupInCode = false;
  }

  #rawText(c: string): void {
    if (this.#kind === 'plaintext') return;
    if (c === '&' || c === '<') this.#markupInCode = this.#foreignCode;
    const tail = (this.#tail + c.toLowerCase()).slice(-12);
    this.#tail = tail;
    if (this.#kind === 'script') {
      // The script data (double) escaped states: `<!--<script>` hides a `</script>`.
      if (this.#scriptEscape > 0 && c === '>' && tail.endsWith('-->')) this.#scriptEscape = 0;
      else if (this.#scriptEscape === 0 && tail.endsWith('<!--')) this.#scriptEscape = 1;
      else if (this.#scriptEscape === 1 && /<script[\t\n\f\r />]$/.test(tail)) this.#scriptEscape = 2;
      else if (this.#scriptEscape === 2 && this.#rawEnd.test(tail)) this.#scriptEscape = 1;
      else if (this.#rawEnd.test(tail)) return this.#leaveRawText(c);
    } else if (this.#rawEnd.test(tail)) return this.#leaveRawText(c);
    this.#code?.feed(c);
  }

  /** `</name` and `c` was read: the end tag goes on as any tag does. */
  #leaveRawText(c: string): void {
    this.#code = undefined;
    this.#endTag = true;
    this.#state = 'tagName';
    this.step(c);
  }

  #rawTextSlot(): Slot {
    const element = this.#tag;
    const tail = this.#tail;
    this.#tail = ' ';
    if (PARTIAL_CLOSE.test(tail) || (this.#scriptEscape > 0 && tail.endsWith('-'))) {
      const after = /[<!/a-z-]*$/.exec(tail)?.[0];
      return refused(`in <${element}>, right after \`${after}\``, 'put a space before the interpolation', false);
    }
    if (!this.#code) return slot({ kind: 'rcdata', element });
    if (this.#markupInCode) {
      const fix = 'write no `&` or `<` before it in that element, or move the code out of <svg>/<math>';
      return refused(`in <${element}> inside <svg> or <math>, after \`&\` or \`<\``, fix, false);
    }
    const position = this.#code.position();
    this.#code.value();
    const where = `in <${element}>`;
    if (position === 'code')
      return slot({ kind: 'code', where, language: this.#kind === 'style' ? 'style' : 'script', attribute: false });
    return refused(`${where}, inside a ${POSITIONS[position]}`, codeFix(position), true);
  }
}

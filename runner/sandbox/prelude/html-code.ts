/**
 * Where in a script's or a stylesheet's code an interpolation of an `html` template sits: in
 * code (where `json()` writes a whole value), or inside a string, a template literal, a regular
 * expression or a comment (where it would not). Read from the template's static text only,
 * once per template (html-tokenizer.ts). Hand-written rather than a parser from npm: the prelude
 * is bundled into every script sandbox, and a partial program (the code up to an interpolation)
 * is what it reads, which parsers refuse.
 *
 * Regular expressions against division follow Go's html/template (`nextJSCtx`): after an
 * identifier, a number, `]` or a literal, `/` divides; after other punctuators and keywords
 * such as `return`, it starts a regular expression. After `)` it depends on what the `(` opened:
 * `if (a) /re/` against `(a) / b`; the reader keeps a stack of open `(` with the word before each.
 * A `/` read the wrong way would put `json()`'s `"` inside a string it then ends, so where the
 * reader cannot tell (after `}`, which ends a block or an object literal, or after a `)` it did
 * not see open), every later value in that code is refused ('unsure') rather than guessed.
 */

/** Where an interpolation sits in code; `'code'` is the one place a value belongs. */
export type CodePosition = 'code' | 'string' | 'template' | 'regex' | 'comment' | 'escape' | 'unsure';

export interface CodeReader {
  /** One character of the code, as the browser's script engine gets it. */
  feed(c: string): void;
  /** Where an interpolation here lands. */
  position(): CodePosition;
  /** An interpolation was written here (a whole value, as `json()` writes). */
  value(): void;
}

const KEYWORDS_BEFORE_REGEX = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);
const isWordChar = (c: string) => /[\w$]/.test(c) || c > '\u007f';
const isLineEnd = (c: string) => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';
/** ES2019: U+2028 and U+2029 are allowed inside string literals; only these end one (unclosed). */
const endsString = (c: string) => c === '\n' || c === '\r';
/** A `)` that closes the condition of one of these is followed by a statement: `/` starts a regex. */
const STATEMENT_PARENS = new Set(['if', 'while', 'for', 'with']);

type JsState = 'code' | 'sq' | 'dq' | 'template' | 'regex' | 'class' | 'line' | 'block';

/** JavaScript: `<script>` content and event-handler attributes. */
export class JsReader implements CodeReader {
  #state: JsState = 'code';
  #escaped = false;
  #slash = false;
  #slashStartsRegex = false;
  #star = false;
  #dollar = false;
  /** Open `${` of template literals: the depth of `{` inside each. */
  #substitutions: number[] = [];
  /** The last significant character of code, `''` at the start; `'a'` after a word or a literal. */
  #previous = '';
  #word = '';
  #lastWord = '';
  /** How many `+` (or `-`) in a row end the code: `a++ /` divides, `a + /x/` does not. */
  #run = 0;
  /** The last characters of code, and the first ones of its line: `<!--` and `-->` are comments. */
  #recent = '';
  #lineStart = '';
  /** The word before each open `(` (`''` for none): what its `)` ends. */
  #parens: string[] = [];
  /** Whether the last `)` closed an `if`, `while`, `for` or `with` condition. */
  #statementParen = false;
  /** A `/` was met where regex and division cannot be told apart: no value is placed after it. */
  #unsure = false;
  /** The pending `/` is such a one, unless the next character makes it a comment. */
  #slashUnsure = false;

  feed(c: string): void {
    if (this.#escaped) {
      this.#escaped = false;
      return;
    }
    switch (this.#state) {
      case 'code':
        return this.#code(c);
      case 'sq':
      case 'dq':
        if (c === '\\') this.#escaped = true;
        else if (c === (this.#state === 'sq' ? "'" : '"') || endsString(c)) this.#endLiteral();
        return;
      case 'template':
        if (c === '\\') this.#escaped = true;
        else if (c === '`') this.#endLiteral();
        else if (c === '{' && this.#dollar) {
          this.#substitutions.push(0);
          this.#state = 'code';
          this.#previous = '{';
        }
        this.#dollar = c === '$';
        return;
      case 'regex':
        if (c === '\\') this.#escaped = true;
        else if (c === '[') this.#state = 'class';
        else if (c === '/' || isLineEnd(c)) this.#endLiteral();
        return;
      case 'class':
        if (c === '\\') this.#escaped = true;
        else if (c === ']') this.#state = 'regex';
        return;
      case 'line':
        if (isLineEnd(c)) this.#newLine();
        return;
      case 'block':
        if (c === '/' && this.#star) this.#state = 'code';
        this.#star = c === '*';
        return;
    }
  }

  position(): CodePosition {
    if (this.#unsure) return 'unsure';
    if (this.#escaped) return 'escape';
    if (this.#slash && this.#slashUnsure) return 'unsure';
    if (this.#slash) return this.#slashStartsRegex ? 'regex' : 'code';
    if (this.#state === 'code') return 'code';
    if (this.#state === 'sq' || this.#state === 'dq') return 'string';
    if (this.#state === 'class') return 'regex';
    if (this.#state === 'line' || this.#state === 'block') return 'comment';
    return this.#state;
  }

  value(): void {
    this.#slash = false;
    this.#endWord();
    this.#previous = 'a';
    this.#lineStart = 'a';
  }

  #code(c: string): void {
    if (this.#slash) {
      this.#slash = false;
      if (c === '/') return this.#go('line');
      if (c === '*') {
        this.#star = false;
        return this.#go('block');
      }
      if (this.#slashUnsure) this.#unsure = true;
      if (this.#slashStartsRegex) {
        this.#state = 'regex';
        return this.feed(c);
      }
      this.#punctuator('/');
    }
    this.#recent = (this.#recent + c).slice(-4);
    if (isLineEnd(c)) return this.#newLine();
    if (c === ' ' || c === '\t' || c === '\f' || c === '\v') return this.#endWord();
    // Annex B: `<!--` anywhere, and `-->` first on a line, start a comment to the line's end.
    const lineStart = this.#lineStart;
    if (lineStart.length < 3) this.#lineStart += c;
    if (this.#recent === '<!--' || (c === '>' && lineStart === '--')) return this.#go('line');
    if (isWordChar(c)) {
      this.#word += c;
      this.#previous = 'a';
      return;
    }
    this.#endWord();
    if (c === '/') {
      this.#slash = true;
      this.#slashUnsure = false;
      this.#slashStartsRegex = this.#regexMayStart();
      return;
    }
    if (c === "'" || c === '"') return this.#go(c === "'" ? 'sq' : 'dq');
    if (c === '`') {
      this.#dollar = false;
      return this.#go('template');
    }
    const depth = this.#substitutions.length - 1;
    if (depth >= 0 && c === '{') this.#substitutions[depth] = (this.#substitutions[depth] ?? 0) + 1;
    if (depth >= 0 && c === '}') {
      if (this.#substitutions[depth] === 0) {
        this.#substitutions.pop();
        this.#dollar = false;
        return this.#go('template');
      }
      this.#substitutions[depth] = (this.#substitutions[depth] ?? 1) - 1;
    }
    if (c === '(') this.#parens.push(this.#previous === 'a' ? this.#lastWord : '');
    this.#punctuator(c);
    if (c === ')') {
      const opener = this.#parens.pop();
      this.#statementParen = opener !== undefined && STATEMENT_PARENS.has(opener);
      if (opener === undefined) this.#previous = 'unmatched)';
    }
  }

  #go(state: JsState): void {
    this.#state = state;
  }

  #punctuator(c: string): void {
    this.#run = (c === '+' || c === '-') && this.#previous === c ? this.#run + 1 : 1;
    this.#previous = c;
    this.#lastWord = '';
  }

  #endWord(): void {
    if (this.#word) this.#lastWord = this.#word;
    this.#word = '';
  }

  #endLiteral(): void {
    this.#state = 'code';
    this.#previous = 'a';
    this.#lastWord = '';
    this.#lineStart = 'a';
  }

  #newLine(): void {
    this.#endWord();
    this.#state = 'code';
    this.#lineStart = '';
    this.#recent = '';
  }

  /** Go's rule: whether a `/` here starts a regular expression rather than dividing. */
  #regexMayStart(): boolean {
    const previous = this.#previous;
    if (previous === '') return true;
    if (previous === 'a') return KEYWORDS_BEFORE_REGEX.has(this.#lastWord);
    if (previous === ')') return this.#statementParen;
    if (previous === ']') return false;
    if (previous === '}' || previous === 'unmatched)') {
      this.#slashUnsure = true;
      return false;
    }
    if (previous === '+' || previous === '-') return this.#run % 2 === 1;
    return true;
  }
}

type CssState = 'code' | 'sq' | 'dq' | 'comment';

/** CSS: `<style>` content. */
export class CssReader implements CodeReader {
  #state: CssState = 'code';
  #escaped = false;
  #slash = false;
  #star = false;

  feed(c: string): void {
    if (this.#escaped) {
      this.#escaped = false;
      return;
    }
    if (this.#state === 'comment') {
      if (c === '/' && this.#star) this.#state = 'code';
      this.#star = c === '*';
      return;
    }
    if (this.#state === 'sq' || this.#state === 'dq') {
      if (c === '\\') this.#escaped = true;
      else if (c === (this.#state === 'sq' ? "'" : '"') || c === '\n') this.#state = 'code';
      return;
    }
    const slash = this.#slash;
    this.#slash = false;
    if (slash && c === '*') {
      this.#star = false;
      this.#state = 'comment';
    } else if (c === '\\') this.#escaped = true;
    else if (c === '/') this.#slash = true;
    else if (c === "'") this.#state = 'sq';
    else if (c === '"') this.#state = 'dq';
  }

  position(): CodePosition {
    if (this.#escaped) return 'escape';
    if (this.#state === 'sq' || this.#state === 'dq') return 'string';
    return this.#state;
  }

  value(): void {
    this.#slash = false;
  }
}

/** What each position is called in an error, and what to write instead. */
export const POSITIONS: Readonly<Record<string, string>> = {
  string: 'string literal',
  template: 'template literal',
  regex: 'regular expression',
  comment: 'comment',
  escape: 'escape sequence (after `\\`)',
  unsure: 'place after a `/` that may start a regular expression or divide (after `}` or an unmatched `)`)',
};

export function codeFix(position: string): string {
  if (position === 'escape') return 'move it out of the escape sequence';
  if (position === 'unsure') return 'write `(a) / b` or `/re/` where they cannot be misread, or pass data by json()';
  const example = `\`const x = \${json(value)};\``;
  return `json() writes a whole value, quotes included: ${example}, not inside a ${POSITIONS[position]}`;
}

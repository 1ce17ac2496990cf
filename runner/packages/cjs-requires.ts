/**
 * What a CommonJS file requires, read from its source: for a file loaded before the forbidden-
 * module guard was installed (the app required the package before it created Pagewire), whose
 * `require`s the guard never saw. Only calls of `require`
 * with a literal name are found (`require('child_process')`, ``require(`vm`)``): a computed
 * name (`require(name)`, `require('child' + '_process')`) cannot be read without running the code.
 *
 * acorn's tokenizer reads the source, so a `require('…')` in a comment, a string or a regular
 * expression is not taken for a call.
 */
import { readFileSync } from 'node:fs';
import { tokenizer, type Token } from 'acorn';

/** A token and its value (a name's text, a string's cooked text): acorn's types leave it out. */
type Read = Token & { value?: unknown };

/** Per thread: files do not change while they are loaded. */
const byFile = new Map<string, string[]>();

/** The names `file` passes to `require` as literals, in order; none when it cannot be read. */
export function literalRequires(file: string): string[] {
  let found = byFile.get(file);
  if (!found) {
    found = readRequires(file);
    byFile.set(file, found);
  }
  return found;
}

function readRequires(file: string): string[] {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    // Gone since Node loaded it: nothing left to read.
    return [];
  }
  let tokens: Read[];
  try {
    const options = { ecmaVersion: 'latest', allowHashBang: true, allowReturnOutsideFunction: true } as const;
    tokens = [...tokenizer(source, options)];
  } catch {
    // Syntax acorn does not know (Node ran it): every literal require() in the text counts, those
    // in comments and strings too, so that nothing forbidden slips through unread.
    return [...source.matchAll(/\brequire\(\s*(['"`])([^'"`\n]+)\1\s*\)/g)].map((match) => match[2] as string);
  }
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Read;
    if (token.type.label !== 'name' || token.value !== 'require') continue;
    // `x.require(...)` is some object's method, not the module's `require`.
    if (tokens[i - 1]?.type.label === '.' || tokens[i + 1]?.type.label !== '(') continue;
    const name = literalAt(tokens, i + 2);
    if (name !== undefined) names.push(name);
  }
  return names;
}

/** The literal at `at` followed by `)`: a string, or a template without substitutions. */
function literalAt(tokens: Read[], at: number): string | undefined {
  const first = tokens[at];
  if (first?.type.label === 'string' && tokens[at + 1]?.type.label === ')') return String(first.value);
  const [open, text, close, paren] = [first, tokens[at + 1], tokens[at + 2], tokens[at + 3]];
  if (open?.type.label === '`' && text?.type.label === 'template' && close?.type.label === '`') {
    return paren?.type.label === ')' ? String(text.value) : undefined;
  }
  return undefined;
}

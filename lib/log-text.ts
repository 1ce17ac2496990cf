/**
 * Control characters (`\p{Cc}`), as a log must not print them: C0 (newlines, carriage returns, escape:
 * ANSI sequences that recolour, move the cursor or erase lines), DEL, C1, the Unicode line and
 * paragraph separators, and the bidirectional overrides that reorder what a reader sees.
 */
const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/** The same, newlines excepted: for a message whose lines are its own. */
const CONTROL_BUT_NEWLINE = /(?!\n)[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escaped(char: string): string {
  return NAMED[char] ?? `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}`;
}

/**
 * A value that came from a browser or a script (an event name, a path, a header), as it may go
 * into a log message: one line, its control characters written as JSON writes them (`\n`,
 * `\u001b`), so that it can neither forge a line of its own nor colour or erase the terminal.
 */
export function forLog(value: unknown): string {
  return String(value).replace(CONTROL, escaped);
}

/** A whole message's control characters escaped, its newlines kept (a stack's lines). */
export function escapeControlsButNewlines(text: string): string {
  return text.replace(CONTROL_BUT_NEWLINE, escaped);
}

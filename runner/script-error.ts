import type { ScriptErrorInfo } from './messages.js';

/** An error in a user's script, carrying where it happened as plain data. */
export class ScriptError extends Error {
  readonly info: ScriptErrorInfo;

  constructor(info: ScriptErrorInfo, source?: string) {
    const withFrame = source && info.line ? { ...info, frame: codeFrame(source, info.line, info.column) } : info;
    super(formatScriptError(withFrame));
    this.name = 'ScriptError';
    this.info = withFrame;
  }
}

/** `hello.ts:12:5 TypeError: x is not a function`, the one-line form for logs. */
export function formatScriptError(info: ScriptErrorInfo): string {
  return `${locationOf(info)}${info.name}: ${info.message}`;
}

function locationOf(info: ScriptErrorInfo): string {
  if (!info.file) return '';
  return `${info.file}${info.line ? `:${info.line}${info.column ? `:${info.column}` : ''}` : ''} `;
}

/**
 * The lines around `line` (1-based), numbered, with `>` on the line and a caret under
 * `column` (1-based), as compilers print them.
 */
export function codeFrame(source: string, line: number, column?: number, context = 2): string {
  const lines = source.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
    if (n === line && column && column > 0) out.push(`  ${' '.repeat(width)} | ${' '.repeat(column - 1)}^`);
  }
  return out.join('\n');
}

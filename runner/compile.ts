import { transform } from 'sucrase';
import { SCRIPT_PARAMETERS } from './sandbox/api.js';
import { ScriptError } from './script-error.js';

/** A script or partial, compiled and wrapped, ready for `NodeVM.run(code, file)`. */
export interface WrappedCode {
  code: string;
  /** Characters the wrapper adds before the script's first line: columns on line 1 shift by it. */
  prefixLength: number;
}

/**
 * Compiles TypeScript to JavaScript with sucrase: types removed, `import` turned into
 * `require`, top-level `await` kept, every line on its original line number.
 * Throws a `ScriptError` (code `COMPILE_ERROR`) that names `file:line:col`.
 */
export function compileTypeScript(source: string, file: string): string {
  try {
    return transform(source, {
      transforms: ['typescript', 'imports'],
      disableESTransforms: true,
      filePath: file,
    }).code;
  } catch (error) {
    const { message, loc } = error as { message: string; loc?: { line: number; column: number } };
    const reason = message.replace(/^Error transforming .*?: /, '').replace(/ \(\d+:\d+\)$/, '');
    throw new ScriptError({ code: 'COMPILE_ERROR', name: 'SyntaxError', message: reason, file, line: loc?.line, column: loc?.column }, source);
  }
}

/**
 * Wraps a page script as the per-page factory: its top-level code becomes the body of a
 * function called once per rendered page, so every top-level variable is per page. The body
 * sits in its own block so a script may declare names such as `page` or `echo` itself. An
 * `async` factory is used only for scripts that await at top level (the sync one is ~25x
 * cheaper to call across vm2's bridge: RUNTIME-NOTES.md).
 */
export function wrapScript(compiled: string, async: boolean): WrappedCode {
  const prefix = `__pagewireScript(${async ? 'async ' : ''}function (${SCRIPT_PARAMETERS.join(', ')}) {{ `;
  const suffix = `\n;__pagewireHook(typeof __serverSocketEvent === 'undefined' ? undefined : __serverSocketEvent);}});`;
  return { code: prefix + compiled + suffix, prefixLength: prefix.length };
}

/** Wraps a partial (a module imported by scripts) as a CommonJS-style factory. */
export function wrapModule(compiled: string, file: string): WrappedCode {
  const prefix = `__pagewireModule(${JSON.stringify(file)}, function (exports, require, module) { `;
  return { code: `${prefix}${compiled}\n});`, prefixLength: prefix.length };
}

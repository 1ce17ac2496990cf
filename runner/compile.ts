import { TraceMap, decodedMappings, type SourceMapInput } from '@jridgewell/trace-mapping';
import { transform } from 'sucrase';
import { SCRIPT_PARAMETERS } from './sandbox/script-globals.js';
import { ScriptError } from './script-error.js';

/**
 * A script or partial, compiled and wrapped, ready for `NodeVM.run(code, file)`. The wrapper
 * opens on a line of its own (vm2 adds its own wrapper before it), so the script's line N is
 * line N + 1 of the code and its columns are untouched.
 */
export interface WrappedCode {
  code: string;
}

/** Lines the wrapper adds before the script's first line. */
export const WRAPPER_LINES = 1;

/** Compiled JavaScript, and a way back to the TypeScript's columns. */
export interface CompiledCode {
  code: string;
  /**
   * Maps a compiled position (1-based line and column) to the source column. Lines never move
   * (sucrase keeps them), but removed types shift columns.
   */
  sourceColumn(line: number, column: number): number;
}

/**
 * Compiles TypeScript to JavaScript with sucrase: types removed, `import` turned into
 * `require`, top-level `await` kept, every line on its original line number.
 * Throws a `ScriptError` (code `COMPILE_ERROR`) that names `file:line:col`.
 */
export function compileTypeScript(source: string, file: string): CompiledCode {
  const key = `${file}\0${source}`;
  const cached = cache.get(key);
  if (cached) {
    // Most recently used last: the first entry is the one to evict.
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const compiled = compile(source, file);
  cache.set(key, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return compiled;
}

/**
 * Compiled code by file and content: a script whose partial changed gets a new sandbox, but its
 * own unchanged source is not compiled again. Bounded, least recently used out first.
 */
const cache = new Map<string, CompiledCode>();
const CACHE_SIZE = 200;

function compile(source: string, file: string): CompiledCode {
  try {
    const { code, sourceMap } = transform(source, {
      transforms: transformsFor(file),
      disableESTransforms: true,
      filePath: file,
      sourceMapOptions: { compiledFilename: file },
    });
    let map: TraceMap | undefined;
    return {
      code,
      sourceColumn(line, column) {
        // Parsed only when an error needs it: most scripts never throw.
        map ??= new TraceMap(sourceMap as SourceMapInput);
        // The last mapped token starting at or before the column, plus the offset into it.
        let best: readonly number[] | undefined;
        for (const segment of decodedMappings(map)[line - 1] ?? []) {
          if ((segment[0] as number) > column - 1) break;
          if (segment.length >= 4) best = segment;
        }
        if (!best || best[2] !== line - 1) return column;
        return (best[3] as number) + (column - 1 - (best[0] as number)) + 1;
      },
    };
  } catch (error) {
    const { message, loc } = error as { message: string; loc?: { line: number; column: number } };
    const reason = message.replace(/^Error transforming .*?: /, '').replace(/ \(\d+:\d+\)$/, '');
    throw new ScriptError(
      { code: 'COMPILE_ERROR', name: 'SyntaxError', message: reason, file, line: loc?.line, column: loc?.column },
      source,
    );
  }
}

/**
 * What a file needs: TypeScript loses its types; JavaScript partials (`.js`, `.mjs`) only have
 * their `import`s turned into `require`; a `.cjs` partial is CommonJS already.
 */
function transformsFor(file: string): Array<'typescript' | 'imports'> {
  if (file.endsWith('.cjs')) return [];
  return /\.m?js$/.test(file) ? ['imports'] : ['typescript', 'imports'];
}

/**
 * Wraps a page script as the per-page factory: its top-level code becomes the body of a
 * function called once per rendered page with that page's `ScriptGlobals`, so every top-level
 * variable is per page. The body sits in its own block so a script may declare names such as
 * `page` or `echo` itself. An `async` factory is used only for scripts that await at top level
 * (the sync one is ~25x cheaper to call across vm2's bridge).
 */
export function wrapScript(compiled: string, async: boolean): WrappedCode {
  const prefix = `__pagewireScript(${async ? 'async ' : ''}function ({ ${PARAMETER_LIST} }) {{\n`;
  const suffix = `\n;__pagewireHook(typeof __serverSocketEvent === 'undefined' ? undefined : __serverSocketEvent);}});`;
  return { code: prefix + compiled + suffix };
}

const PARAMETER_LIST = SCRIPT_PARAMETERS.join(', ');

/** Wraps a partial (a module imported by scripts) as a CommonJS-style factory. */
export function wrapModule(compiled: string, file: string): WrappedCode {
  const parameters = 'exports, require, module, __filename, __dirname';
  const prefix = `__pagewireModule(${JSON.stringify(file)}, function (${parameters}) {\n`;
  return { code: `${prefix}${compiled}\n});` };
}

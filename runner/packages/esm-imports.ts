/**
 * The built-in modules an ES module graph imports, read from the files before Node runs them.
 * `require(esm)` loads an ESM package's imports inside Node's ESM loader, where neither
 * `Module._load` nor `module.register` hooks see them: reading the `import`s (with
 * es-module-lexer, the lexer Vite uses) is the only way to refuse a forbidden built-in first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'es-module-lexer';
import { exports as resolveExports, imports as resolveImports, type Package } from 'resolve.exports';

/** A built-in module, without `node:`, and the file that imports it. */
export interface BuiltinUse {
  builtin: string;
  file: string;
}

/** What one file imports: built-ins, and other files (resolved). Per thread: files do not change. */
interface FileImports {
  esm: boolean;
  builtins: string[];
  files: string[];
}
const byFile = new Map<string, FileImports>();

/**
 * Every built-in the ES modules reachable from `entry` import, statically or through `import()`
 * of a literal. CommonJS files end the walk: their `require`s go through `Module._load`, which
 * the forbidden-module guard sees.
 */
export function builtinImports(entry: string): BuiltinUse[] {
  const uses: BuiltinUse[] = [];
  const seen = new Set<string>();
  const stack = [entry];
  for (let file = stack.pop(); file !== undefined; file = stack.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const found = importsOf(file);
    if (!found.esm) continue;
    for (const builtin of found.builtins) uses.push({ builtin, file });
    stack.push(...found.files);
  }
  return uses;
}

/** True when Node loads `file` as an ES module. */
export function isEsm(file: string): boolean {
  return importsOf(file).esm;
}

function importsOf(file: string): FileImports {
  let found = byFile.get(file);
  if (!found) {
    found = readImports(file);
    byFile.set(file, found);
  }
  return found;
}

function readImports(file: string): FileImports {
  const none: FileImports = { esm: false, builtins: [], files: [] };
  if (!/\.(m?js)$/.test(file)) return none;
  const type = file.endsWith('.mjs') ? 'module' : packageOf(path.dirname(file))?.json.type;
  if (type !== undefined && type !== 'module') return none;
  let lexed: ReturnType<typeof parse>;
  try {
    lexed = parse(readFileSync(file, 'utf8'), file);
  } catch {
    // Unreadable or not JavaScript the lexer knows: Node reports it when it loads the file.
    return none;
  }
  const [imports, , , hasModuleSyntax] = lexed;
  // A `.js` without a `type` is ESM when it has module syntax (Node 20.19's detection).
  if (type === undefined && !hasModuleSyntax) return none;
  const result: FileImports = { esm: true, builtins: [], files: [] };
  for (const { specifier } of imports) {
    if (typeof specifier !== 'string' || specifier === '') continue;
    if (isBuiltin(specifier)) {
      result.builtins.push(specifier.replace(/^node:/, ''));
      continue;
    }
    const target = resolveImport(specifier, file);
    if (target) result.files.push(target);
  }
  return result;
}

/**
 * The conditions of Node's ESM resolver, which loads an ES module's own imports even under
 * `require(esm)`: `node`, `import` and, since Node 20.19, `module-sync` (resolve.exports adds
 * `default`, `import` and `node`), plus the app's `--conditions`.
 */
const IMPORT_CONDITIONS = ['module-sync', ...userConditions()];

/**
 * Where an `import` of `specifier` in the ES module `file` leads; undefined when it leads nowhere
 * (Node reports that when it loads). Node's own resolver decides wherever it can be asked: a
 * package's entry is `require.resolve`d (`load-package.ts`: scripts' imports are `require`s),
 * relative and `file:` imports need no resolver, and a package without `exports` is found as
 * `require` finds it. Node offers no synchronous resolver with the conditions of `import` for
 * another file than the caller (`import.meta.resolve` takes no parent without a flag), so an
 * `exports` or `imports` map read with `import` conditions is read with resolve.exports.
 */
function resolveImport(specifier: string, file: string): string | undefined {
  const dir = path.dirname(file);
  try {
    if (specifier.startsWith('file:')) return fileURLToPath(specifier);
    if (specifier.startsWith('.') || specifier.startsWith('/')) return path.resolve(dir, specifier);
    if (specifier.startsWith('#')) {
      const owner = packageOf(dir);
      const target = owner && resolveImports(owner.json, specifier, { conditions: IMPORT_CONDITIONS })?.[0];
      if (!owner || !target || target.startsWith('#')) return undefined;
      if (target.startsWith('./')) return path.join(owner.dir, target);
      // `"#db": "pg"`: the import of that package, with the same conditions.
      return isBuiltin(target) ? undefined : resolveBare(target, file);
    }
    return resolveBare(specifier, file);
  } catch {
    return undefined;
  }
}

/** A package's file, as an `import` of `specifier` (a bare name) in `file` finds it. */
function resolveBare(specifier: string, file: string): string | undefined {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  const subpath = `.${specifier.slice(name.length)}`;
  for (let at = path.dirname(file); ; at = path.dirname(at)) {
    const pkgDir = path.join(at, 'node_modules', name);
    const json = readPackageJson(pkgDir);
    if (json?.exports !== undefined) {
      const target = resolveExports(json, subpath, { conditions: IMPORT_CONDITIONS })?.[0];
      return target ? path.join(pkgDir, target) : undefined;
    }
    if (json || path.dirname(at) === at) break;
  }
  // No `exports`: `main` and extensions are resolved as `require` does, by Node.
  return requireResolve(specifier, file);
}

/** The conditions given to Node (`--conditions x`, `-C x`), on its command line or in NODE_OPTIONS. */
function userConditions(): string[] {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const found: string[] = [];
  args.forEach((arg, i) => {
    const inline = /^(?:--conditions|-C)=(.+)$/.exec(arg)?.[1];
    if (inline !== undefined) found.push(inline);
    else if ((arg === '--conditions' || arg === '-C') && args[i + 1]) found.push(args[i + 1] as string);
  });
  return found;
}

function requireResolve(specifier: string, file: string): string | undefined {
  try {
    return createRequire(file).resolve(specifier);
  } catch {
    return undefined;
  }
}

/** The nearest package.json at or above `dir`, as Node finds a file's package scope. */
function packageOf(dir: string): { dir: string; json: Package } | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    const json = readPackageJson(at);
    if (json) return { dir: at, json };
    if (path.dirname(at) === at || path.basename(at) === 'node_modules') return undefined;
  }
}

const packageJsons = new Map<string, Package | undefined>();
function readPackageJson(dir: string): Package | undefined {
  if (packageJsons.has(dir)) return packageJsons.get(dir);
  const file = path.join(dir, 'package.json');
  let json: Package | undefined;
  try {
    json = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Package) : undefined;
  } catch {
    json = undefined;
  }
  packageJsons.set(dir, json);
  return json;
}

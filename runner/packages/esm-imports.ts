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
 * Where an `import` of `specifier` in `file` leads, with the conditions of `import` (`node`,
 * `import`, `default`), which `require.resolve` does not use; undefined when it leads nowhere (Node
 * reports that when it loads).
 */
function resolveImport(specifier: string, file: string): string | undefined {
  const dir = path.dirname(file);
  try {
    if (specifier.startsWith('file:')) return fileURLToPath(specifier);
    if (specifier.startsWith('.') || specifier.startsWith('/')) return path.resolve(dir, specifier);
    if (specifier.startsWith('#')) {
      const owner = packageOf(dir);
      const target = owner && resolveImports(owner.json, specifier)?.[0];
      return target && !target.startsWith('#') ? resolveTarget(owner.dir, target, file) : undefined;
    }
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
    const subpath = `.${specifier.slice(name.length)}`;
    for (let at = dir; ; at = path.dirname(at)) {
      const pkgDir = path.join(at, 'node_modules', name);
      const json = readPackageJson(pkgDir);
      if (json?.exports !== undefined) {
        const target = resolveExports(json, subpath, { conditions: ['module-sync'] })?.[0];
        return target ? path.join(pkgDir, target) : undefined;
      }
      if (json) break;
      if (path.dirname(at) === at) break;
    }
  } catch {
    return undefined;
  }
  // No `exports`: `main` and extensions are resolved as `require` does.
  return requireResolve(specifier, file);
}

function resolveTarget(dir: string, target: string, file: string): string | undefined {
  return target.startsWith('./') ? path.join(dir, target) : requireResolve(target, file);
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

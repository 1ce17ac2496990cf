/**
 * `forbiddenModules` for packages. Packages run as host code, so vm2 does not stand between them
 * and Node: this guard wraps `Module._load` (once per thread) and refuses a forbidden built-in
 * required while a package loads for a script, or later by any file loaded for one (a lazy
 * `require('child_process')` inside a function). ES modules' imports never reach `Module._load`:
 * they are read before they run (`esm-imports.ts`).
 */
import Module, { createRequire, isBuiltin } from 'node:module';
import { literalRequires } from './cjs-requires.js';
import { builtinImports, isEsm } from './esm-imports.js';

/** A package loaded for scripts, and the built-ins it may not reach (every script's list). */
export interface PackageOwner {
  name: string;
  forbidden: Set<string>;
}

/** Node's CommonJS loader, as far as the guard uses it (not in @types/node: internal, stable). */
interface CommonJsLoader {
  _load(request: string, parent: NodeJS.Module | null | undefined, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: NodeJS.Module | null | undefined, isMain: boolean): string;
  _cache: Record<string, NodeJS.Module | undefined>;
}
const loader = Module as unknown as CommonJsLoader;

/** Every file loaded for a script's package -> that package. */
const ownerOf = new Map<string, PackageOwner>();
/** The built-ins each file required since the guard was installed. */
const builtinsOf = new Map<string, Set<string>>();
/**
 * The files in Node's cache when the guard was installed: what they required, it never saw, so
 * they are checked from their source (`cjs-requires.ts`). Every later `require`, ES modules'
 * imports of CommonJS files included, goes through `Module._load`.
 */
let loadedBefore = new Set<string>();
/** The package being loaded for a script, if one is. */
let loading: PackageOwner | undefined;
let installed = false;

export class ForbiddenModuleError extends Error {
  constructor(owner: PackageOwner, builtin: string, file: string) {
    super(
      `the package '${owner.name}' needs the module '${builtin}' (required by ${file}), which Pagewire ` +
        'scripts may not use: it could stop or escape the server. Use that package from the host ' +
        `application, or remove '${builtin}' from the forbiddenModules option if you trust it.`,
    );
    this.name = 'Error';
    // vm2 hands a script a host error without its frames; this copy keeps them, the script's
    // included (the call that reached the package), for the sandbox to point at its line.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, ForbiddenModuleError);
    Error.stackTraceLimit = limit;
    this.hostStack = holder.stack ?? '';
  }

  /** The stack as V8 wrote it in the host, scripts' frames included (`prelude/errors.ts` reads it). */
  readonly hostStack: string;
}

/**
 * Wraps `Module._load`, once per thread: as early as the thread can (worker-entry.ts, or when the
 * host creates its in-process runner), so that it sees what the thread's own modules require.
 */
export function installGuard(): void {
  if (installed) return;
  installed = true;
  loadedBefore = new Set(Object.keys(loader._cache));
  const original = loader._load;
  loader._load = function guardedLoad(request, parent, isMain) {
    const from = parent?.filename;
    const owner = loading ?? (from === undefined ? undefined : ownerOf.get(from));
    if (isBuiltin(request)) {
      const builtin = request.replace(/^node:/, '');
      if (from !== undefined) setOf(builtinsOf, from).add(builtin);
      if (owner && isForbidden(owner, builtin)) throw new ForbiddenModuleError(owner, builtin, from ?? owner.name);
      return original.call(this, request, parent, isMain);
    }
    if (!owner) return original.call(this, request, parent, isMain);
    let file: string | undefined;
    try {
      file = loader._resolveFilename(request, parent, isMain);
    } catch {
      // Not found: the original load says so, in Node's words.
    }
    if (file !== undefined && !ownerOf.has(file)) {
      if (loader._cache[file]) {
        // Loaded before, by the app or for a script with another list: checked from what it required.
        checkGraph(owner, file, true);
      } else {
        // Before it runs: its own requires then see their owner, and an ES module is read first.
        ownerOf.set(file, owner);
        if (isEsm(file)) checkEsm(owner, file);
      }
    }
    return original.call(this, request, parent, isMain);
  };
}

/** Runs `load` as the loading of `owner`: every module it requires is the package's. */
export function loadingAs<T>(owner: PackageOwner, load: () => T): T {
  const outer = loading;
  loading = owner;
  try {
    return load();
  } finally {
    loading = outer;
  }
}

/**
 * Checks the module graph from `file` (loaded) against `owner`'s list, and makes its files the
 * package's; with `skipOwned`, files some package owns already are not walked again. What the
 * guard did not see load (the graph was in Node's cache already) is checked from what each file
 * required, and ES modules from their imports.
 */
export function checkGraph(owner: PackageOwner, file: string, skipOwned: boolean): void {
  const seen = new Set<string>();
  const stack = [file];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (seen.has(next) || (skipOwned && next !== file && ownerOf.has(next))) continue;
    seen.add(next);
    if (!ownerOf.has(next)) ownerOf.set(next, owner);
    for (const builtin of builtinsOf.get(next) ?? []) {
      if (isForbidden(owner, builtin)) throw new ForbiddenModuleError(owner, builtin, next);
    }
    if (isEsm(next)) checkEsm(owner, next);
    else if (loadedBefore.has(next)) stack.push(...checkSource(owner, next));
    for (const child of loader._cache[next]?.children ?? []) stack.push(child.filename);
  }
}

/**
 * Checks the built-ins a CommonJS file requires by a literal name, read from its source; returns
 * the files its other literal `require`s lead to, to be checked in turn.
 */
function checkSource(owner: PackageOwner, file: string): string[] {
  const files: string[] = [];
  const require = createRequire(file);
  for (const request of literalRequires(file)) {
    if (isBuiltin(request)) {
      const builtin = request.replace(/^node:/, '');
      if (isForbidden(owner, builtin)) throw new ForbiddenModuleError(owner, builtin, file);
      continue;
    }
    try {
      files.push(require.resolve(request));
    } catch {
      // Not found from there: Node fails that `require` too, if it ever runs.
    }
  }
  return files;
}

function checkEsm(owner: PackageOwner, file: string): void {
  for (const use of builtinImports(file)) {
    if (isForbidden(owner, use.builtin)) throw new ForbiddenModuleError(owner, use.builtin, use.file);
  }
}

function isForbidden(owner: PackageOwner, builtin: string): boolean {
  return owner.forbidden.has(builtin) || owner.forbidden.has(builtin.split('/')[0] as string);
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

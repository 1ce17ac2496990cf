/**
 * npm packages for scripts. A package runs as trusted host code, like the app's own modules:
 * Node loads it (`require`, so `exports` maps and their conditions apply as they do for the
 * app, and an ESM-only package loads through Node 20.19's `require(esm)`), resolved from the
 * scripts folder upwards, once per runner thread; the sandbox gets its exports through vm2's
 * bridge, as it gets a built-in module. `forbiddenModules` applies to what the package requires
 * (`forbidden-guard.ts`).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { ForbiddenModuleError, checkGraph, installGuard, loadingAs, type PackageOwner } from './forbidden-guard.js';

/** A package specifier: a name (`pg`, `@scope/name`) and maybe a subpath, never `.` or `..` segments. */
const SPECIFIER = /^(?:@[\w.-]+\/)?[\w-][\w.-]*(?:\/[\w@+-][\w.@+-]*)*$/;

interface Loaded {
  exports: unknown;
  file: string;
  /** The forbidden lists (joined) the package's module graph was checked against. */
  checked: Set<string>;
}

/** Per thread, so a package loads once per worker whatever the number of scripts and pages. */
const loaded = new Map<string, Loaded>();
const owners = new Map<string, PackageOwner>();
const requires = new Map<string, NodeJS.Require>();

/**
 * The exports of the package `specifier`, resolved as Node resolves a `require` from a file of the
 * scripts folder `root`. Throws an Error saying what went wrong and how to fix it; the sandbox
 * adds which script imported it, and where.
 */
export function loadPackage(specifier: string, root: string, forbidden: readonly string[]): unknown {
  installGuard();
  const name = packageName(specifier);
  if (name === undefined) {
    throw new Error(`'${specifier}' is not a package name: import a package by its name ('pg', '@scope/name/sub').`);
  }
  const owner = ownerFor(name, forbidden);
  const list = [...owner.forbidden].sort().join(',');
  const key = `${root}\0${specifier}`;
  let entry = loaded.get(key);
  if (entry?.checked.has(list)) return entry.exports;
  if (!entry) {
    entry = load(specifier, name, root, owner);
    loaded.set(key, entry);
  }
  // Once per list: the graph may have been in Node's cache before the guard saw it load.
  checkGraph(owner, entry.file, false);
  entry.checked.add(list);
  return entry.exports;
}

function load(specifier: string, name: string, root: string, owner: PackageOwner): Loaded {
  const require = requireFrom(root);
  let file: string;
  try {
    file = require.resolve(specifier);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `Node found no '${specifier}' in the node_modules folders from ${root} upwards: install the ` +
          `package in your app (npm install ${name}).`,
      );
    }
    throw new Error(`the package '${name}' cannot be resolved: ${(error as Error).message}`);
  }
  try {
    return { exports: loadingAs(owner, () => require(specifier)), file, checked: new Set() };
  } catch (error) {
    if (error instanceof ForbiddenModuleError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the package '${name}' failed to load: ${reason}`);
  }
}

/** The package's name: `@scope/name` or `name`, without the subpath; undefined when it is no name. */
function packageName(specifier: string): string | undefined {
  if (!SPECIFIER.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** One owner per package, refusing what any script's list forbids (several apps may share a thread). */
function ownerFor(name: string, forbidden: readonly string[]): PackageOwner {
  let owner = owners.get(name);
  if (!owner) {
    owner = { name, forbidden: new Set() };
    owners.set(name, owner);
  }
  for (const module of forbidden) owner.forbidden.add(module.replace(/^node:/, ''));
  return owner;
}

/** `require` as if from a file of the scripts folder: Node looks in node_modules from there upwards. */
function requireFrom(root: string): NodeJS.Require {
  let require = requires.get(root);
  if (!require) {
    require = createRequire(path.join(root, '__pagewire_scripts__.js'));
    requires.set(root, require);
  }
  return require;
}

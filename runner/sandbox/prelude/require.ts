/**
 * `require` for scripts: relative partials are compiled by the host and run in this sandbox,
 * where they register their factory; Node's built-in modules come from vm2's own `require`, but
 * those the host forbids; any other bare name is an npm package, which the host loads as its own
 * code (`runner/packages/`). Also where the main script registers its per-page factory.
 */
import type { ScriptGlobals } from '../script-globals.js';
import { fromJson } from '../codec.js';
import { absolute, boot, dirnameOf, sandboxGlobals } from './boot.js';
import { outsidePages, trackAcrossAwaits } from './current-page.js';
import { partialError } from './errors.js';
import { trackedModule } from './node-modules.js';

type ScriptFactory = (globals: ScriptGlobals) => unknown;
type ModuleFactory = (
  exports: object,
  require: (specifier: string) => unknown,
  module: { exports: unknown },
  __filename: string,
  __dirname: string,
) => void;

// The prelude runs as a CommonJS module: this is vm2's `require` for the sandbox.
const sandboxRequire = require;
const forbidden = new Set(boot.forbiddenModules);
const builtins = new Set(boot.builtinModules);
/** Packages this sandbox got: imports run on every render, the host is asked once. */
const packages = new Map<string, unknown>();
const modules = new Map<string, { exports: unknown }>();
const moduleFactories = new Map<string, ModuleFactory>();
let scriptFactory: ScriptFactory | undefined;

/** The main script's per-page factory, once its code ran. */
export function mainScriptFactory(): ScriptFactory | undefined {
  return scriptFactory;
}

/** The globals the wrapped code of scripts (compile.ts) calls to register itself. */
export function installRegistration(): void {
  sandboxGlobals.__pagewireScript = (factory: ScriptFactory) => {
    scriptFactory = factory;
  };
  sandboxGlobals.__pagewireModule = (file: string, factory: ModuleFactory) => {
    moduleFactories.set(file, factory);
  };
}

export function makeRequire(fromFile: string): (specifier: string) => unknown {
  return (specifier: string) => {
    if (typeof specifier !== 'string') throw new TypeError('require() needs a module name (a string)');
    if (specifier.startsWith('./') || specifier.startsWith('../')) {
      return loadModule(resolvePartial(fromFile, specifier));
    }
    const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
    if (forbidden.has(bare) || forbidden.has(bare.split('/')[0] as string)) {
      throw new Error(
        `Cannot import '${specifier}' in ${fromFile}: Pagewire scripts may not use ${bare} ` +
          '(it could stop or escape the server). Move that work into the host application.',
      );
    }
    if (!specifier.startsWith('node:') && !builtins.has(specifier)) return loadPackage(specifier, fromFile);
    try {
      // Outside pages, as a package: what loading a module starts is no page's. What a page opens
      // through it later is the page's (node-modules.ts).
      const exports = outsidePages(() => sandboxRequire(specifier));
      return trackedModule(bare, exports);
    } catch (error) {
      if (error instanceof Error && /Cannot find module/.test(error.message)) {
        throw new Error(`Cannot import '${specifier}' in ${fromFile}: it is not a Node built-in module.`);
      }
      throw error;
    }
  };
}

/** An npm package, loaded by the host; its failure named here, so it points at the import line. */
function loadPackage(specifier: string, fromFile: string): unknown {
  if (packages.has(specifier)) return packages.get(specifier);
  let exports: unknown;
  try {
    // Its module-level code runs once per thread: no page's context is captured by what it starts.
    exports = outsidePages(() => boot.loadPackage(specifier));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot import '${specifier}' in ${fromFile}: ${reason}`);
  }
  packages.set(specifier, exports);
  return exports;
}

// Imports run on every render (they sit in the per-page factory): resolve each one once.
const resolved = new Map<string, string>();
function resolvePartial(fromFile: string, specifier: string): string {
  const key = `${fromFile}\0${specifier}`;
  let file = resolved.get(key);
  if (file === undefined) {
    file = boot.resolvePartial(fromFile, specifier);
    if (file.startsWith('!')) throw new Error(file.slice(1));
    resolved.set(key, file);
  }
  return file;
}

function loadModule(file: string): unknown {
  const cached = modules.get(file);
  if (cached) return cached.exports;
  if (!moduleFactories.has(file)) {
    const failed = boot.runPartial(file);
    if (failed !== '') throw partialError(fromJson(failed));
  }
  const factory = moduleFactories.get(file) as ModuleFactory;
  trackAcrossAwaits();
  const module = { exports: {} as unknown };
  // Registered before it runs, as CommonJS does, so import cycles see a partial module.
  modules.set(file, module);
  try {
    const { exports } = module;
    outsidePages(() =>
      factory(exports as object, makeRequire(file), module, absolute(file), absolute(dirnameOf(file))),
    );
  } catch (error) {
    modules.delete(file);
    throw error;
  }
  return module.exports;
}

/**
 * A second wall behind vm2, in threads that run only scripts: the host realm's function
 * constructors, reached through `.constructor`, no longer compile code.
 *
 * Nearly every published vm2 escape ends the same way: a host object leaks into the sandbox
 * (a host error, a host promise), and `leaked.constructor.constructor('return process')()` runs
 * code in the host realm. `x.constructor.constructor` is `Function.prototype.constructor` for any
 * x, and so are the other ways round to it (`Object.getPrototypeOf(f).constructor` for an async,
 * generator or async generator function f). Replacing those four `constructor` properties with
 * stand-ins that throw closes that last step, whatever the leak was. The global `Function` and
 * `eval` stay as they were: host code that compiles code on purpose (`new Function(...)`) still
 * works, and a script cannot reach the host's global object without compiling code first.
 *
 * A stand-in keeps the name and `prototype` of what it replaces, so `f.constructor.name ===
 * 'AsyncFunction'` and `f instanceof g.constructor` still answer as before; only calling it, or
 * `new` on it, throws. Installed in each worker thread, which runs nothing but scripts and the
 * packages they import, and in the CLI's own process; never in an application's process, whose
 * code may build functions this way (template engines do): a library does not change the realm
 * of the app that loads it.
 */

const KINDS: readonly { name: string; sample: () => unknown }[] = [
  { name: 'Function', sample: () => function sample() {} },
  { name: 'AsyncFunction', sample: () => async () => {} },
  { name: 'GeneratorFunction', sample: () => function* sample() {} },
  { name: 'AsyncGeneratorFunction', sample: () => async function* sample() {} },
];

let installed = false;

/** Makes `.constructor` of every kind of host function a stand-in that refuses to compile code. */
export function closeCodeConstructors(): void {
  if (installed) return;
  installed = true;
  for (const { name, sample } of KINDS) {
    const prototype = Object.getPrototypeOf(sample()) as object;
    const real = (prototype as { constructor: { prototype: unknown } }).constructor;
    const standIn = {
      [name]: () => {
        throw new EvalError(
          `${name} reached through .constructor cannot compile code in a thread that runs Pagewire's scripts ` +
            '(this is how sandbox escapes end); host code that compiles code on purpose calls the global Function',
        );
      },
    }[name] as (...args: unknown[]) => never;
    Object.defineProperty(standIn, 'prototype', { value: real.prototype });
    Object.defineProperty(prototype, 'constructor', { value: standIn, writable: false, configurable: false });
  }
}

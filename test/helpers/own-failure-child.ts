// Run in a child process by callback-throws.test.ts: a runner that guards its process (as a worker
// and the CLI do), and a throw in a callback of code that is Pagewire's own (this file lies in the
// package, outside node_modules, as lib/ and runner/ do): the guard must not swallow it.
import { RunnerHarness } from './runner.js';

const harness = new RunnerHarness(process.argv[2] as string);
await harness.render('other.ts');
setImmediate(() => {
  throw new Error('a failure of Pagewire itself');
});

/**
 * `closeCodeConstructors` (runner/code-constructors.ts), in this test's own process: what a
 * leaked host object's `.constructor.constructor` gives is no longer a compiler, and what host
 * code reads of function constructors (their names, `instanceof`, the global `Function`) is as
 * before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeCodeConstructors } from '../../runner/code-constructors.js';

const samples = {
  Function: function sample() {},
  AsyncFunction: async () => {},
  GeneratorFunction: function* sample() {},
  AsyncGeneratorFunction: async function* sample() {},
};

describe('closeCodeConstructors', () => {
  it('compiles through .constructor before, and not after', () => {
    const leaked = new RangeError('a host error a sandbox got hold of');
    assert.equal((leaked.constructor.constructor as FunctionConstructor)('return 42')(), 42);
    closeCodeConstructors();
    closeCodeConstructors(); // twice is once
    for (const [name, sample] of Object.entries(samples)) {
      const standIn = Object.getPrototypeOf(sample).constructor as (code: string) => unknown;
      assert.equal(standIn.name, name);
      assert.throws(() => standIn('return process'), { name: 'EvalError', message: /cannot compile code/ });
      assert.throws(() => Reflect.construct(standIn, ['return process']), TypeError);
      // Host code that tells functions apart by their constructor still can.
      assert.equal(sample.constructor.name, name);
      assert.ok(sample instanceof sample.constructor);
    }
    assert.throws(() => (leaked.constructor.constructor as FunctionConstructor)('return process'), EvalError);
    assert.throws(() => ({}).constructor.constructor('return process'), EvalError);
    // Code that compiles on purpose names the global.
    assert.equal(new Function('return 43')(), 43);
  });
});

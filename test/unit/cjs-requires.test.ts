/**
 * `literalRequires`: what a CommonJS file loaded before the forbidden-module guard requires, read
 * from its source (runner/packages/cjs-requires.ts).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { literalRequires } from '../../runner/packages/cjs-requires.js';
import { scriptsFolder } from '../helpers/fixtures.js';

const folder = scriptsFolder({
  'calls.js': [
    "const fs = require('fs');",
    '// require("child_process") in a comment is no call',
    'const text = "require(\'vm\')";',
    'const lazy = () => require(`worker_threads`);',
    "obj.require('cluster');",
    "require('child' + '_process');",
  ].join('\n'),
  // Not JavaScript acorn can read: every literal require() in the text counts, none slips through.
  'unreadable.js': "require('child_process'); @@@ not javascript",
});
after(() => folder.remove());

describe('literalRequires', () => {
  it('finds the calls of require with a literal name, not the text in comments, strings or methods', () => {
    assert.deepEqual(literalRequires(path.join(folder.dir, 'calls.js')), ['fs', 'worker_threads']);
  });

  it('a file acorn cannot read is read as text: its forbidden requires are still seen', () => {
    assert.deepEqual(literalRequires(path.join(folder.dir, 'unreadable.js')), ['child_process']);
  });
});

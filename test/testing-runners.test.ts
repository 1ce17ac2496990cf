import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { scriptsFolder } from './helpers/fixtures.js';
import { installPacked, npmMissing, personEnv, runToEnd } from './helpers/packed-package.js';

// pagewire/testing under the three runners its README names, in one project that installed the
// packed package with its production dependencies only: `pagewire init`'s example test as it is
// (node:test), and as the README says to write it for Vitest and for Jest. Each must pass, and
// fail on a wrong expectation: a runner that ran nothing, or hid a failure, is caught.

const root = path.join(import.meta.dirname, '..');

/** `pagewire init`'s test, with `test` and `expect` taken from `from`, as the README says. */
function underRunner(nodeTest: string, from: string): string {
  const imports = "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\n";
  assert.ok(nodeTest.includes(imports), `init's example no longer starts its imports with:\n${imports}`);
  const converted = nodeTest
    .replace(imports, `import { expect, test } from '${from}';\n`)
    .replaceAll(/assert\.equal\((.+), ('[^']*')\);/g, 'expect($1).toBe($2);');
  assert.doesNotMatch(converted, /assert\.|from 'node:test'/, `left for node:test only:\n${converted}`);
  return converted;
}

/**
 * Each runner: its test file, the command a person types (`--testTimeout`: Vitest and Jest give
 * a test 5 s, which opening a page and clicking can outlast on a loaded machine; the README says
 * so), and what its report says when the one test passed or failed.
 */
const RUNNERS = [
  {
    name: 'node:test',
    file: 'index.test.mjs',
    from: undefined,
    command: ['--test', 'scripts/index.test.mjs'],
    env: {},
    passed: /^# pass 1\n# fail 0$/m,
    failed: /^# pass 0\n# fail 1$/m,
    expectation: /'2' !== '3'/,
  },
  {
    name: 'Vitest',
    file: 'index.vitest.test.mjs',
    from: 'vitest',
    command: ['node_modules/vitest/vitest.mjs', 'run', 'scripts/index.vitest.test.mjs', '--testTimeout=60000'],
    env: {},
    passed: /^ *Tests +1 passed \(1\)$/m,
    failed: /^ *Tests +1 failed \(1\)$/m,
    expectation: /AssertionError: expected '2' to be '3'/,
  },
  {
    name: 'Jest (ESM)',
    file: 'index.jest.test.mjs',
    from: '@jest/globals',
    // Its cache in the project, removed with it, rather than in the machine's temporary folder.
    command: [
      'node_modules/jest/bin/jest.js',
      'scripts/index.jest.test.mjs',
      '--testTimeout=60000',
      '--cacheDirectory=.jest',
    ],
    env: { NODE_OPTIONS: '--experimental-vm-modules' },
    passed: /^Tests: +1 passed, 1 total$/m,
    failed: /^Tests: +1 failed, 1 total$/m,
    expectation: /Expected: "3"\n\s*Received: "2"/,
  },
] as const;

describe('pagewire/testing under node:test, Vitest and Jest, as a project installs them', {
  timeout: 300_000,
  concurrency: true,
  skip: npmMissing && `npm is not available (${npmMissing.message})`,
}, () => {
  // As the README says: Jest with no transform (the test files are ES modules Node runs as they are).
  const project = scriptsFolder({
    'app/package.json': JSON.stringify({ name: 'app', private: true, jest: { transform: {} } }, null, 2),
  });
  const app = path.join(project.dir, 'app');
  after(() => project.remove());

  before(async () => {
    installPacked(project.dir, app);
    // The runners, as the project would have installed them beside pagewire: links to this
    // repository's, which resolve their own dependencies from here.
    for (const name of ['vitest', 'jest', '@jest/globals']) {
      mkdirSync(path.dirname(path.join(app, 'node_modules', name)), { recursive: true });
      symlinkSync(path.join(root, 'node_modules', name), path.join(app, 'node_modules', name), 'dir');
    }
    const init = await runToEnd(process.execPath, ['node_modules/.bin/pagewire', 'init'], app);
    assert.equal(init.code, 0, init.output);
    const nodeTest = readFileSync(path.join(app, 'scripts', 'index.test.mjs'), 'utf8');
    for (const runner of RUNNERS) {
      if (runner.from) writeFileSync(path.join(app, 'scripts', runner.file), underRunner(nodeTest, runner.from));
    }
  });

  for (const runner of RUNNERS) {
    it(`${runner.name} runs init's example: it passes, and a wrong expectation fails it`, async () => {
      const env = { ...personEnv, ...runner.env };
      const passes = await runToEnd(process.execPath, runner.command, app, env);
      const passed = stripVTControlCharacters(passes.output);
      assert.equal(passes.code, 0, passed);
      assert.match(passed, runner.passed, passed);

      // The page counts 2 clicks: expecting 3 must fail the run, and say why.
      const file = path.join(app, 'scripts', runner.file);
      const test = readFileSync(file, 'utf8');
      assert.equal(test.split("'2')").length, 2, `one expectation of '2' in ${runner.file}:\n${test}`);
      writeFileSync(file, test.replace("'2')", "'3')"));
      const fails = await runToEnd(process.execPath, runner.command, app, env);
      const failed = stripVTControlCharacters(fails.output);
      assert.equal(fails.code, 1, failed);
      assert.match(failed, runner.failed, failed);
      assert.match(failed, runner.expectation, failed);
    });
  }
});

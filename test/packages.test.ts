import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunnerToHost } from '../runner/messages.js';
import { appFolder } from './helpers/fixtures.js';
import { RunnerHarness } from './helpers/runner.js';
import { joinPage, renderLive, startServer } from './helpers/server.js';

type Of<T extends RunnerToHost['type']> = Extract<RunnerToHost, { type: T }>;

/** Fixture packages, in the app's node_modules above the scripts folder. */
const PACKAGES = {
  // CommonJS, reaching child_process only when a function is called.
  'cjs-lazy': {
    'package.json': '{ "name": "cjs-lazy", "main": "lib/index.js" }',
    'lib/index.js': "exports.ok = 'loaded';\nexports.spawnLater = () => require('child_process').spawn;\n",
  },
  // ESM only (an `exports` map), importing node:child_process through a file of its own.
  'esm-bad': {
    'package.json': '{ "name": "esm-bad", "type": "module", "exports": { ".": "./index.js" } }',
    'index.js': "export { run } from './run.js';\n",
    'run.js': "import { spawn } from 'node:child_process';\nexport const run = () => spawn;\n",
  },
  broken: { 'package.json': '{ "name": "broken" }', 'index.js': "throw new Error('broken on purpose');\n" },
  // Counts its loads in the thread's global object: a package loads once per thread.
  counter: {
    'package.json': '{ "name": "counter" }',
    'index.js':
      'globalThis.__pagewireCounterLoads = (globalThis.__pagewireCounterLoads || 0) + 1;\n' +
      'exports.loads = () => globalThis.__pagewireCounterLoads;\n',
  },
  spinner: { 'package.json': '{ "name": "spinner" }', 'index.js': 'exports.spin = () => { for (;;) {} };\n' },
  // ESM, importing through its `imports` map a package whose `import` condition (what Node loads
  // for an ES module) reaches child_process, and whose `require` condition does not.
  'esm-hash': {
    'package.json':
      '{ "name": "esm-hash", "type": "module", "exports": "./index.js", "imports": { "#spawner": "dual" } }',
    'index.js': "export { run } from '#spawner';\n",
  },
  dual: {
    'package.json': '{ "name": "dual", "exports": { "import": "./esm.mjs", "require": "./cjs.cjs" } }',
    'esm.mjs': "import { spawn } from 'node:child_process';\nexport const run = () => spawn;\n",
    'cjs.cjs': "exports.run = () => 'clean';\n",
  },
  // Its module-level code starts a timer, which calls back into the importing script's code.
  ticker: {
    'package.json': '{ "name": "ticker" }',
    'index.js':
      'let listener;\nexports.listen = (fn) => { listener = fn; };\n' +
      "exports.ticked = new Promise((resolve) => setTimeout(() => resolve(listener ? listener() : 'none'), 0));\n",
  },
  // CommonJS, requiring child_process as it loads: the app requires it before Pagewire starts.
  spawny: {
    'package.json': '{ "name": "spawny" }',
    'index.js':
      "// require('fs') in a comment is no require\nconst { spawn } = require('child_process');\n" +
      'exports.run = () => spawn;\n',
  },
};

const SCRIPTS = {
  'ids.ts': `import { nanoid } from 'nanoid';
import { format } from 'date-fns';
import { label } from './_label.js';
import { year } from './_year.cjs';
import { kind } from './_kind.mjs';
const day = new Date(2024, 0, 2);
echo([nanoid().length, format(day, 'yyyy-MM-dd'), label(day), year(day), kind].join(' '));
`,
  '_label.js': `import { format } from 'date-fns';
import { customAlphabet } from 'nanoid';
export function label(date) {
  return format(date, 'd MMM') + ':' + customAlphabet('ab', 6)().replace(/[ab]/g, '').length;
}
`,
  '_year.cjs': "const { getYear } = require('date-fns');\nexports.year = (date) => getYear(date);\n",
  '_kind.mjs': "export const kind = 'mjs';\n",
  'missing.ts': "echo('before');\nimport { x } from 'no-such-package';\necho(x);\n",
  'broken.ts': "import 'broken';\necho('never');\n",
  'esm-bad.ts': "echo('x');\n\nimport { run } from 'esm-bad';\necho(String(run));\n",
  'lazy.ts': `import { ok, spawnLater } from 'cjs-lazy';
echo(ok);
function __serverSocketEvent(name: string) {
  if (name === 'spawn') spawnLater();
}
`,
  'counter-a.ts': "import { loads } from 'counter';\necho(String(loads()));\n",
  'counter-b.ts': "import { loads } from 'counter';\necho(String(loads()));\n",
  'spin.ts': "import { spin } from 'spinner';\necho('spin');\nfunction __serverSocketEvent() { spin(); }\n",
  'fine.ts': "echo('fine');\n",
  'ticker.ts':
    "import { readPath } from './_reader.ts';\nimport { listen, ticked } from 'ticker';\n" +
    'listen(readPath);\necho(await ticked);\n',
  '_reader.ts': `export function readPath(): string {
  try {
    return 'in page ' + request.path;
  } catch (error) {
    return (error as Error).message;
  }
}
`,
  // JavaScript partials the router would serve as static files: refused.
  'public-js.ts': "import { x } from './util.js';\necho(x);\n",
  'util.js': "export const x = 'served';\n",
  'public-folder.ts': "echo('x');\nimport { y } from './helpers';\necho(y);\n",
  'helpers/index.js': "export const y = 'served';\n",
  'esm-hash.ts': "import { run } from 'esm-hash';\necho(typeof run);\n",
  'spawny.ts': "import { run } from 'spawny';\necho(typeof run);\n",
  // vm2 requires `vm`; the thread loaded vm2 (to run scripts) before any script imported a package.
  'vm2.ts': "import { NodeVM } from 'vm2';\necho(typeof NodeVM);\n",
};

const app = appFolder({ scripts: SCRIPTS, packages: PACKAGES, linked: ['nanoid', 'date-fns', 'vm2'] });
after(() => app.remove());
// The app requires spawny itself, before it creates Pagewire (here, before any runner exists):
// Pagewire's guard never sees spawny require child_process.
createRequire(path.join(app.dir, 'app.js'))('spawny');

const SPAWNY_REFUSED = new RegExp(
  "^Cannot import 'spawny' in spawny\\.ts: the package 'spawny' needs the module 'child_process' " +
    '\\(required by \\S+spawny[/\\\\]index\\.js\\)',
);
const VM2_REFUSED = new RegExp(
  "^Cannot import 'vm2' in vm2\\.ts: the package 'vm2' needs the module '(?:vm|module)' " +
    '\\(required by \\S+vm2[/\\\\]lib[/\\\\]\\S+\\.js\\)',
);

describe('npm packages in scripts', () => {
  const harness = new RunnerHarness(app.scripts);
  after(() => harness.runner.close());

  async function failed(script: string): Promise<Of<'render-failed'>['error']> {
    const { result } = await harness.render(script);
    assert.equal(result.type, 'render-failed', JSON.stringify(result));
    return (result as Of<'render-failed'>).error;
  }

  it('imports ESM-only nanoid and date-fns in a script and in .js, .cjs and .mjs partials', async () => {
    const { result } = await harness.render('ids.ts');
    assert.equal(result.type, 'rendered', JSON.stringify(result));
    assert.equal((result as Of<'rendered'>).body, '21 2024-01-02 2 Jan:0 2024 mjs');
  });

  it('loads a package once per thread, whatever the number of scripts and pages', async () => {
    for (const script of ['counter-a.ts', 'counter-b.ts', 'counter-a.ts', 'counter-b.ts']) {
      const { result } = await harness.render(script);
      assert.equal((result as Of<'rendered'>).body, '1', script);
    }
  });

  it('a missing package: the package, the script and the import line, and how to install it', async () => {
    const error = await failed('missing.ts');
    assert.match(error.message, /^Cannot import 'no-such-package' in missing\.ts: Node found no 'no-such-package'/);
    assert.match(error.message, /npm install no-such-package/);
    assert.deepEqual([error.file, error.line], ['missing.ts', 2]);
  });

  it('a package that throws as it loads: named, with its own message', async () => {
    const error = await failed('broken.ts');
    assert.match(error.message, /Cannot import 'broken' in broken\.ts: the package 'broken' failed to load: broken on/);
    assert.deepEqual([error.file, error.line], ['broken.ts', 1]);
  });

  it('an ESM package importing a forbidden module is refused before it runs', async () => {
    const error = await failed('esm-bad.ts');
    assert.match(
      error.message,
      new RegExp(
        "^Cannot import 'esm-bad' in esm-bad\\.ts: the package 'esm-bad' needs the module 'child_process' " +
          '\\(required by \\S+esm-bad[/\\\\]run\\.js\\)',
      ),
    );
    assert.deepEqual([error.file, error.line], ['esm-bad.ts', 3]);
  });

  it("a package's module-level code runs outside any page, not in the importing page's", async () => {
    const { result } = await harness.render('ticker.ts', { path: '/ticker' });
    assert.equal(result.type, 'rendered', JSON.stringify(result));
    assert.match((result as Of<'rendered'>).body, /^request is used outside any page\./);
  });

  it('a JavaScript partial the router would serve as a static file is refused, saying how to fix it', async () => {
    const file = await failed('public-js.ts');
    assert.match(file.message, /^Cannot import '\.\/util\.js' in public-js\.ts: util\.js is served to anyone as a/);
    assert.match(file.message, /rename util\.js to _util\.js, or move it into a folder whose name starts with _/);
    assert.deepEqual([file.file, file.line], ['public-js.ts', 1]);
    const folder = await failed('public-folder.ts');
    assert.match(folder.message, /: helpers\/index\.js is served to anyone .*rename helpers to _helpers,/);
    assert.deepEqual([folder.file, folder.line], ['public-folder.ts', 2]);
  });

  it('a package the app loaded first, requiring a forbidden module as it loaded, is refused', async () => {
    const error = await failed('spawny.ts');
    assert.match(error.message, SPAWNY_REFUSED);
    assert.deepEqual([error.file, error.line], ['spawny.ts', 1]);
  });

  it('a package the thread loaded before (vm2, which requires vm and module) is refused', async () => {
    assert.match((await failed('vm2.ts')).message, VM2_REFUSED);
  });

  it("an ES module's import is checked with import conditions, as Node loads it", async () => {
    const error = await failed('esm-hash.ts');
    assert.match(error.message, /the package 'esm-hash' needs the module 'child_process' \(required by \S+esm\.mjs\)/);
  });

  it('a CommonJS package requiring a forbidden module later, in a function, is refused then', async () => {
    const { pageId, result } = await harness.render('lazy.ts');
    assert.equal((result as Of<'rendered'>).body, 'loaded');
    harness.event(pageId, 'spawn');
    const reported = await harness.next(
      (m): m is Of<'script-error'> => m.type === 'script-error' && m.pageId === pageId,
    );
    assert.match(
      reported.error.message,
      /the package 'cjs-lazy' needs the module 'child_process' \(required by \S+cjs-lazy[/\\]lib[/\\]index\.js\)/,
    );
    // Thrown by host code, under the script's call: the script's line is where it points.
    assert.deepEqual([reported.error.file, reported.error.line], ['lazy.ts', 4]);
  });
});

describe('npm packages in worker threads', () => {
  it('load once per worker, and a package stuck in a loop is stopped by the watchdog', async () => {
    const server = await startServer({ dir: app.scripts, workers: 1, watchdogTimeout: 2000 });
    try {
      for (const script of ['counter-a', 'counter-b', 'counter-a']) {
        assert.equal(await (await fetch(`${server.url}/${script}`)).text(), '1');
      }
      const spin = await renderLive(server.url, '/spin');
      const client = await joinPage(server.origin, spin.pageId, spin.cookie);
      client.event(spin.pageId, 'go');
      assert.equal((await client.next((f) => f.t === 'closed')).reason, 'crashed');
      await client.close();
      // The server answers, from a new worker, which loads the package again (once).
      assert.equal(await (await fetch(`${server.url}/fine`)).text(), 'fine');
      assert.equal(await (await fetch(`${server.url}/counter-b`)).text(), '1');
      assert.ok(server.log.lines.some((line) => line.includes('worker stopped and replaced')));
    } finally {
      await server.close();
    }
  });

  it('a package the worker loaded before a script imported one (vm2: vm, module) is refused', async () => {
    const server = await startServer({ dir: app.scripts, workers: 1, dev: true });
    try {
      const answer = await fetch(`${server.url}/vm2`);
      assert.equal(answer.status, 500);
      assert.match(await answer.text(), /the package &#39;vm2&#39; needs the module &#39;(?:vm|module)&#39;/);
    } finally {
      await server.close();
    }
  });
});

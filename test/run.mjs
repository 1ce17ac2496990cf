// Runs the test files under test/ with Node's test runner: every file, or those whose name
// contains one of the arguments (`node test/run.mjs cli socket`). Node 20 expands no globs and,
// given no file, passes with zero tests: this script lists the files and fails if a name
// matches none.
//
// Scripts run in worker threads by default. `workers: 0` (scripts in the server's thread) must
// behave the same, so the suites that drive a whole server run a second time in that mode.
//
// Some tests run the package as it is installed (the CLI, an app importing 'pagewire'): they need
// dist/. It is built first when it is missing or older than a source file, so a fresh clone
// (even one installed with --ignore-scripts) and a clone with edited sources test what they hold.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const IN_THREAD_TOO = [
  'http',
  'socket',
  'faults',
  'limits',
  'hot-reload',
  'browser',
  'dev-error-page',
  'identity',
  'packages',
  // The done signal and latest wins go through both runners' mailboxes.
  'busy-states-browser',
  'latest-wins-browser',
  'declarative-fields-browser',
  // Upload events reach a script through both runners' mailboxes.
  'uploads-hostile',
];
/** What `npm run build` compiles into dist/ (see package.json and tsconfig.build.json). */
const BUILD_INPUTS = [
  'lib',
  'runner',
  'client',
  'protocol',
  'tools',
  'package.json',
  'tsconfig.base.json',
  'tsconfig.build.json',
];

const only = process.argv.slice(2);
const all = readdirSync(path.join(root, 'test'), { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => path.join('test', file))
  .sort();
const matching = (names) => all.filter((file) => names.some((name) => path.basename(file).includes(name)));
const unmatched = only.filter((name) => matching([name]).length === 0);
if (all.length === 0 || unmatched.length > 0) {
  const names = unmatched.length > 0 ? unmatched.join(', ') : 'anything';
  console.error(`test/run.mjs: no test file under test/ matches ${names}`);
  process.exit(1);
}
const files = only.length === 0 ? all : matching(only);

buildIfStale();

// The client and the sandbox prelude run from their bundles in dist/, from source too: bundle
// them first (a fraction of a second), so that no test runs a stale bundle.
const bundled = spawnSync(process.execPath, ['tools/bundle.mjs'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (bundled.status !== 0) process.exit(bundled.status ?? 1);

let status = run(files);
if (only.length === 0 && !process.env.PAGEWIRE_TEST_WORKERS) {
  const inThread = all.filter((file) => IN_THREAD_TOO.some((name) => path.basename(file) === `${name}.test.ts`));
  if (inThread.length !== IN_THREAD_TOO.length) {
    console.error(`test/run.mjs: expected ${IN_THREAD_TOO.join(', ')} under test/, found ${inThread.join(', ')}`);
    process.exit(1);
  }
  console.log(`\n# again, with scripts in the server's thread (workers: 0): ${inThread.join(' ')}`);
  const second = run(inThread, { PAGEWIRE_TEST_WORKERS: '0' });
  const outcome = (code) => (code === 0 ? 'passed' : 'FAILED');
  const modes = `${outcome(status)} with scripts in worker threads, ${outcome(second)} in the server's thread`;
  console.log(`\n# test/run.mjs: ${modes}`);
  status ||= second;
}
process.exit(status);

/** Runs `list` in one `node --test`; its exit status (1 when it could not run or was killed). */
function run(list, env = {}) {
  const options = { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } };
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...list], options);
  if (child.error) console.error(`test/run.mjs: could not run node --test: ${child.error.message}`);
  if (child.signal) console.error(`test/run.mjs: node --test was killed by ${child.signal}`);
  return child.status ?? 1;
}

/** `npm run build` when dist/ is missing or a build input changed after it was built. */
function buildIfStale() {
  const dist = path.join(root, 'dist');
  // The build empties dist/ first: its oldest file is when the last build started.
  const oldest = existsSync(dist) ? oldestFile(dist) : Infinity;
  const built = Number.isFinite(oldest) ? oldest : undefined;
  const changed = Math.max(...BUILD_INPUTS.map((input) => newestFile(path.join(root, input))));
  if (built !== undefined && built >= changed) return;
  console.log(`# test/run.mjs: dist/ is ${built === undefined ? 'missing' : 'older than its sources'}: npm run build`);
  const options = { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' };
  const build = spawnSync('npm', ['run', 'build'], options);
  if (build.status !== 0) {
    const why = build.error ? `: ${build.error.message}` : '';
    console.error(`test/run.mjs: npm run build failed${why}; the tests need dist/`);
    process.exit(1);
  }
}

/** Latest modification time (ms) of a file, or of any file under a folder; 0 when there is none. */
function newestFile(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(entry).map((name) => newestFile(path.join(entry, name))));
}

/** Earliest modification time (ms) of a file under a folder; Infinity when there is none. */
function oldestFile(entry) {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.min(Infinity, ...readdirSync(entry).map((name) => oldestFile(path.join(entry, name))));
}

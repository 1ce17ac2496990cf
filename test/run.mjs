// Runs every test file under test/ with Node's test runner. Node 20 expands no globs and,
// given no file, passes with zero tests: this script lists the files and fails if none.
//
// Scripts run in worker threads by default. `workers: 0` (scripts in the server's thread) must
// behave the same, so the suites that drive a whole server run a second time in that mode.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const IN_THREAD_TOO = ['http', 'socket', 'faults', 'limits', 'hot-reload', 'browser'];

const only = process.argv.slice(2);
const all = readdirSync(path.join(root, 'test'), { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => path.join('test', file))
  .sort();
const matching = (names) => all.filter((file) => names.some((name) => path.basename(file).includes(name)));
const files = only.length === 0 ? all : matching(only);
if (files.length === 0) {
  console.error(`no test file found${only.length ? ` matching ${only.join(', ')}` : ''} under test/`);
  process.exit(1);
}

const run = (list, env = {}) => spawnSync(process.execPath, ['--import', 'tsx', '--test', ...list], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

// The client and the sandbox prelude run from their bundles in dist/, from source too: bundle
// them first (a fraction of a second), so that no test runs a stale bundle.
const bundled = spawnSync(process.execPath, ['tools/bundle.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (bundled.status !== 0) process.exit(bundled.status ?? 1);

let status = run(files);
if (only.length === 0 && !process.env.PAGEWIRE_TEST_WORKERS) {
  const inThread = matching(IN_THREAD_TOO);
  if (inThread.length !== IN_THREAD_TOO.length) {
    console.error(`test/run.mjs: expected ${IN_THREAD_TOO.join(', ')} under test/, found ${inThread.join(', ')}`);
    process.exit(1);
  }
  console.log(`\n# again, with scripts in the server's thread (workers: 0): ${inThread.join(' ')}`);
  const second = run(inThread, { PAGEWIRE_TEST_WORKERS: '0' });
  status ||= second;
}
process.exit(status);

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..', '..');

/**
 * This run's environment, without what would make a child act for this run rather than as a
 * person's shell: under `npm test`, npm_config_local_prefix names this folder, and an install
 * would land here; NODE_OPTIONS carries this run's loaders; NODE_TEST_CONTEXT makes a `node --test`
 * of theirs report to this run rather than print its summary.
 */
export const personEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|NODE_OPTIONS$|NODE_TEST_CONTEXT$)/i.test(name)),
);

/** Why npm cannot run here, or undefined when it can. */
export const npmMissing: Error | undefined = spawnSync('npm', ['--version'], {
  env: personEnv,
  encoding: 'utf8',
}).error;

/** Runs npm in `cwd` to its end; its output. Fails the test, with npm's errors, when npm does. */
export function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, env: personEnv, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  assert.equal(result.status, 0, `npm ${args.join(' ')} (in ${cwd}) failed:\n${result.stderr}`);
  return result.stdout;
}

/**
 * Packs this repository into `work` and installs the tarball into the project `app` with its
 * production dependencies only, as `npm install pagewire` would; the files the tarball holds.
 */
export function installPacked(work: string, app: string): string[] {
  // Packed from the dist/ this run built, without `prepare`: it would rebuild dist/ under the
  // tests running beside this one.
  const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root);
  const [tarball] = JSON.parse(packed) as [{ filename: string; files: Array<{ path: string }> }];
  const install = ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'];
  npm([...install, path.join(work, tarball.filename)], app);
  return tarball.files.map((file) => file.path);
}

/** Runs a program to its end in `cwd`, as a person's shell would: its exit code and all it printed. */
export function runToEnd(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = personEnv,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { cwd, env });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

import { cpSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temporary scripts folder with the given files; `remove()` deletes it. */
export function scriptsFolder(files: Record<string, string>): {
  dir: string;
  write(name: string, text: string): void;
  remove(): void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'pagewire-test-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const repoModules = path.join(import.meta.dirname, '..', '..', 'node_modules');

/**
 * A temporary app: `scripts/` with the given files, and `node_modules/` above it, as in a real
 * app, holding the given packages (file -> text, under their name) and links to real packages of
 * this repository (`pg`, `nanoid`, ...), which Node follows to the repository's node_modules.
 */
export function appFolder(options: {
  scripts: Record<string, string>;
  packages?: Record<string, Record<string, string>>;
  linked?: string[];
}): { dir: string; scripts: string; remove(): void } {
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(options.scripts)) files[`scripts/${name}`] = text;
  for (const [name, packageFiles] of Object.entries(options.packages ?? {})) {
    for (const [file, text] of Object.entries(packageFiles)) files[`node_modules/${name}/${file}`] = text;
  }
  const app = scriptsFolder(files);
  const scripts = path.join(app.dir, 'scripts');
  mkdirSync(scripts, { recursive: true });
  for (const name of options.linked ?? []) {
    const link = path.join(app.dir, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(repoModules, name), link, 'dir');
  }
  return { dir: app.dir, scripts, remove: app.remove };
}

/**
 * A copy of sample-scripts/ in a temporary folder: the samples write beside themselves (notes.ts
 * keeps its notes in _data/), and no test writes into the repository.
 */
export function sampleScripts(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pagewire-samples-'));
  const samples = path.join(import.meta.dirname, '..', '..', 'sample-scripts');
  // Without what an earlier run may have left beside the samples (it is in .gitignore).
  const ours = (source: string) => path.relative(samples, source).split(path.sep)[0] !== '_data';
  cpSync(samples, dir, { recursive: true, filter: ours });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A logger that keeps every line, for assertions on what was logged. */
export function memoryLogger(): {
  lines: string[];
  debug(m: string): void;
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
} {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/**
 * How long a wait may last before it is reported as a failure. Only a report, for something that
 * would otherwise hang: never what a test checks, so it is generous (a loaded machine is slow).
 */
export const FAILURE_REPORT_MS = 30_000;

// Taken when this module loads: a test that fakes the clock (`mock.timers`) still gets its own
// waits and their failure reports.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** A promise that resolves after `ms` of real time, whatever clock a test fakes. */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

/** Calls `onTimeout` after `ms` of real time, unless cancelled; returns the cancel function. */
export function realTimeout(ms: number, onTimeout: () => void): () => void {
  const timer = realSetTimeout(onTimeout, ms);
  return () => realClearTimeout(timer);
}

/**
 * Resolves when `check()` is true, polling (the poll is how it waits, not a deadline); rejects
 * with `what` after `timeoutMs`, as a failure report.
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = FAILURE_REPORT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await realDelay(10);
  }
}

/** `waitFor` with an asynchronous check (an HTTP request, say). */
export async function waitForAsync(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = FAILURE_REPORT_MS,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await realDelay(20);
  }
}

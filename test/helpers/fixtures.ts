import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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

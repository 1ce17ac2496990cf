// Where a bench run's figures go: the table on stdout, and a JSON file of the run.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Figure, formatTable } from './figures.js';

export interface ReportSettings {
  mode: 'full' | 'quick' | 'smoke';
  /** `--only <part>`: a run of that part alone keeps its own file, `<part>.json`. */
  only: string | undefined;
  /** `--out DIR`, or undefined: bench/results, or a new temporary folder for a smoke run. */
  out: string | undefined;
  root: string;
}

/** Prints the table and writes the results with the machine they were measured on. */
export function report(figures: Figure[], { mode, only, out, root }: ReportSettings): void {
  console.log(formatTable(figures));
  const machine = {
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    cpu: os.cpus()[0]?.model,
  };
  // latest.json is a full run's: a shorter run keeps its own file, and the smoke run stays out of
  // the repository.
  const outDir =
    out ??
    (mode === 'smoke' ? mkdtempSync(path.join(os.tmpdir(), 'pagewire-bench-')) : path.join(root, 'bench/results'));
  mkdirSync(outDir, { recursive: true });
  const output = path.join(outDir, `${only ?? (mode === 'full' ? 'latest' : mode)}.json`);
  writeFileSync(output, JSON.stringify({ date: new Date().toISOString(), mode, machine, figures }, null, 2));
  console.log(`written to ${path.relative(process.cwd(), output)}`);
}

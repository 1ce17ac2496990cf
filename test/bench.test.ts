import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.join(import.meta.dirname, '..');

describe('benchmarks (smoke: npm run bench -- --quick)', () => {
  it('runs every figure against its baseline and writes the results', () => {
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/run.ts', '--quick'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^\| figure \| value \| baseline \| ratio \| target \| met \|$/m);
    const { quick, machine, figures } = JSON.parse(readFileSync(path.join(root, 'bench/results/quick.json'), 'utf8')) as {
      quick: boolean;
      machine: { cores: number; node: string };
      figures: Array<{ name: string; value: number; ratio?: number }>;
    };
    assert.equal(quick, true);
    assert.ok(machine.cores > 0 && machine.node.startsWith('v'));
    for (const name of ['render, mounted in Express', 'render, pagewire serve', 'event round trip p50', 'event round trip p50 against Socket.IO', 'event round trip p50 through a worker thread', 'render, pagewire serve with 2 workers', 'round trip p99 of a page while a script in another worker loops', 'memory per idle live page', 'broadcast to', 'first render of a new script', 'hot reload p50', 'heap growth across edits']) {
      const figure = figures.find((f) => f.name.startsWith(name));
      assert.ok(figure, `${name} is measured`);
      assert.ok(Number.isFinite(figure.value), `${name}: ${figure.value}`);
    }
  });
});

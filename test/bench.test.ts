import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatTable, judgeRatio, judgeValue, type Figure } from '../bench/figures.js';

const root = path.join(import.meta.dirname, '..');

describe('bench: the verdict on a figure', () => {
  const notMeasured = { ratio: undefined, verdict: 'not measured' };

  it('a ratio to a baseline that was not measured is no ratio, and its target is not measured, never met', () => {
    // PHP not installed: its requests per second are NaN (once, 0 gave Infinity and `met`).
    for (const baseline of [Number.NaN, undefined, 0, Number.POSITIVE_INFINITY]) {
      assert.deepEqual(judgeRatio(10_000, baseline, { is: 'at least', limit: 1.5 }), notMeasured, String(baseline));
      assert.deepEqual(judgeRatio(10_000, baseline), { ratio: undefined }, String(baseline));
    }
    // Nor is a value that was not measured.
    assert.deepEqual(judgeRatio(Number.NaN, 100, { is: 'at most', limit: 1.3 }), notMeasured);
  });

  it('a measured ratio is met or missed at its bound', () => {
    assert.deepEqual(judgeRatio(150, 100, { is: 'at least', limit: 1.5 }), { ratio: 1.5, verdict: 'met' });
    assert.deepEqual(judgeRatio(149, 100, { is: 'at least', limit: 1.5 }), { ratio: 1.49, verdict: 'missed' });
    assert.deepEqual(judgeRatio(130, 100, { is: 'at most', limit: 1.3 }), { ratio: 1.3, verdict: 'met' });
    assert.deepEqual(judgeRatio(131, 100, { is: 'at most', limit: 1.3 }), { ratio: 1.31, verdict: 'missed' });
    assert.deepEqual(judgeRatio(99, 100, { is: 'below', limit: 1 }), { ratio: 0.99, verdict: 'met' });
    assert.deepEqual(judgeRatio(100, 100, { is: 'below', limit: 1 }), { ratio: 1, verdict: 'missed' });
    assert.deepEqual(judgeRatio(50, 100), { ratio: 0.5 });
  });

  it('a value is judged against its bound only when it was measured', () => {
    assert.equal(judgeValue(50, { is: 'at most', limit: 50 }), 'met');
    assert.equal(judgeValue(50.1, { is: 'at most', limit: 50 }), 'missed');
    assert.equal(judgeValue(99.9, { is: 'below', limit: 100 }), 'met');
    assert.equal(judgeValue(100, { is: 'below', limit: 100 }), 'missed');
    for (const value of [Number.NaN, undefined, Number.POSITIVE_INFINITY]) {
      assert.equal(judgeValue(value, { is: 'at most', limit: 50 }), 'not measured');
    }
  });

  it('the table says "not measured" for what was not, and yes or no for the rest', () => {
    const php = judgeRatio(1e4, Number.NaN, { is: 'at least', limit: 1.5 });
    const trip = judgeRatio(18, 16, { is: 'at most', limit: 1.3 });
    const reload = judgeValue(200, { is: 'at most', limit: 150 });
    const figures: Figure[] = [
      { name: 'render', value: 1e4, unit: 'req/s', baseline: { name: 'PHP', value: NaN }, target: '>= 1.5x', ...php },
      { name: 'trip', value: 18, unit: 'µs', baseline: { name: 'ws', value: 16 }, target: '<= 1.3x', ...trip },
      { name: 'reload', value: 200, unit: 'ms', target: '<= 150 ms', verdict: reload },
    ];
    assert.deepEqual(formatTable(figures).split('\n'), [
      '| figure | value | baseline | ratio | target | met |',
      '| --- | --- | --- | --- | --- | --- |',
      '| render | 10000 req/s | PHP: not measured |  | >= 1.5x | not measured |',
      '| trip | 18 µs | ws: 16 | 1.13x | <= 1.3x | yes |',
      '| reload | 200 ms |  |  | <= 150 ms | no |',
    ]);
  });
});

describe('benchmarks (smoke: npm run bench -- --smoke)', () => {
  it('every benchmark starts and gives its figure; the results go where they are told, not into the repository', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pagewire-bench-test-'));
    const results = path.join(root, 'bench/results');
    const stamp = (file: string) => `${file} ${statSync(path.join(results, file)).mtimeMs}`;
    const listing = () => (existsSync(results) ? readdirSync(results).map(stamp) : []);
    const before = listing();
    try {
      const args = ['--expose-gc', '--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out];
      // The timeout only reports a run that hangs.
      const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /^\| figure \| value \| baseline \| ratio \| target \| met \|$/m);
      const { mode, machine, figures } = JSON.parse(readFileSync(path.join(out, 'smoke.json'), 'utf8')) as {
        mode: string;
        machine: { cores: number; node: string };
        figures: Figure[];
      };
      assert.equal(mode, 'smoke');
      assert.ok(machine.cores > 0 && machine.node.startsWith('v'));
      const names = [
        'browser client, minified and gzipped',
        'bytes per page.view update, a 200-item todo list',
        'bytes per page.view update, a one-line counter',
        'render, mounted in Express',
        'render, pagewire serve',
        'event round trip p50',
        'event round trip p50 against Socket.IO',
        'event round trip p50 through a worker thread',
        'render, pagewire serve with 2 workers',
        'render, pagewire serve --processes 1',
        'render, pagewire serve --processes 2',
        'render, pagewire serve --processes auto',
        'render, pagewire serve --processes 2 vs --processes 1',
        'chat post to ',
        "a killed process's ",
        'render, 1 Pagewire node (--workers 1 each) behind nginx',
        'render, 2 Pagewire nodes (--workers 1 each) behind nginx',
        'render, 4 Pagewire nodes (--workers 1 each) behind nginx',
        'chat post to 20 pages over 1 Pagewire node',
        'chat post to 20 pages over 2 Pagewire nodes',
        'chat post to 20 pages over 4 Pagewire nodes',
        "a killed node's ",
        'round trip p99 of a page while a script in another worker loops',
        'memory per idle live page',
        'memory per live component (include)',
        'broadcast to',
        'first render of a new script',
        'first render of a script importing date-fns and pg',
        'first render of a second script importing them',
        "a script's fs.readFileSync of a 2 KB file, jailed",
        'warm render of a script that reads a 2 KB file with the jailed fs',
        'hot reload p50',
        'heap growth across edits',
        'upload throughput',
      ];
      // Why a figure was not measured: the bench says so on stderr (`attempt` in bench/cluster.ts).
      const why = run.stderr
        .split('\n')
        .filter((line) => line.includes('not measured'))
        .join('\n');
      for (const name of names) {
        const figure = figures.find((f) => f.name.startsWith(name));
        assert.ok(figure, `${name} is measured`);
        assert.ok(Number.isFinite(figure.value), `${name}: ${figure.value}\n${why}`);
      }
      // A baseline that could not be measured (PHP, when it is not installed) is never met.
      for (const figure of figures) {
        const baselineMissing = figure.baseline !== undefined && !Number.isFinite(figure.baseline.value);
        if (baselineMissing) assert.notEqual(figure.verdict, 'met', figure.name);
      }
      assert.deepEqual(listing(), before, 'nothing written into bench/results/');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

// A figure of the bench, the verdict on it, and the table they are printed in.

/** Whether a figure reached its target. Never `met` unless the figure, and its baseline, were measured. */
export type Verdict = 'met' | 'missed' | 'not measured';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline, when both were measured. */
  ratio?: number;
  target?: string;
  verdict?: Verdict;
}

/** A target: the value (or the ratio) at most, at least, or below a limit. */
export interface Bound {
  is: 'at most' | 'at least' | 'below';
  limit: number;
}

/** A number a measurement produced: finite (a failed or skipped measurement gives NaN or nothing). */
export function measured(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

/** The verdict on `value` against `bound`: `not measured` unless it is a measured number. */
export function judgeValue(value: number | undefined, bound: Bound): Verdict {
  if (!measured(value)) return 'not measured';
  return within(value, bound) ? 'met' : 'missed';
}

/**
 * `value / baseline`, and its verdict against `bound` (if given). A ratio needs both numbers
 * measured and a baseline above zero: without a baseline (PHP not installed, say) there is no
 * ratio and the verdict is `not measured`, never `met` (`x / 0` is Infinity, which is >= any
 * minimum).
 */
export function judgeRatio(
  value: number | undefined,
  baseline: number | undefined,
  bound?: Bound,
): { ratio?: number; verdict?: Verdict } {
  const ratio = measured(value) && measured(baseline) && baseline > 0 ? value / baseline : undefined;
  if (!bound) return { ratio };
  return { ratio, verdict: ratio === undefined ? 'not measured' : within(ratio, bound) ? 'met' : 'missed' };
}

function within(value: number, { is, limit }: Bound): boolean {
  if (is === 'at most') return value <= limit;
  if (is === 'at least') return value >= limit;
  return value < limit;
}

/** The markdown table the bench prints. */
export function formatTable(figures: readonly Figure[]): string {
  const verdicts: Record<Verdict, string> = { met: 'yes', missed: 'no', 'not measured': 'not measured' };
  const row = (f: Figure) => {
    const baselineValue = f.baseline && (measured(f.baseline.value) ? f.baseline.value : 'not measured');
    const baseline = f.baseline ? `${f.baseline.name}: ${baselineValue}` : '';
    const ratio = f.ratio !== undefined ? `${f.ratio.toFixed(2)}x` : '';
    const value = measured(f.value) ? `${f.value} ${f.unit}` : 'not measured';
    const verdict = f.verdict ? verdicts[f.verdict] : '';
    return `| ${f.name} | ${value} | ${baseline} | ${ratio} | ${f.target ?? ''} | ${verdict} |`;
  };
  const header = ['| figure | value | baseline | ratio | target | met |', '| --- | --- | --- | --- | --- | --- |'];
  return [...header, ...figures.map(row)].join('\n');
}

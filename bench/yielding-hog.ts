// While one script keeps its worker busy yet yields every 5 ms, how fast are other pages rendered?
import path from 'node:path';
import { type Figure, judgeRatio } from './figures.js';
import { fetchPage, joinPage, renderLive, startServer, type TestServer } from '../test/helpers/server.js';

export interface RenderLatency {
  /** Render round trips (ms) of a plain page, sorted, without the hog and with it. */
  alone: number[];
  withHog: number[];
}

/** Renders of `/idle` one after another for `durationMs`, their round trips in ms, sorted. */
async function renders(server: TestServer, durationMs: number): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const start = performance.now();
    const { status } = await fetchPage(server.url, '/idle');
    if (status !== 200) throw new Error(`/idle answered ${status}`);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

/** Two workers; renders measured alone, then while a page in one worker spins and yields. */
export async function measureRendersBesideYieldingHog(durationMs: number): Promise<RenderLatency> {
  const dir = path.join(import.meta.dirname, 'scripts');
  const server = await startServer({ dir, workers: 2 });
  try {
    // Both workers have compiled the page before anything is timed.
    for (let i = 0; i < 4; i++) await fetchPage(server.url, '/idle');
    const alone = await renders(server, durationMs);
    const hog = await renderLive(server.url, '/yield-spin');
    const client = await joinPage(server.origin, hog.pageId, hog.cookie);
    client.event(hog.pageId, 'spin');
    await client.next((f) => f.n === 'spinning');
    const withHog = await renders(server, durationMs);
    await client.close();
    return { alone, withHog };
  } finally {
    await server.close();
  }
}

/** The figures of `npm run bench`: renders beside the hog at p50 and p99, each against alone. */
export async function yieldingHogFigures(durationMs: number): Promise<Figure[]> {
  const beside = await measureRendersBesideYieldingHog(durationMs);
  return [0.5, 0.99].map((q) => {
    const [withHog, alone] = [percentile(beside.withHog, q), percentile(beside.alone, q)];
    return {
      name: `render p${q * 100} while a script in another worker yields every 5 ms (${beside.withHog.length} renders)`,
      value: Math.round(withHog * 100) / 100,
      unit: 'ms',
      baseline: { name: 'without it, ms', value: Math.round(alone * 100) / 100 },
      ...judgeRatio(withHog, alone),
    };
  });
}

export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { alone, withHog } = await measureRendersBesideYieldingHog(Number(process.argv[2] ?? 3000));
  for (const q of [0.5, 0.99]) {
    const [a, h] = [percentile(alone, q), percentile(withHog, q)];
    console.log(
      `render p${q * 100}: alone ${a.toFixed(2)} ms, beside the hog ${h.toFixed(2)} ms, ${(h / a).toFixed(2)}x`,
    );
  }
  console.log(`renders: ${alone.length} alone, ${withHog.length} beside the hog`);
}

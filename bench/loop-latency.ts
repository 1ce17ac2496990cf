// While one script loops in its worker, how fast do pages in the other worker answer?
import path from 'node:path';
import { joinPage, renderLive, startServer } from '../test/helpers/server.js';
import { type Figure, judgeValue } from './figures.js';

/**
 * Round trips (ms) of another page's events for `durationMs` while a script loops, within the
 * watchdog's window (`watchdogMs`, longer than `durationMs`) before the looping worker is stopped.
 */
export async function measureLatencyDuringLoop(durationMs: number, watchdogMs: number): Promise<number[]> {
  if (!(durationMs < watchdogMs)) {
    throw new RangeError(`measureLatencyDuringLoop: ${durationMs} ms is not within the watchdog's ${watchdogMs} ms`);
  }
  const dir = path.join(import.meta.dirname, 'scripts');
  // Events back to back: far past the default rate limit, whose pauses would be timed instead.
  const server = await startServer({ dir, workers: 2, watchdogTimeout: watchdogMs, maxEventsPerSecond: 1_000_000 });
  const times: number[] = [];
  try {
    const spin = await renderLive(server.url, '/spin');
    const live = await renderLive(server.url, '/live');
    const spinner = await joinPage(server.origin, spin.pageId, spin.cookie);
    const client = await joinPage(server.origin, live.pageId, live.cookie);
    spinner.event(spin.pageId, 'spin');
    const end = performance.now() + durationMs;
    for (let i = 0; performance.now() < end; i++) {
      const start = performance.now();
      client.event(live.pageId, 'echo', i);
      await client.next((f) => f.n === 'echo' && f.d === i);
      times.push(performance.now() - start);
    }
    // The watchdog stops the looping worker: closing the server before would wait for it to end.
    await spinner.next((f) => f.t === 'closed');
    await Promise.all([spinner.close(), client.close()]);
  } finally {
    await server.close();
  }
  return times;
}

/** The figure of `npm run bench`: the p99 round trip while another worker loops, under 100 ms. */
export async function loopLatencyFigure(durationMs: number, watchdogMs: number): Promise<Figure> {
  const duringLoop = (await measureLatencyDuringLoop(durationMs, watchdogMs)).sort((a, b) => a - b);
  const loopP99 = duringLoop[Math.min(duringLoop.length - 1, Math.floor(0.99 * duringLoop.length))];
  return {
    name: `round trip p99 of a page while a script in another worker loops (${duringLoop.length} events)`,
    value: loopP99 === undefined ? Number.NaN : Math.round(loopP99 * 100) / 100,
    unit: 'ms',
    target: '< 100 ms',
    verdict: judgeValue(loopP99, { is: 'below', limit: 100 }),
  };
}

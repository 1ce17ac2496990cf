// While one script loops in its worker, how fast do pages in the other worker answer?
import path from 'node:path';
import { joinPage, renderLive, startServer } from '../test/helpers/server.js';

/** Round trips (ms) of another page's events during the watchdog window of a looping script. */
export async function measureLatencyDuringLoop(): Promise<number[]> {
  const dir = path.join(import.meta.dirname, 'scripts');
  const server = await startServer({ dir, workers: 2, watchdogTimeout: 2000 });
  const times: number[] = [];
  try {
    const spin = await renderLive(server.url, '/spin');
    const live = await renderLive(server.url, '/live');
    const spinner = await joinPage(server.origin, spin.pageId, spin.cookie);
    const client = await joinPage(server.origin, live.pageId, live.cookie);
    spinner.event(spin.pageId, 'spin');
    const end = Date.now() + 1800;
    for (let i = 0; Date.now() < end; i++) {
      const start = performance.now();
      client.event(live.pageId, 'echo', i);
      await client.next((f) => f.n === 'echo' && f.d === i, 2000);
      times.push(performance.now() - start);
    }
    await Promise.all([spinner.close(), client.close()]);
  } finally {
    await server.close();
  }
  return times;
}

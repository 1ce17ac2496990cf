// The cluster's rows of `npm run bench` (`pagewire serve --processes N`, the real CLI): render
// throughput with 1, 2 and `auto` processes against PHP-FPM behind nginx, a chat post to many
// pages over 2 processes against the same pages in one, and how soon a killed process's pages
// live again on another. Each part starts its own servers and stops them.
import os from 'node:os';
import { type ChatBroadcast, measureChatBroadcast } from './cluster-chat.js';
import { type KillRecovery, measureKillRecovery } from './cluster-kill.js';
import { type ClusterRender, measureClusterRender } from './cluster-render.js';
import { type Figure, judgeRatio, judgeValue } from './figures.js';
import type { LoadAmount } from './load.js';

/** How much each part does, per mode of bench/run.ts. */
const SIZES = {
  full: { chat: { pages: 1000, clients: 4, posts: 7 }, killed: 50 },
  quick: { chat: { pages: 1000, clients: 4, posts: 3 }, killed: 20 },
  smoke: { chat: { pages: 20, clients: 2, posts: 2 }, killed: 5 },
} as const;

export const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** What was not measured leaves its reason on stderr and NaN (or nothing) in its figure. */
export async function attempt<T>(what: string, measure: () => Promise<T>): Promise<T | undefined> {
  try {
    return await measure();
  } catch (error) {
    console.error(`${what}: not measured: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

export async function clusterFigures(mode: keyof typeof SIZES, load: LoadAmount): Promise<Figure[]> {
  const size = SIZES[mode];
  const render = await measureClusterRender(load);
  const { pages, clients, posts } = size.chat;
  const oneProcess = await attempt('chat broadcast, 1 process', () => measureChatBroadcast(1, pages, clients, posts));
  const twoProcesses = await attempt('chat broadcast, 2 processes', () =>
    measureChatBroadcast(2, pages, clients, posts),
  );
  const killed = await attempt('a killed process', () => measureKillRecovery(size.killed));
  return [
    ...renderFigures(render),
    chatFigure(twoProcesses, oneProcess, pages, posts),
    killFigure(killed, size.killed),
  ];
}

function renderFigures({ pagewire, php, phpMissing }: ClusterRender): Figure[] {
  if (phpMissing) console.error(`render, pagewire serve --processes N: no PHP baseline (${phpMissing})`);
  const phpName = 'PHP 8.2 php-fpm (4 children) behind nginx, same page';
  const phpRps = php?.rps ?? Number.NaN;
  const cores = (setting: '1' | '2' | 'auto') =>
    `server ${pagewire[setting]?.serverCores?.toFixed(2) ?? 'n/a'}, ` +
    `load generator ${pagewire[setting]?.loadCores.toFixed(2) ?? 'n/a'}`;
  const figures: Figure[] = (['1', '2', 'auto'] as const).map((setting) => {
    const rps = pagewire[setting]?.rps ?? Number.NaN;
    const target = setting === 'auto' ? ({ is: 'at least', limit: 1.5 } as const) : undefined;
    const processes = setting === 'auto' ? ` (${pagewire.auto?.processes ?? os.availableParallelism()} processes)` : '';
    return {
      name: `render, pagewire serve --processes ${setting}${processes}`,
      value: Math.round(rps),
      unit: `req/s (cores busy: ${cores(setting)}; p99 ${pagewire[setting]?.p99 ?? 'n/a'} ms)`,
      baseline: { name: phpName, value: Math.round(phpRps) },
      ...judgeRatio(rps, phpRps, target),
      ...(target ? { target: '>= 1.5x' } : {}),
    };
  });
  // The target is for a load generator on cores of its own: here it needs as many cores as the
  // two processes and what it kept busy itself, or it takes them from the server.
  const two = pagewire['2'];
  const judged = two !== undefined && os.availableParallelism() >= 2 + Math.ceil(two.loadCores);
  const { ratio, verdict } = judgeRatio(two?.rps, pagewire['1']?.rps, { is: 'at least', limit: 1.6 });
  figures.push({
    name: 'render, pagewire serve --processes 2 vs --processes 1',
    value: Math.round(two?.rps ?? Number.NaN),
    unit:
      `req/s (cores busy, of ${os.availableParallelism()}: --processes 2 ${cores('2')}; ` +
      `--processes 1 ${cores('1')})` +
      (judged ? '' : ': the load generator shares the server cores here, the target cannot be judged'),
    baseline: { name: '--processes 1', value: Math.round(pagewire['1']?.rps ?? Number.NaN) },
    ratio,
    target: '>= 1.6x, load generator on other cores',
    verdict: judged ? verdict : 'not measured',
  });
  return figures;
}

function chatFigure(
  two: ChatBroadcast | undefined,
  one: ChatBroadcast | undefined,
  pages: number,
  posts: number,
): Figure {
  const what = 'shared.push + broadcast';
  const value = median(two?.ms ?? []);
  const split = two ? Object.values(two.nodes).join(' + ') : 'n/a';
  const slowest = Math.round(Math.max(...(two?.ms ?? [Number.NaN])));
  return {
    name: `chat post to ${pages} pages over 2 processes, ${what}, until the last page has it`,
    value: Math.round(value),
    unit: `ms (median of ${posts} posts, slowest ${slowest} ms; pages per process ${split})`,
    baseline: { name: `the same pages in one process (--processes 1), ms`, value: Math.round(median(one?.ms ?? [])) },
    ratio: judgeRatio(value, median(one?.ms ?? [])).ratio,
    target: '<= 200 ms',
    verdict: judgeValue(value, { is: 'at most', limit: 200 }),
  };
}

function killFigure(killed: KillRecovery | undefined, pages: number): Figure {
  const slowest = killed ? Math.max(...killed.ms) : Number.NaN;
  return {
    name: `a killed process's ${pages} pages live again on another process (SIGKILL -> joined, real client)`,
    value: Math.round(slowest),
    unit: `ms, slowest (median ${Math.round(median(killed?.ms ?? []))} ms; back elsewhere: ${killed?.elsewhere ?? 0})`,
    target: '<= 2 s',
    verdict: judgeValue(slowest, { is: 'at most', limit: 2000 }),
  };
}

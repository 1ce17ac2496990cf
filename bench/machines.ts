// The rows of `npm run bench` for several machines (issue 14), all on this one: 1, 2 and 4
// `pagewire serve --node nX --workers 1` behind nginx with one Redis (bench/machines-nodes.ts).
// For each count, a chat post to many pages (`shared.push` in Redis, then a broadcast over Redis
// pub/sub to every node), then render throughput through nginx, against PHP-FPM behind nginx
// serving the same page; then how soon a killed node's pages live again on another node. The
// nodes, nginx, Redis and the load generator share this machine's cores: the rows say so.
import os from 'node:os';
import { startRedis } from '../test/helpers/redis.js';
import { type ChatBroadcast, chatBroadcastAt } from './cluster-chat.js';
import { type KillRecovery, killRecoveryAt } from './cluster-kill.js';
import { measurePhp, renderLoad } from './cluster-render.js';
import { attempt, median } from './cluster.js';
import { type Figure, judgeRatio, judgeValue } from './figures.js';
import type { Load, LoadAmount } from './load.js';
import { startBenchMachines } from './machines-nodes.js';

/** How much each part does, per mode of bench/run.ts. */
const SIZES = {
  full: { chat: { pages: 1000, clients: 4, posts: 7 }, killed: 50 },
  quick: { chat: { pages: 1000, clients: 4, posts: 3 }, killed: 20 },
  smoke: { chat: { pages: 20, clients: 2, posts: 2 }, killed: 5 },
} as const;
const NODE_COUNTS = [1, 2, 4] as const;
/** Nodes of the kill figure: one killed, one to take its pages. */
const KILL_NODES = 2;

interface NodesMeasured {
  nodes: number;
  render?: Load & { cores: { nodes: number; nginx: number } };
  chat?: ChatBroadcast;
}

export async function machinesFigures(mode: keyof typeof SIZES, amount: LoadAmount): Promise<Figure[]> {
  const size = SIZES[mode];
  const redis = await attempt('several machines: Redis', startRedis);
  const measured: NodesMeasured[] = [];
  let php: Load | undefined;
  let killed: KillRecovery | undefined;
  try {
    for (const nodes of NODE_COUNTS) {
      const { page, ...result } = await measureNodes(nodes, redis?.url, size.chat, amount);
      measured.push(result);
      // PHP with the nodes stopped, serving the bytes one node rendered: the same page.
      if (nodes === 1) {
        const baseline = await measurePhp(page, amount);
        if (baseline.phpMissing) console.error(`render, nodes behind nginx: no PHP baseline (${baseline.phpMissing})`);
        php = baseline.php;
      }
    }
    killed = await measureKilledNode(redis?.url, size.killed);
  } finally {
    await redis?.remove();
  }
  const { pages, posts } = size.chat;
  return [
    ...measured.map((m) => renderFigure(m, php)),
    ...measured.map((m) => chatFigure(m, measured[0]?.chat, pages, posts)),
    killFigure(killed, size.killed),
  ];
}

/** A chat post, then render throughput, through nginx in front of `nodes` nodes; what was not measured, missing. */
async function measureNodes(
  nodes: number,
  redisUrl: string | undefined,
  { pages, clients, posts }: (typeof SIZES)[keyof typeof SIZES]['chat'],
  amount: LoadAmount,
): Promise<NodesMeasured & { page?: string }> {
  const machines = redisUrl && (await attempt(`${nodes} nodes`, () => startBenchMachines(nodes, redisUrl)));
  if (!machines) return { nodes };
  try {
    // The chat first: its pages close with their sockets, where the render's (never joined) would
    // stay pending on the nodes until their connect timeout.
    const chat = await attempt(`chat broadcast, ${nodes} nodes`, () =>
      chatBroadcastAt(machines.url, pages, clients, posts),
    );
    if (!chat) console.error(machines.problems());
    const rendered = await attempt(`render, ${nodes} nodes`, () => renderLoad(machines.url, machines.pids, amount));
    if (rendered) console.error(`render, ${nodes} nodes behind nginx: ${Math.round(rendered.load.rps)} req/s`);
    return { nodes, chat, render: rendered?.load, page: rendered?.page };
  } finally {
    await machines.stop();
  }
}

/** `pages` pages of one of 2 nodes behind nginx, that node killed: until each page joined again. */
async function measureKilledNode(redisUrl: string | undefined, pages: number): Promise<KillRecovery | undefined> {
  const machines = redisUrl && (await attempt('a killed node', () => startBenchMachines(KILL_NODES, redisUrl)));
  if (!machines) return undefined;
  try {
    return await attempt('a killed node', () =>
      killRecoveryAt(machines.url, pages, (victim) => machines.kill(victim.node)),
    );
  } finally {
    await machines.stop();
  }
}

const shared = () =>
  `all on this machine: the nodes, nginx, Redis and the load generator share its ${os.availableParallelism()} cores`;
const nodesName = (n: number) => `${n} Pagewire node${n === 1 ? '' : 's'} (--workers 1 each) behind nginx`;

function renderFigure({ nodes, render }: NodesMeasured, php: Load | undefined): Figure {
  const rps = render?.rps ?? Number.NaN;
  return {
    name: `render, ${nodesName(nodes)}, ${shared()}`,
    value: Math.round(rps),
    unit:
      `req/s (cores busy: nodes ${render?.cores.nodes.toFixed(2) ?? 'n/a'}, ` +
      `nginx ${render?.cores.nginx.toFixed(2) ?? 'n/a'}, ` +
      `load generator ${render?.loadCores.toFixed(2) ?? 'n/a'}; p99 ${render?.p99 ?? 'n/a'} ms)`,
    baseline: {
      name: 'PHP 8.2 php-fpm (4 children) behind nginx (one worker, as in front of the nodes), same page',
      value: Math.round(php?.rps ?? Number.NaN),
    },
    // Reported, not judged: the issue asks for the figure, not a bound on it.
    ...judgeRatio(rps, php?.rps),
  };
}

function chatFigure({ nodes, chat }: NodesMeasured, one: ChatBroadcast | undefined, pages: number, posts: number) {
  const value = median(chat?.ms ?? []);
  const split = chat ? Object.values(chat.nodes).join(' + ') : 'n/a';
  const slowest = Math.round(Math.max(...(chat?.ms ?? [Number.NaN])));
  const baseline = nodes === 1 ? {} : { baseline: { name: `1 node, ms`, value: Math.round(median(one?.ms ?? [])) } };
  return {
    name: `chat post to ${pages} pages over ${nodesName(nodes)}, shared.push + broadcast through Redis, ${shared()}`,
    value: Math.round(value),
    unit: `ms until the last page has it (median of ${posts} posts, slowest ${slowest} ms; pages per node ${split})`,
    ...baseline,
    ...(nodes === 1 ? {} : { ratio: judgeRatio(value, median(one?.ms ?? [])).ratio }),
    target: '<= 200 ms',
    verdict: judgeValue(value, { is: 'at most', limit: 200 }),
  } satisfies Figure;
}

function killFigure(killed: KillRecovery | undefined, pages: number): Figure {
  const slowest = killed ? Math.max(...killed.ms) : Number.NaN;
  return {
    name:
      `a killed node's ${pages} pages live again on another node, behind nginx ` +
      `(${KILL_NODES} nodes; SIGKILL -> the last page joined, real client; ${shared()})`,
    value: Math.round(slowest),
    unit:
      `ms, slowest (median ${Math.round(median(killed?.ms ?? []))} ms; ` +
      `back on another node: ${killed?.elsewhere ?? 0})`,
    target: '<= 2 s',
    verdict: judgeValue(slowest, { is: 'at most', limit: 2000 }),
  };
}

// Render throughput of the small live page (bench/scripts/live.ts) with `pagewire serve
// --processes 1`, `2` and `auto`, and with PHP-FPM behind nginx serving the same bytes, one after
// another under the same autocannon load; with the cores the server (the primary and every
// process, all their threads) and the load generator kept busy.
import { type Load, type LoadAmount, load } from './load.js';
import { findPhp, startPhp } from './php.js';
import { treeCpuMs } from './process-cpu.js';
import { type BenchCluster, startBenchCluster, stopBenchCluster } from './cluster-server.js';

export const CLUSTER_SETTINGS = ['1', '2', 'auto'] as const;
export type ClusterSetting = (typeof CLUSTER_SETTINGS)[number];

export interface ClusterRender {
  /** By `--processes` setting; missing when it could not be measured (the reason on stderr). */
  pagewire: Partial<Record<ClusterSetting, Load & { processes: number }>>;
  /** NaN fields when PHP-FPM or nginx is not installed: `phpMissing` says what to install. */
  php?: Load;
  phpMissing?: string;
}

/** Renders before the load, on new connections (the cluster spreads them): each process compiles the page. */
const WARM_UP_RENDERS = 20;

export async function measureClusterRender(amount: LoadAmount): Promise<ClusterRender> {
  const result: ClusterRender = { pagewire: {} };
  let page: string | undefined;
  for (const setting of CLUSTER_SETTINGS) {
    let server: BenchCluster | undefined;
    try {
      server = await startBenchCluster(setting === 'auto' ? 'auto' : Number(setting));
      const measured = await renderLoad(server.url, { server: [server.pid] }, amount);
      page ??= measured.page;
      const processes = Math.max(1, server.processes.size);
      result.pagewire[setting] = { ...measured.load, processes };
      console.error(`render, --processes ${setting} (${processes}): ${Math.round(measured.load.rps)} req/s`);
    } catch (error) {
      console.error(`render, --processes ${setting}: not measured: ${String(error)}`);
    } finally {
      await stopBenchCluster(server);
    }
    // PHP between the cluster's runs, with the bytes --processes 1 rendered: the same page.
    if (setting === '1') Object.assign(result, await measurePhp(page, amount));
  }
  return result;
}

/**
 * The live page of the site at `url`, then the load on it, with the cores that each group of
 * processes of `servers` (with their children, every thread) kept busy over it, and all of them
 * together (`serverCores`). The page's bytes, for PHP to serve.
 */
export async function renderLoad<Group extends string>(
  url: string,
  servers: Record<Group, readonly number[]>,
  amount: LoadAmount,
): Promise<{ load: Load & { serverCores: number; cores: Record<Group, number> }; page: string }> {
  let page: string | undefined;
  for (let i = 0; i < WARM_UP_RENDERS; i++) {
    const response = await fetch(`${url}/live`, { headers: { connection: 'close' } });
    page ??= await response.text();
    if (!response.bodyUsed) await response.arrayBuffer();
  }
  const groups = Object.entries(servers) as Array<[Group, readonly number[]]>;
  const cpu = () => groups.map(([, pids]) => pids.reduce((sum, pid) => sum + treeCpuMs(pid), 0));
  const cpuBefore = cpu();
  const measured = await load(url, amount);
  // Over the time the load ran: the server is idle while autocannon starts and exits.
  const busy = cpu().map((ms, i) => (ms - (cpuBefore[i] ?? 0)) / (measured.finish - measured.start));
  const cores = Object.fromEntries(groups.map(([group], i) => [group, busy[i] ?? Number.NaN])) as Record<Group, number>;
  const serverCores = busy.reduce((sum, value) => sum + value, 0);
  return { load: { ...measured, serverCores, cores }, page: page ?? '' };
}

/** PHP-FPM behind nginx serving `page` under the same load; what to install when it cannot. */
export async function measurePhp(
  page: string | undefined,
  amount: LoadAmount,
): Promise<Pick<ClusterRender, 'php' | 'phpMissing'>> {
  const php = findPhp();
  if (typeof php === 'string') return { phpMissing: php };
  if (page === undefined) return { phpMissing: 'no page to serve: pagewire serve did not render it' };
  let server: Awaited<ReturnType<typeof startPhp>>;
  try {
    server = await startPhp(page);
  } catch (error) {
    return { phpMissing: `PHP-FPM behind nginx did not start: ${String(error)}` };
  }
  try {
    const php = await load(server.url, amount);
    console.error(`render, PHP-FPM behind nginx: ${Math.round(php.rps)} req/s`);
    return { php };
  } finally {
    await server.stop();
  }
}

// `pagewire serve --processes N` for the bench: the real CLI from dist/ (bin/pagewire.js) on a
// free port of 127.0.0.1, serving bench/scripts, started with the tests' helper; resolves once
// every one of its server processes serves (the primary says where the site is with the first).
import path from 'node:path';
import { processCount } from '../lib/cluster/primary.js';
import { type ClusterServer, startCluster } from '../test/helpers/cluster-server.js';
import { waitFor } from '../test/helpers/fixtures.js';

export const BENCH_SCRIPTS = path.join(import.meta.dirname, 'scripts');

export interface BenchCluster extends ClusterServer {
  /** The primary's pid (with `--processes 1`, the one server process). */
  pid: number;
  /** Its server processes: pid -> node id (empty with `--processes 1`, which has no cluster). */
  processes: Map<number, string>;
}

export async function startBenchCluster(processes: number | 'auto'): Promise<BenchCluster> {
  const server = await startCluster(BENCH_SCRIPTS, processes);
  const count = processCount(processes);
  const serving = () => [...server.output().matchAll(/process ([\w-]+) \(pid (\d+)\) is serving/g)];
  try {
    if (count > 1) await waitFor(() => serving().length >= count, `${count} processes to serve`);
  } catch (error) {
    server.child.kill('SIGKILL');
    throw error;
  }
  const pids = new Map(serving().map((m) => [Number(m[2]), m[1] as string]));
  return Object.assign(server, { pid: server.child.pid ?? 0, processes: pids });
}

/** Stops a cluster; never throws (a bench goes on to its next figure). */
export async function stopBenchCluster(server: BenchCluster | undefined): Promise<void> {
  if (!server) return;
  try {
    await server.stop();
  } catch (error) {
    console.error(`the bench's cluster did not stop: ${error instanceof Error ? error.message : String(error)}`);
  }
}

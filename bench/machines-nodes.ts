// Several `pagewire serve --node nX` machines for the bench, all on this one: real CLI processes
// (bin/pagewire.js from dist/) serving bench/scripts on free ports of 127.0.0.1, one Redis
// (`--redis`: `shared`, broadcasts across nodes) and one session secret, behind a real nginx
// running the config `pagewire proxy-config nginx` prints for them (test/helpers/proxied-nodes.ts).
import type { Nginx } from '../test/helpers/nginx.js';
import { nginxInFront, type ProxiedNode, startNode, stopNode } from '../test/helpers/proxied-nodes.js';
import { BENCH_SCRIPTS } from './cluster-server.js';

/** Two per socket (the client's, the node's): the chat's 1,000 pages, the render load, with room. */
const NGINX_CONNECTIONS = 4096;

/** A node's log line worth showing when a figure could not be measured. */
const PROBLEM = /error|stuck|quarantin|memory|refused|warn/i;

export interface BenchMachines {
  /** nginx's `http://127.0.0.1:<port>`: the site, as a browser sees it. */
  url: string;
  nodes: ProxiedNode[];
  /** The nodes' pids (each one process: no `--processes`), and nginx's, for their CPU time. */
  pids: { nodes: number[]; nginx: number[] };
  /** The lines the nodes logged that say something went wrong, each after its node's id. */
  problems(): string;
  /** SIGKILL to the node of that id. */
  kill(id: string): void;
  /** Stops nginx and every node still running; never throws (the bench goes on to its next figure). */
  stop(): Promise<void>;
}

/**
 * `count` nodes n1..nN with `--workers 1` each: up to 4 nodes share this machine's 2 cores, and
 * a worker per core in each would put 8 script threads on them; one worker is what a node on a
 * machine of its own with one core would have.
 */
export async function startBenchMachines(count: number, redisUrl: string): Promise<BenchMachines> {
  const nodes: ProxiedNode[] = [];
  let nginx: Nginx | undefined;
  const stop = async () => {
    try {
      await nginx?.stop();
      await Promise.all(nodes.map(stopNode));
    } catch (error) {
      console.error(`the bench's nodes did not stop: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  try {
    const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
    const args = ['--workers', '1', '--redis', redisUrl];
    const started = await Promise.allSettled(ids.map((id) => startNode(BENCH_SCRIPTS, id, 1, args)));
    for (const result of started) if (result.status === 'fulfilled') nodes.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    nginx = await nginxInFront(nodes, { connections: NGINX_CONNECTIONS });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: nginx.url,
    nodes,
    pids: { nodes: nodes.map((node) => node.server.child.pid ?? 0), nginx: [nginx.pid] },
    problems: () =>
      nodes
        .flatMap((node) =>
          node.server
            .output()
            .split('\n')
            .filter((line) => PROBLEM.test(line))
            .map((line) => `${node.id}: ${line}`),
        )
        .join('\n'),
    kill: (id) => nodes.find((node) => node.id === id)?.server.child.kill('SIGKILL'),
    stop,
  };
}

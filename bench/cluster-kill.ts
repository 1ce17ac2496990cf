// A killed process's pages live again on another: `pagewire serve --processes 2`, `pages` live
// pages of /chat held by one process, each driven by the real browser client
// (client/server-socket.ts in Node, test/helpers/node-client.ts) with a browser's reconnection
// delays; SIGKILL to that process; each page's socket fails, the client learns the page is gone
// (its node's status path answers 410) and reloads: here a reload renders the page again on a
// new connection and joins it, as the browser would. Timed from the kill until each page joined
// again.
import type { ServerSocket } from '../client/server-socket.js';
import { renderOnNewConnection, type Rendered } from '../test/helpers/cluster-server.js';
import { nodeServerSocket } from '../test/helpers/node-client.js';
import { type BenchCluster, startBenchCluster, stopBenchCluster } from './cluster-server.js';

/** A browser's reconnection delays (client/connection.ts's defaults): a test's shorter ones would flatter it. */
const BROWSER = { minDelay: 250, maxDelay: 10_000 };
/** ms a page may take to come back before the bench gives it up (and says so). */
const GIVE_UP_MS = 30_000;
/** Renders tried, per page wanted, to find pages of one process (the cluster spreads connections). */
const TRIES_PER_PAGE = 10;

export interface KillRecovery {
  /** ms from the SIGKILL until each page joined again on a live process. */
  ms: number[];
  /** Pages that came back on a process other than the killed one. */
  elsewhere: number;
}

export async function measureKillRecovery(pages: number): Promise<KillRecovery> {
  let server: BenchCluster | undefined;
  try {
    server = await startBenchCluster(2);
    return await killRecoveryAt(server.url, pages, (victim) => {
      process.kill(Number(/<p id="pid">(\d+)<\/p>/.exec(victim.body)?.[1]), 'SIGKILL');
    });
  } finally {
    await stopBenchCluster(server);
  }
}

/**
 * `pages` live pages of /chat of one node of the site at `url` (a cluster, or a proxy in front of
 * several machines), each joined by the real client; then `kill` (a SIGKILL to the node of the
 * page it is handed), timed until each page joined again. The sockets are closed when it settles.
 */
export async function killRecoveryAt(
  url: string,
  pages: number,
  kill: (victim: Rendered) => void,
): Promise<KillRecovery> {
  const sockets: ServerSocket[] = [];
  try {
    // Pages of one node: the first node rendered on.
    const victims: Rendered[] = [];
    for (let tries = 0; victims.length < pages; tries++) {
      if (tries === TRIES_PER_PAGE * pages) throw new Error(`only ${victims.length} pages on one node`);
      const page = await renderOnNewConnection(url, '/chat');
      if (victims.length === 0 || page.node === victims[0]?.node) victims.push(page);
    }
    const victim = victims[0] as Rendered;
    const heartbeat = Number(/data-pagewire-heartbeat="(\d+)"/.exec(victim.body)?.[1]) || undefined;
    let killedAt = 0;
    const back: Array<Promise<{ ms: number; node: string }>> = [];
    const joined = (socket: ServerSocket) =>
      new Promise<void>((resolve) => socket.addEventListener('open', () => resolve(), { once: true }));
    await Promise.all(
      victims.map(async (page) => {
        let reloaded: (result: { ms: number; node: string }) => void = () => {};
        back.push(new Promise((resolve) => (reloaded = resolve)));
        // Where a browser reloads: the page again (with its session cookie), on a new connection, joined.
        const reload = async () => {
          const again = await renderOnNewConnection(url, '/chat', page.cookie);
          const socket = nodeServerSocket(url, again.pageId, again.cookie, { ...BROWSER, heartbeat, node: again.node });
          sockets.push(socket);
          await joined(socket);
          reloaded({ ms: performance.now() - killedAt, node: again.node });
        };
        const socket = nodeServerSocket(url, page.pageId, page.cookie, {
          ...BROWSER,
          heartbeat,
          node: page.node,
          reload: () => void reload(),
        });
        sockets.push(socket);
        await joined(socket);
      }),
    );
    killedAt = performance.now();
    kill(victim);
    const results = await Promise.race([
      Promise.all(back),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`pages not back within ${GIVE_UP_MS} ms`)), GIVE_UP_MS).unref(),
      ),
    ]);
    return { ms: results.map((r) => r.ms), elsewhere: results.filter((r) => r.node !== victim.node).length };
  } finally {
    for (const socket of sockets) if (!socket.closed) socket.close();
  }
}

// A chat post to many live pages: `shared.push` then `page.broadcast` (bench/scripts/chat.ts),
// from one page, until the last page has it; pages held by `pagewire serve --processes N`, their
// sockets opened from several client processes (bench/cluster-clients.ts). The median over
// several posts, each sent once every page has the one before.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { startBenchCluster, stopBenchCluster, type BenchCluster } from './cluster-server.js';

const root = path.join(import.meta.dirname, '..');

export interface ChatBroadcast {
  /** ms from a post's send until the last page received it, one per post. */
  ms: number[];
  /** Pages each node (process) held. */
  nodes: Record<string, number>;
}

/** `pages` chat pages on `--processes processes`, opened by `clients` processes; `posts` posts timed. */
export async function measureChatBroadcast(
  processes: number,
  pages: number,
  clients: number,
  posts: number,
): Promise<ChatBroadcast> {
  let server: BenchCluster | undefined;
  try {
    server = await startBenchCluster(processes);
    return await chatBroadcastAt(server.url, pages, clients, posts);
  } finally {
    await stopBenchCluster(server);
  }
}

/**
 * `pages` chat pages of the site at `url` (one server, or a proxy in front of several), opened by
 * `clients` processes; `posts` posts timed. The client processes are gone when it settles.
 */
export async function chatBroadcastAt(
  url: string,
  pages: number,
  clients: number,
  posts: number,
): Promise<ChatBroadcast> {
  const children: ChildProcess[] = [];
  try {
    const ready: Array<Promise<Record<string, unknown>>> = [];
    for (let i = 0; i < clients; i++) {
      const count = Math.floor(pages / clients) + (i < pages % clients ? 1 : 0);
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'bench/cluster-clients.ts', url, String(count), i === 0 ? 'leader' : ''],
        { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
      children.push(child);
      ready.push(next(child, 'ready'));
    }
    const reports = (await Promise.all(ready)) as Array<{ nodes: Record<string, number> }>;
    const nodes: Record<string, number> = {};
    for (const report of reports)
      for (const [node, count] of Object.entries(report.nodes)) nodes[node] = (nodes[node] ?? 0) + count;
    const ms: number[] = [];
    for (let id = 1; id <= posts; id++) {
      const arrivals = children.map((child) => next(child, 'arrived', id));
      const sent = next(children[0] as ChildProcess, 'sentAt', id);
      children[0]?.send({ post: id });
      const { sentAt } = (await sent) as { sentAt: number };
      const last = Math.max(...((await Promise.all(arrivals)) as Array<{ arrived: number }>).map((a) => a.arrived));
      ms.push(last - sentAt);
    }
    return { ms, nodes };
  } finally {
    for (const child of children) if (child.connected) child.send({ exit: true });
    await Promise.all(
      children.map(
        (child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
      ),
    );
  }
}

/** The next IPC message of `child` that has `key` (and, if given, this `id`). */
function next(child: ChildProcess, key: string, id?: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message) || (id !== undefined && message.id !== id)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => reject(new Error(`${key}: a chat client exited (${code}) first`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

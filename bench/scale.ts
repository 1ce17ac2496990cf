// Memory per idle live page with its socket, and a broadcast to every page, against a raw `ws`
// server holding the same number of sockets. Server and clients each run in their own processes.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const PER_PROCESS = 2500;

export interface ScalePoint {
  pages: number;
  rssPerPage: number;
  heapPerPage: number;
}

export interface ScaleFigures {
  /** Scripts in worker threads, the default. */
  pagewire: ScalePoint[];
  /** Scripts in the server's thread (`workers: 0`). */
  inThread: ScalePoint[];
  ws: ScalePoint[];
  /** ms from the event that broadcasts to the last page receiving it, at the largest count. */
  broadcastMs: number;
  broadcastMsInThread: number;
  /** The same through the raw ws server: a message to it makes it send every socket a frame. */
  broadcastMsWs: number;
}

export async function measureScale(counts: number[]): Promise<ScaleFigures> {
  const ws = await measure('ws', counts);
  const pagewire = await measure('pagewire', counts);
  const inThread = await measure('pagewire-in-thread', counts);
  return {
    ws: ws.points,
    pagewire: pagewire.points,
    inThread: inThread.points,
    broadcastMs: pagewire.broadcastMs,
    broadcastMsInThread: inThread.broadcastMs,
    broadcastMsWs: ws.broadcastMs,
  };
}

async function measure(
  kind: 'pagewire' | 'pagewire-in-thread' | 'ws',
  counts: number[],
): Promise<{ points: ScalePoint[]; broadcastMs: number }> {
  const server = fork('bench/scale-server.ts', [kind], ['--expose-gc']);
  const clients: ChildProcess[] = [];
  try {
    const { port } = (await next(server, 'port')) as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const memory = async () =>
      ((await ask(server, 'memory', 'memory')) as { memory: { rss: number; heapUsed: number } }).memory;
    const start = await memory();
    const points: ScalePoint[] = [];
    let total = 0;
    for (const count of counts) {
      const ready: Array<Promise<unknown>> = [];
      for (let left = count - total; left > 0; left -= PER_PROCESS) {
        const child = fork('bench/scale-clients.ts', [
          kind === 'ws' ? 'ws' : 'pagewire',
          base,
          String(Math.min(PER_PROCESS, left)),
          clients.length === 0 ? 'leader' : '',
        ]);
        clients.push(child);
        ready.push(next(child, 'ready'));
      }
      await Promise.all(ready);
      total = count;
      const now = await memory();
      points.push({
        pages: total,
        rssPerPage: (now.rss - start.rss) / total,
        heapPerPage: (now.heapUsed - start.heapUsed) / total,
      });
    }
    const arrivals = clients.map((child) => next(child, 'arrived'));
    const sent = next(clients[0] as ChildProcess, 'sentAt');
    clients[0]?.send('broadcast');
    const { sentAt } = (await sent) as { sentAt: number };
    const last = Math.max(...((await Promise.all(arrivals)) as Array<{ arrived: number }>).map((a) => a.arrived));
    return { points, broadcastMs: last - sentAt };
  } finally {
    for (const child of clients) child.send('exit');
    server.send('exit');
    await Promise.all(
      [...clients, server].map(
        (child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
      ),
    );
  }
}

function fork(script: string, args: string[], nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The next IPC message of `child` that has `key`. */
function next(child: ChildProcess, key: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => reject(new Error(`${key}: the process exited (${code}) first`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function ask(child: ChildProcess, question: string, key: string): Promise<Record<string, unknown>> {
  const answer = next(child, key);
  child.send(question);
  return answer;
}

// Memory per live component (`include()`): documents of a page with four components, each
// component joined on its document's socket, against documents of a plain live page (idle.ts)
// measured in the same run, each in a server process of its own (bench/scale-server.ts). A
// component's cost is what a document of `tiles` holds beyond a document of `idle`, divided by
// its four components; the baseline is a plain live page with its socket. Both past a warm-up, so
// that the scripts' sandboxes (made once per worker) are not counted.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { WebSocket } from 'ws';
import { judgeRatio, type Figure } from './figures.js';
import { renderLivePage } from './live-page.js';

const root = path.join(import.meta.dirname, '..');
const COMPONENTS = 4;
const WARM_UP = 8;

export async function measureComponentMemory(documents: number): Promise<Figure[]> {
  const plain = await documentsMemory('/idle', documents);
  const tiles = await documentsMemory('/tiles', documents);
  const perPage = plain / documents;
  const perComponent = (tiles - plain) / (documents * COMPONENTS);
  return [
    {
      name: `memory per live component (include), ${documents} documents of ${COMPONENTS} components (RSS)`,
      value: Math.round(perComponent / 102.4) / 10,
      unit: 'KB',
      baseline: { name: 'a plain live page with its socket, RSS KB', value: Math.round(perPage / 102.4) / 10 },
      ...judgeRatio(perComponent, perPage),
    },
  ];
}

/** RSS a server process gains holding `documents` documents of `page`, every instance joined. */
async function documentsMemory(page: string, documents: number): Promise<number> {
  const server = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/scale-server.ts', 'pagewire'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const sockets: WebSocket[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  try {
    const { port } = (await next(server, 'port')) as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const memory = async () => {
      const answer = next(server, 'memory');
      server.send('memory');
      return ((await answer) as { memory: { rss: number } }).memory.rss;
    };
    // Warmed first: each worker's sandboxes of the scripts are made, and not counted.
    for (let i = 0; i < WARM_UP; i++) sockets.push(await openDocument(base, page, agent));
    const start = await memory();
    for (let i = 0; i < documents; i += 25) {
      const batch = Array.from({ length: Math.min(25, documents - i) }, () => openDocument(base, page, agent));
      sockets.push(...(await Promise.all(batch)));
    }
    return (await memory()) - start;
  } finally {
    for (const ws of sockets) ws.terminate();
    agent.destroy();
    server.send('exit');
    await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)));
  }
}

/** A document: its page rendered, its socket open, its page and every component joined. */
async function openDocument(base: string, page: string, agent: http.Agent): Promise<WebSocket> {
  const rendered = await renderLivePage(base + page, agent);
  const ids = [rendered.pageId, ...[...rendered.body.matchAll(/data-pw-page="([\w-]+)"/g)].map((m) => m[1] as string)];
  const ws = new WebSocket(base.replace('http', 'ws') + rendered.socket, {
    headers: { cookie: rendered.cookie, origin: base },
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    const joined = new Set<string>();
    ws.once('open', () => {
      for (const id of ids) ws.send(JSON.stringify({ t: 'join', p: id, a: 0 }));
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { t: string; p?: string };
      if (frame.t === 'joined' && frame.p) joined.add(frame.p);
      else if (frame.t === 'error') reject(new Error(`${page}: ${String(data)}`));
      if (joined.size === ids.length) resolve();
    });
    ws.once('error', reject);
  });
  return ws;
}

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

/**
 * `pagewire serve --processes N` as a user runs it: the CLI from dist/, in a child process (the
 * cluster's primary) on a free port of 127.0.0.1. What every process printed is kept, and a
 * test waits for lines of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { FAILURE_REPORT_MS, waitFor } from './fixtures.js';

const root = path.join(import.meta.dirname, '..', '..');

export interface ClusterServer {
  url: string;
  child: ChildProcess;
  /** Everything the primary and its processes printed so far. */
  output(): string;
  /** Resolves with the primary's exit code once it exited. */
  exited: Promise<number | null>;
  /** SIGTERM to the primary; resolves with its exit code. */
  stop(): Promise<number | null>;
}

export async function startCluster(
  dir: string,
  processes: number | 'auto',
  args: string[] = [],
): Promise<ClusterServer> {
  const child = spawn(
    process.execPath,
    ['bin/pagewire.js', 'serve', dir, '--processes', String(processes), '--port', '0', '--host', '127.0.0.1', ...args],
    { cwd: root },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let url = '';
  try {
    await waitFor(() => {
      url = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1] ?? '';
      return url !== '' || child.exitCode !== null;
    }, 'the cluster to print its URL');
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${output}`);
  }
  if (url === '') throw new Error(`pagewire serve --processes ${processes} exited: ${output}`);
  return {
    url,
    child,
    output: () => output,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), FAILURE_REPORT_MS).unref()),
      ]);
      if (code === 'late') {
        child.kill('SIGKILL');
        throw new Error(`the cluster did not stop within ${FAILURE_REPORT_MS} ms of SIGTERM: ${output}`);
      }
      return code;
    },
  };
}

/** A live page of the cluster, rendered on a new connection (the cluster spreads connections). */
export async function renderOnNewConnection(
  url: string,
  path: string,
  cookie?: string,
): Promise<{ pageId: string; cookie: string; issued?: string; node: string; socket: string; body: string }> {
  const response = await fetch(url + path, { headers: { connection: 'close', ...(cookie ? { cookie } : {}) } });
  const body = await response.text();
  const pageId = /data-pagewire-page="([^"]+)"/.exec(body)?.[1];
  const socket = /data-pagewire-socket="([^"]+)"/.exec(body)?.[1];
  const node = /\/__pagewire\/([\w-]+)\/socket/.exec(socket ?? '')?.[1];
  if (!pageId || !socket || !node) throw new Error(`${path} did not render a live page: ${body.slice(0, 300)}`);
  // `issued`: a session cookie this answer set (a new session), if it did.
  const issued = response.headers.get('set-cookie')?.split(';')[0];
  return { pageId, socket, node, body, cookie: cookie ?? issued ?? '', ...(issued ? { issued } : {}) };
}

/** Scripts the cluster's tests serve: where a page lives, its clicks, a broadcast, a channel. */
export const CLUSTER_SCRIPTS = {
  'where.ts': `let clicks = 0;
page.channel('room').subscribe((data) => server_socket_event('room', data));
page.onClose(() => console.log(\`closed page \${page.id} on \${page.node}\`));
echo(html\`<p id="node">\${page.node}</p><p id="pid">\${process.pid}</p><output id="clicks">0</output>
<button id="click" onclick="document.serverSocket.send('click')">click</button>
<script>document.serverSocket.addEventListener('clicked', (e) => {
  document.getElementById('clicks').textContent = String(e.data.clicks);
});</script>\`);
function __serverSocketEvent(name: string, data: unknown) {
  if (name === 'click') server_socket_event('clicked', { clicks: ++clicks, node: page.node, pid: process.pid });
  if (name === 'shout') page.broadcast('shout', data);
  if (name === 'say') page.channel('room').publish(data);
}`,
  'chat.ts': `const history = await shared.list('chat', 0, -1);
echo(html\`<ul id="posts">\${history.map((post) => html\`<li>\${post}</li>\`)}</ul>\`);
async function __serverSocketEvent(name: string, text: string) {
  await shared.push('chat', text, { max: 100 });
  page.broadcast('post', text);
}`,
};

export type Rendered = Awaited<ReturnType<typeof renderOnNewConnection>>;

/** Renders `path` until a page of each of `count` nodes is found (the cluster spreads connections). */
export async function onEveryNode(url: string, path: string, count: number): Promise<Rendered[]> {
  const byNode = new Map<string, Rendered>();
  for (let tries = 0; byNode.size < count; tries++) {
    if (tries === 20 * count) throw new Error(`only ${byNode.size} of ${count} processes rendered in ${tries} tries`);
    const page = await renderOnNewConnection(url, path);
    if (!byNode.has(page.node)) byNode.set(page.node, page);
  }
  return [...byNode.values()];
}

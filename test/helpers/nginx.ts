import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor, waitForAsync } from './fixtures.js';
import { freePort } from './free-port.js';

/** Debian's nginx (`apt-get install nginx`; `.ci/run` installs it). NGINX_PATH names another. */
const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

export interface Nginx {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The nginx process (with `reloadable`, the master, whose children are its workers). */
  pid: number;
  stop(): Promise<void>;
  /**
   * Rewrites the http-level config and runs `nginx -s reload` with the same -p and -c, as an
   * operator does; resolves once every new connection reaches a worker of the new config (the
   * old worker keeps the connections it has, as upgraded sockets, and accepts none). Only for an
   * nginx started with `reloadable`.
   */
  reload(httpConfig: (port: number) => string): Promise<void>;
}

export interface NginxStart {
  /** Where an nginx stopped listened, to start another on; a free port by default. */
  port?: number;
  /** A master process and one worker, so that `reload()` works (`nginx -s reload`). */
  reloadable?: boolean;
  /** nginx's `worker_connections`: each proxied socket takes two (the browser's, the node's). @default 256 */
  connections?: number;
}

/**
 * A real nginx in a temporary folder, in the foreground, on 127.0.0.1 and a free port, that
 * forwards its `locations` (nginx's syntax: `/app/` a prefix, `= /app` one path) to `upstream`
 * with the WebSocket upgrade headers, and nothing else: any other path is nginx's own 404.
 * Resolves once it answers.
 */
export function startNginx(locations: string[], upstream: string): Promise<Nginx> {
  return startNginxWith(
    (port) => `map $http_upgrade $connection_upgrade { default upgrade; '' close; }
server {
  listen 127.0.0.1:${port};
${locations.map((location) => proxied(location, upstream)).join('')}}
`,
  );
}

/**
 * A real nginx as above, serving an http-level config (upstreams, maps, server blocks: what
 * goes in /etc/nginx/conf.d/) made for its port by `httpConfig`, such as the one `pagewire
 * proxy-config nginx --listen 127.0.0.1:<port>` prints, wrapped in a minimal main config. With
 * `port`, on that one (where an nginx stopped listened), not a free one.
 */
export async function startNginxWith(
  httpConfig: (port: number) => string,
  { port, reloadable = false, connections = 256 }: NginxStart = {},
): Promise<Nginx> {
  const main = { reloadable, connections };
  // The port of an nginx stopped, to start another on (its pages' sockets come back there).
  if (port !== undefined) return startOnce(httpConfig, port, main);
  // A port is free when asked, and may be taken before nginx binds it: try another then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(httpConfig, await freePort(), main);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 5) throw error;
    }
  }
}

class PortTaken extends Error {}

/** `nginx -t` of an http-level config in the minimal main config: its exit code and what it said. */
export function checkNginxConfig(httpConfig: string): { status: number | null; output: string } {
  const { dir, config, temp } = writeConfig(httpConfig, { reloadable: false, connections: 256 });
  try {
    const result = spawnSync(NGINX, ['-t', '-p', dir, '-c', config, '-e', temp('error.log')], { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the main config around the http-level one sets. */
type MainConfig = Required<Pick<NginxStart, 'reloadable' | 'connections'>>;

function writeConfig(httpConfig: string, { reloadable, connections }: MainConfig, into?: string) {
  const dir = into ?? mkdtempSync(path.join(tmpdir(), 'pagewire-nginx-'));
  const config = path.join(dir, 'nginx.conf');
  const temp = (name: string) => path.join(dir, name);
  // As root, nginx's workers would run as nobody, who cannot use the temporary folder.
  const processes = reloadable
    ? `master_process on;\nworker_processes 1;\n${process.getuid?.() === 0 ? 'user root;\n' : ''}`
    : 'master_process off;\n';
  writeFileSync(
    config,
    `# In the foreground: nothing outlives the test, and nothing switches user (the temporary folder
# is this user's only). One process, or (reloadable) a master and one worker.
daemon off;
${processes}pid ${temp('nginx.pid')};
error_log stderr warn;
events { worker_connections ${connections}; }
http {
  access_log off;
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
${httpConfig}
}
`,
  );
  return { dir, config, temp };
}

async function startOnce(httpConfig: (port: number) => string, port: number, main: MainConfig): Promise<Nginx> {
  const { reloadable } = main;
  const { dir, config, temp } = writeConfig(httpConfig(port), main);
  const child = spawn(NGINX, ['-p', dir, '-c', config, '-e', temp('error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForAsync(async () => {
      if (gone) throw new Error(`nginx exited: ${stderr}`);
      return answers(port);
    }, `nginx to listen on port ${port}`);
  } catch (error) {
    await stop();
    if (/Address already in use/.test(stderr)) throw new PortTaken(stderr);
    throw error;
  }
  const reload = async (next: (port: number) => string) => {
    if (!reloadable || child.pid === undefined) throw new Error('startNginxWith(..., { reloadable: true }) to reload');
    const master = child.pid;
    await waitFor(() => workersOf(master).size > 0, 'the worker of the first config');
    const before = workersOf(master);
    writeConfig(next(port), main, dir);
    const signal = spawnSync(NGINX, ['-s', 'reload', '-p', dir, '-c', config, '-e', temp('error.log')], {
      encoding: 'utf8',
    });
    if (signal.status !== 0) throw new Error(`nginx -s reload failed: ${signal.stderr}`);
    // A worker of the new config, and the old ones past closing their listening sockets (their
    // title says so before they next look for connections), or gone.
    await waitFor(() => {
      if (gone) throw new Error(`nginx exited: ${stderr}`);
      const now = workersOf(master);
      const fresh = [...now.keys()].some((pid) => !before.has(pid));
      const old = [...before.keys()].every((pid) => !now.has(pid) || /shutting down/.test(now.get(pid) ?? ''));
      return fresh && old;
    }, `nginx to reload: ${stderr}`);
  };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop, reload };
}

/** The child processes of `parent` (Linux /proc), each with its command line (nginx's title). */
function workersOf(parent: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The fields after the command (which may hold spaces), closed by its last ')': state, ppid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) found.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A location passed on as it came (Host included, for the Origin check), WebSocket upgrades too. */
function proxied(location: string, upstream: string): string {
  return `    location ${location} {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }
`;
}

/** True once a TCP connection to the port is accepted. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

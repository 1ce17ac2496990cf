import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineNodeProblem } from './cluster/node-id.js';
import { clusterPrimary, MAX_PROCESSES, processCount } from './cluster/primary.js';
import { initScripts } from './init.js';
import { DEFAULT_OPTIONS, resolveOptions } from './options.js';
import { startPagewire } from './pagewire.js';
import { type RedisOption, redisTarget } from './redis/redis-target.js';
import { PROXY_CONFIG_HELP, PROXY_CONFIG_SYNOPSIS, proxyConfigMain } from './proxy/proxy-config-cli.js';

const USAGE = `Usage: pagewire serve [dir] [--port N] [--host H] [--dev] [--processes N|auto] [--workers N]
                      [--env NAME]... [--allowed-host NAME]... [--trust-proxy] [--data-dir DIR]
                      [--read-dir DIR]... [--node ID] [--redis URL [--redis-prefix P]]
       pagewire init [dir]
${PROXY_CONFIG_SYNOPSIS}

  init          writes a scripts folder to start from (default: scripts): a first page, a
                partial it imports, and a tsconfig.json for editors; never overwrites a file
  dir           the scripts folder (default for serve: current folder)
  --port N      port to listen on (default: $PORT, or 3000)
  --host H      address to listen on (default: localhost with --dev, all addresses without)
  --dev         development mode: hot reload, error details in the browser
  --processes N serve with N processes on one port (Node's cluster), each page's socket brought
                to the process that holds it; auto: one per core (default: 1)
  --workers N   run scripts in N worker threads in each process: a stuck or crashing script
                ends its worker, not the server (default: one per core, shared among the
                processes; 0 runs them in the server's thread)
  --env NAME    scripts may read the environment variable NAME in process.env; repeat it for
                several (NODE_ENV always; the others are not in their process.env)
  --allowed-host NAME
                a host name this server answers to (example.com, or .example.com with its
                subdomains); repeat it for several. Always: IP addresses, localhost, --host.
                Another name is refused 403 (DNS rebinding)
  --trust-proxy behind a reverse proxy that sets X-Forwarded-Host and X-Forwarded-Proto:
                check that host instead, and use __Host- Secure cookies when it says https
  --data-dir DIR
                the one folder scripts write to through fs (default: _data in the scripts folder)
  --read-dir DIR
                a folder scripts may also read through fs; repeat it for several
  --node ID     this machine's node id, behind a proxy that routes by it (see proxy-config):
                its pages' socket paths carry it; with --processes N its processes are
                ID-1, ID-2, ... (default: random per process)
  --redis URL   keep shared data in Redis and send broadcasts and channel messages over it, so
                that several machines serve one site (redis://host:6379); exits if unreachable
  --redis-prefix P
                what every key and channel in Redis starts with (default: pagewire:); sites
                sharing a Redis need their own (end it with :)
${PROXY_CONFIG_HELP}

  PAGEWIRE_SESSION_SECRET  the key session cookies are signed with (sessionSecret; by default
                a random one per server, shared by its --processes): set it when several
                servers serve one site
  PAGEWIRE_REDIS_URL       --redis, kept out of the command line (ps shows a password there)`;

/** Runs the CLI with `argv` (without `node` and the script). Resolves when the server listens. */
export async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'proxy-config') return proxyConfigMain(argv.slice(1), USAGE);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      dev: { type: 'boolean', default: false },
      workers: { type: 'string' },
      processes: { type: 'string' },
      env: { type: 'string', multiple: true },
      'allowed-host': { type: 'string', multiple: true },
      'trust-proxy': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'read-dir': { type: 'string', multiple: true },
      node: { type: 'string' },
      redis: { type: 'string' },
      'redis-prefix': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, given, ...extra] = positionals;
  const serveOnlyFlags =
    values.port !== undefined ||
    values.host !== undefined ||
    values.dev ||
    values.workers !== undefined ||
    values.processes !== undefined ||
    values.env !== undefined ||
    values['allowed-host'] !== undefined ||
    values['trust-proxy'] ||
    values['data-dir'] !== undefined ||
    values['read-dir'] !== undefined ||
    values.node !== undefined ||
    values.redis !== undefined ||
    values['redis-prefix'] !== undefined;
  // What is wrong, said before the usage: the usage alone leaves a person to find it.
  let misuse: string | undefined;
  if (command !== 'serve' && command !== 'init') misuse = command ? `'${command}' is no command` : 'name a command';
  else if (extra.length > 0) misuse = `${command} takes one folder, but was also given ${extra.join(' ')}`;
  else if (command === 'init' && serveOnlyFlags) misuse = 'init takes no option of serve (--port, --dev, ...)';
  if (values.help || misuse) {
    if (!values.help) console.error(`pagewire: ${misuse}`);
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  if (command === 'init') {
    console.log(initScripts(given ?? 'scripts'));
    return;
  }
  const dir = given ?? '.';
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`pagewire serve: --port must be a port number, got '${values.port ?? process.env.PORT}'`);

  const processes = values.processes === 'auto' ? 'auto' : Number(values.processes ?? 1);
  if (processes !== 'auto' && !(Number.isInteger(processes) && processes >= 1 && processes <= MAX_PROCESSES)) {
    const got = `got '${values.processes}'`;
    throw new Error(`pagewire serve: --processes must be a whole number from 1 to ${MAX_PROCESSES}, or auto, ${got}`);
  }
  const nodeProblem = values.node === undefined ? undefined : machineNodeProblem(values.node, processCount(processes));
  if (nodeProblem !== undefined) throw new Error(`pagewire serve: --node must be ${nodeProblem}`);
  const workers = values.workers === undefined ? {} : { workers: Number(values.workers) };
  if (workers.workers !== undefined && !(Number.isInteger(workers.workers) && workers.workers >= 0)) {
    const got = `got '${values.workers}'`;
    throw new Error(`pagewire serve: --workers must be a whole number (0 runs scripts in the server's thread), ${got}`);
  }
  // Added to the default (NODE_ENV): `--env DATABASE_URL` should not hide NODE_ENV.
  const env = values.env === undefined ? {} : { env: [...DEFAULT_OPTIONS.env, ...values.env] };
  // Never a flag: a command line is visible to every user of the machine.
  const sessionSecret = process.env.PAGEWIRE_SESSION_SECRET || undefined;
  // Folders typed in a shell are taken from the current folder (the options take them from `dir`).
  const dataDir = values['data-dir'] === undefined ? {} : { dataDir: path.resolve(values['data-dir']) };
  const readDirs = values['read-dir'] === undefined ? {} : { readDirs: values['read-dir'].map((d) => path.resolve(d)) };
  // Dev mode shows code and stacks to the browser: only this machine's, unless --host says otherwise.
  const host = values.host ?? (values.dev ? 'localhost' : undefined);
  // The name it listens on is one it answers to (as vite's server.host); IP addresses always are.
  const names = [...(host && isIP(host) === 0 ? [host] : []), ...(values['allowed-host'] ?? [])];
  const hosts = names.length > 0 ? { allowedHosts: names } : {};
  const proxy = values['trust-proxy'] ? { trustProxy: true } : {};
  // A process the cluster's primary started has its own id (`<node>-<n>`, from the primary).
  const node = values.node === undefined || cluster.isWorker ? {} : { node: values.node };
  // A Redis URL may carry a password: the environment keeps it out of `ps`, as the session secret.
  const redis = redisOption(values.redis ?? (process.env.PAGEWIRE_REDIS_URL || undefined), values['redis-prefix']);
  // Once per command: not again in each process of a cluster.
  if (redis.redis && !sessionSecret && cluster.isPrimary) console.warn(UNSHARED_SESSIONS);
  // The CLI owns its process: with --workers 0, a script's stray rejection must not end it.
  const options = {
    dir,
    dev: values.dev,
    sessionSecret,
    ...workers,
    ...env,
    ...hosts,
    ...proxy,
    ...dataDir,
    ...readDirs,
    ...node,
    ...redis,
  };
  if (cluster.isPrimary && processCount(processes) > 1) {
    // Its options are checked here once, rather than by each process that would fail to start.
    resolveOptions(options);
    const site = { dir: path.resolve(dir), host, dev: values.dev, node: values.node };
    return servePrimary(processCount(processes), {
      ...site,
      about: aboutSite(values.node, options.redis, processCount(processes)),
    });
  }
  const wire = startPagewire(options, { ownsProcess: true });
  // Listening before Redis answers would serve pages whose shared calls all fail.
  await wire.ready();
  // The core handler straight on node:http: the standalone server does not pay Express's
  // per-request cost (routing, request and response decoration).
  const server = createServer(wire.handler);
  wire.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      const where = `port ${port}${host === undefined ? '' : ` of ${host}`}`;
      reject(new Error(`pagewire serve: ${where} is in use: stop what listens there, or choose another with --port`));
    });
    server.listen(port, host, resolve);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing pages and sockets...`);
    server.close();
    server.closeAllConnections();
    wire.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // The cluster's primary is gone (killed): nobody routes to this process any more. Node's own
  // listener would exit at once, close hooks unrun, unless told the disconnect was expected.
  const worker = cluster.worker;
  if (worker) {
    process.prependOnceListener('disconnect', () => {
      worker.exitedAfterDisconnect = true;
      stop('the primary process is gone');
    });
  }
  // Said once it stops cleanly: whoever reads the line may send SIGTERM at once.
  const address = server.address();
  const shown = typeof address === 'object' && address ? address.port : port;
  // In a cluster, the primary says where the site is; each process, that it serves it.
  if (cluster.isWorker) {
    // In `ps`, which process is which: the primary's and its processes' command lines are the same.
    process.title = `pagewire ${wire.options.node}`;
    console.log(`process ${wire.options.node} (pid ${process.pid}) is serving`);
  } else console.log(serving(wire.options.dir, host, shown, values.dev, aboutSite(values.node, options.redis)));
}

/** What the serving line adds: the machine's node id when named, and where `shared` lives when in Redis. */
function aboutSite(node: string | undefined, redis: string | RedisOption | undefined, processes = 1): string {
  const nodes = processes > 1 ? ` (nodes ${node}-1 to ${node}-${processes})` : ` as node ${node}`;
  return (
    (node === undefined ? '' : nodes) + (redis === undefined ? '' : `; shared in Redis at ${redisTarget(redis).where}`)
  );
}

/** `--redis` and `--redis-prefix` as the `redis` option. */
function redisOption(url: string | undefined, prefix: string | undefined): { redis?: string | RedisOption } {
  if (url === undefined) {
    if (prefix !== undefined)
      throw new Error('pagewire serve: --redis-prefix goes with --redis URL (or PAGEWIRE_REDIS_URL)');
    return {};
  }
  return { redis: prefix === undefined ? url : { url, prefix } };
}

const UNSHARED_SESSIONS =
  'pagewire serve: --redis without PAGEWIRE_SESSION_SECRET: this server signs sessions with a key of its own, ' +
  'so a browser is a new session on each machine. Set the same PAGEWIRE_SESSION_SECRET on every machine';

/** The line that says where the site is served. */
function serving(dir: string, host: string | undefined, port: number, dev: boolean, extra = ''): string {
  return (
    `Pagewire is serving ${dir} on http://${host ?? 'localhost'}:${port}/` +
    (host === undefined ? ' (all addresses)' : '') +
    (dev ? ' (dev)' : '') +
    extra
  );
}

/** `--processes N`: this process is the cluster's primary; the others serve. */
async function servePrimary(
  count: number,
  site: { dir: string; host: string | undefined; dev: boolean; node: string | undefined; about: string },
) {
  process.title = 'pagewire primary';
  const primary = clusterPrimary({ processes: count, ...(site.node === undefined ? {} : { node: site.node }) });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing every process's pages and sockets...`);
    void primary.stop().then(() => process.exit(process.exitCode ?? 0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const { port } = await primary.listening;
  console.log(serving(site.dir, site.host, port, site.dev, ` with ${count} processes${site.about}`));
}

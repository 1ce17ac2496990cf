/** `pagewire proxy-config nginx ...`: prints the proxy config of a site's nodes. */
import { parseArgs } from 'node:util';
import { nginxConfig } from './nginx-config.js';
import { parseNodeArgument, ProxyConfigError } from './proxy-nodes.js';

/** The synopsis line of the command, in the CLI's usage. */
export const PROXY_CONFIG_SYNOPSIS = `       pagewire proxy-config nginx --node ID=HOST:PORT... [--listen PORT]
                      [--server-name NAME]... [--base PATH]`;

/** What the command and its flags do, in the CLI's usage. */
export const PROXY_CONFIG_HELP = `  proxy-config nginx
                prints an nginx config (for /etc/nginx/conf.d/) for several machines, each
                running pagewire serve --node ID: renders round-robin, each page's socket to
                the node that holds it, 410 for a node that is gone (its pages reload)
  --node ID=HOST:PORT
                (proxy-config) a machine and where it listens; repeat it for each
  --listen PORT (proxy-config) where nginx listens: a port or ADDRESS:PORT (default: 80)
  --server-name NAME
                (proxy-config) nginx's server_name; repeat it for several (default: _)
  --base PATH   (proxy-config) the path Pagewire is mounted at, when not at / (e.g. /app)`;

/** Runs `pagewire proxy-config <kind> ...` (`argv` after `proxy-config`). */
export function proxyConfigMain(argv: string[], usage: string): void {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    // parseArgs's own message (an unknown flag, a missing value), then how to write it.
    console.error(`pagewire proxy-config: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return;
  }
  const [kind, ...extra] = positionals;
  try {
    if (kind !== 'nginx') {
      throw new ProxyConfigError(
        kind === undefined
          ? 'which proxy? pagewire proxy-config nginx --node ID=HOST:PORT ...'
          : `'${kind}' is not a proxy kind it writes: only nginx. The README's "Running on several ` +
              'machines" says how to route by node id with HAProxy and a Kubernetes ingress',
      );
    }
    if (extra.length > 0) throw new ProxyConfigError(`unexpected '${extra.join(' ')}': each node goes after --node`);
    const nodes = (values.node ?? []).map(parseNodeArgument);
    const listen = once(values.listen, '--listen');
    const base = once(values.base, '--base');
    process.stdout.write(
      nginxConfig({
        nodes,
        ...(listen === undefined ? {} : { listen }),
        ...(values['server-name'] === undefined ? {} : { serverNames: values['server-name'] }),
        ...(base === undefined ? {} : { base }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ProxyConfigError)) throw error;
    console.error(`pagewire proxy-config: ${error.message}`);
    process.exitCode = 2;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      node: { type: 'string', multiple: true },
      // Taken as lists, to refuse a second one: parseArgs would keep the last, unseen by the checks.
      listen: { type: 'string', multiple: true },
      'server-name': { type: 'string', multiple: true },
      base: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

/** The one value of a flag given at most once. */
function once(values: string[] | undefined, flag: string): string | undefined {
  if (values !== undefined && values.length > 1)
    throw new ProxyConfigError(`${flag} is given ${values.length} times: give it once`);
  return values?.[0];
}

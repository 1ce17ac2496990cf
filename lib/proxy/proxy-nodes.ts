/**
 * The input of `pagewire proxy-config`, checked: the site's nodes (`--node n1=10.0.0.1:3000`),
 * where the proxy listens, its server names and Pagewire's mount path. Every value ends up in a
 * proxy's configuration file, so each is refused unless it is plainly what it claims to be: a
 * value that could carry a `;`, a quote or a newline into the file never gets there.
 */
import { isIP } from 'node:net';
import { NODE_ID_PATTERN } from '../cluster/node-id.js';

/** One node: its id (`--node` of `pagewire serve` on that machine) and where it listens. */
export interface ProxyNode {
  id: string;
  /** `host:port`, as the proxy dials it: an IPv4 address, `[IPv6]`, or a DNS name. */
  address: string;
}

/** A mistake in the input, said so that the user can fix it; the CLI prints it and exits 2. */
export class ProxyConfigError extends Error {}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

/** `n1=10.0.0.1:3000` as typed after `--node`. */
export function parseNodeArgument(text: string): ProxyNode {
  const equals = text.indexOf('=');
  if (equals === -1) {
    throw new ProxyConfigError(`--node '${text}': write it as ID=HOST:PORT, e.g. --node n1=10.0.0.1:3000`);
  }
  return { id: text.slice(0, equals), address: text.slice(equals + 1) };
}

/** Why `address` is no `host:port` a proxy can dial, or `undefined` when it is one. */
export function addressProblem(address: string): string | undefined {
  const match = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(address);
  const example = 'HOST:PORT (10.0.0.1:3000, [fd00::1]:3000 or node1.internal:3000)';
  if (!match) return `'${address}' is not ${example}`;
  const host = match[1] as string;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `'${address}': the port must be from 1 to 65535`;
  const ipv6 = host.startsWith('[') && isIP(host.slice(1, -1)) === 6;
  if (!ipv6 && isIP(host) !== 4 && !DNS_NAME.test(host)) return `'${address}': '${host}' is not ${example}`;
  return undefined;
}

/**
 * Refuses nodes no proxy could route by: an id Pagewire would not take (`--node` of `pagewire
 * serve`), the same id or address twice, and ids that one path would match both of: `n1` takes
 * `/__pagewire/n1-2/` too (the processes of `--node n1 --processes N`), so `n1-2` cannot be another.
 */
export function checkNodes(nodes: readonly ProxyNode[]): void {
  if (nodes.length === 0) {
    throw new ProxyConfigError('no nodes: name each machine with --node ID=HOST:PORT, e.g. --node n1=10.0.0.1:3000');
  }
  const ids = new Map<string, ProxyNode>();
  const addresses = new Map<string, ProxyNode>();
  for (const node of nodes) {
    if (!NODE_ID_PATTERN.test(node.id)) {
      throw new ProxyConfigError(
        `node id '${node.id}': 1 to 64 letters, digits, _ or - (as pagewire serve --node takes it)`,
      );
    }
    const problem = addressProblem(node.address);
    if (problem !== undefined) throw new ProxyConfigError(`node ${node.id}: ${problem}`);
    if (ids.has(node.id)) throw new ProxyConfigError(`node id '${node.id}' is given twice: each machine has its own`);
    const sameAddress = addresses.get(node.address.toLowerCase());
    if (sameAddress) {
      throw new ProxyConfigError(
        `nodes ${sameAddress.id} and ${node.id} have the same address ${node.address}: one server is one node`,
      );
    }
    ids.set(node.id, node);
    addresses.set(node.address.toLowerCase(), node);
  }
  for (const node of nodes) {
    for (const other of nodes) {
      if (other !== node && new RegExp(`^${node.id}-[0-9]+$`).test(other.id)) {
        throw new ProxyConfigError(
          `node ids '${node.id}' and '${other.id}' are ambiguous: /__pagewire/${other.id}/ is also the path of ` +
            `process ${other.id.slice(node.id.length + 1)} of node ${node.id} (pagewire serve --node ${node.id} ` +
            '--processes N). Rename one, e.g. without a -<number> ending',
        );
      }
    }
  }
}

/** The proxy's listen address: a port, or `address:port`. */
export function listenProblem(listen: string): string | undefined {
  if (/^\d{1,5}$/.test(listen)) {
    const port = Number(listen);
    return port >= 1 && port <= 65535 ? undefined : `--listen ${listen}: a port from 1 to 65535`;
  }
  const problem = addressProblem(listen);
  return problem === undefined ? undefined : `--listen: ${problem}, or a port alone`;
}

/** A server name as nginx takes it: a host name, `*.example.com`, `.example.com` or `_`. */
export function serverNameProblem(name: string): string | undefined {
  if (name === '_' || /^(\*\.|\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name)) return undefined;
  return `--server-name '${name}': a host name (example.com, *.example.com, .example.com)`;
}

/** Pagewire's mount path (`--base /app`), without its trailing slash: '' for the root. */
export function normalBase(base: string): string {
  const bare = base.replace(/\/+$/, '');
  const dotSegment = bare.split('/').some((segment) => segment === '.' || segment === '..');
  if (bare === '' || (/^(\/[A-Za-z0-9._~-]+)+$/.test(bare) && !dotSegment)) return bare;
  throw new ProxyConfigError(
    `--base '${base}': the path Pagewire is mounted at, such as /app (letters, digits, . _ ~ - between slashes)`,
  );
}

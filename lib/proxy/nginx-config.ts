/**
 * `pagewire proxy-config nginx`: the nginx configuration (its http-level part, for
 * /etc/nginx/conf.d/) of a site served by several Pagewire nodes. Renders, and every request
 * that names no node, go round-robin to all of them; `<base>/__pagewire/<node>/...` (a live
 * page's socket and status paths) and `<base>/__pagewire/<node>-<n>/...` (the processes of
 * `--node <node> --processes N`) go to that node's machine alone, so each page's socket reaches
 * the instance that rendered it. So does a live fragment's request (`X-Pagewire-Node: <node>` or
 * `<node>-<n>`, lib/http/fragment-request.ts), through a `map` that knows only the configured
 * ids: any other value is round-robin, as no header is. A node id nobody configured, and a node
 * that does not answer, are answered 410 Gone: the client takes that as "expired" and reloads
 * onto a live node.
 */
import { DEFAULT_OPTIONS } from '../options.js';
import {
  checkNodes,
  listenProblem,
  normalBase,
  ProxyConfigError,
  type ProxyNode,
  serverNameProblem,
} from './proxy-nodes.js';

export interface NginxConfigInput {
  nodes: readonly ProxyNode[];
  /** Where nginx listens: a port or `address:port`. @default '80' */
  listen?: string;
  /** nginx's `server_name`s. @default ['_'] */
  serverNames?: readonly string[];
  /** Pagewire's mount path (`/app`), where its `__pagewire/` paths are. @default '' */
  base?: string;
  /** The nodes' `heartbeatInterval` (ms): a socket is silent no longer than that. @default DEFAULT_OPTIONS */
  heartbeatInterval?: number;
  /** The nodes' `renderTimeout` (ms): a render answers within it. @default DEFAULT_OPTIONS */
  renderTimeout?: number;
}

/**
 * The round-robin upstream's health rule: one failed connection (refused, or no answer within
 * CONNECT_TIMEOUT_S) and the node is skipped for FAIL_TIMEOUT_S, the request retried on another
 * node (nginx's proxy_next_upstream, `error timeout` by default: the browser never sees it); then
 * one live request tries it again, so a node back from a crash takes renders within that time. A
 * node added to the config takes them at once (`nginx -s reload`).
 */
export const MAX_FAILS = 1;
export const FAIL_TIMEOUT_S = 2;
/** Dialling a node on the same network takes milliseconds: a second is a node that is not there. */
export const CONNECT_TIMEOUT_S = 1;
/** Idle connections to the nodes each nginx worker keeps, and for how long: under Node's 5 s. */
export const KEEPALIVE_CONNECTIONS = 32;
export const KEEPALIVE_TIMEOUT_S = 4;

/** The nginx config for `input`; throws ProxyConfigError, naming the fix, on bad input. */
export function nginxConfig(input: NginxConfigInput): string {
  checkNodes(input.nodes);
  const listen = input.listen ?? '80';
  const listenError = listenProblem(listen);
  if (listenError !== undefined) throw new ProxyConfigError(listenError);
  const serverNames = input.serverNames ?? [];
  for (const name of serverNames) {
    const problem = serverNameProblem(name);
    if (problem !== undefined) throw new ProxyConfigError(problem);
  }
  const base = normalBase(input.base ?? '');
  const heartbeat = input.heartbeatInterval ?? DEFAULT_OPTIONS.heartbeatInterval;
  const render = input.renderTimeout ?? DEFAULT_OPTIONS.renderTimeout;
  // A live socket carries a ping each heartbeat both ways (three silent ones: it is dead anyway),
  // and a render answers within renderTimeout: nginx never cuts either short.
  const idle = Math.ceil(Math.max(3 * heartbeat, render + heartbeat) / 1000);
  const prefix = `^${base.replaceAll('.', '\\.')}/__pagewire/`;
  return [
    header(input, base),
    upstreams(input.nodes),
    fragmentMap(input.nodes),
    `# WebSocket upgrades through; other requests without \`Connection: close\`, so that the
# connections to the nodes are kept for the next request (keepalive). A Host that keeps its
# port (the Origin check compares both).
map $http_upgrade $pagewire_connection {
    default upgrade;
    ''      '';
}
map $http_host $pagewire_host {
    default $http_host;
    ''      $host;
}
`,
    `server {
    listen ${listen};
    server_name ${serverNames.length > 0 ? serverNames.join(' ') : '_'};

    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $pagewire_connection;
    # Set, never passed on from the browser: what pagewire serve --trust-proxy believes.
    proxy_set_header Host $pagewire_host;
    proxy_set_header X-Forwarded-Host $pagewire_host;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_connect_timeout ${CONNECT_TIMEOUT_S}s;
    # Longer than the heartbeat (${heartbeat / 1000} s) and a render (${render / 1000} s).
    proxy_read_timeout ${idle}s;
    proxy_send_timeout ${idle}s;
    send_timeout ${idle}s;

    # Renders, the client script, and anything else: any node; a live fragment's request, its
    # document's node (the map above: only an upstream of this file, whatever the header says).
    location / {
        proxy_pass http://$pagewire_fragment_upstream;
    }
${input.nodes.map((node) => nodeLocation(node, prefix)).join('')}
    # A node id this config does not name (forged, another site's, or a node since removed).
    location ~ ${prefix}[^/]+/ {
        default_type text/plain;
        add_header Cache-Control no-store always;
        return 410 "no node of this site has that id: its pages are gone\\n";
    }

    # A node that refused the connection (502) or did not answer it (504): its pages are gone.
    location @pagewire_gone {
        default_type text/plain;
        add_header Cache-Control no-store always;
        return 410 "that node does not answer: its pages are gone\\n";
    }
}
`,
  ].join('\n');
}

function header(input: NginxConfigInput, base: string): string {
  // The command again, from the checked input only: nothing a user typed reaches the file unchecked.
  const command = [
    'pagewire proxy-config nginx',
    ...input.nodes.map((node) => `--node ${node.id}=${node.address}`),
    ...(input.listen === undefined ? [] : [`--listen ${input.listen}`]),
    ...(input.serverNames ?? []).map((name) => `--server-name ${name}`),
    ...(base === '' ? [] : [`--base ${base}`]),
  ].join(' ');
  return `# Pagewire: ${input.nodes.length} node(s) behind nginx. Generated by:
#   ${command}
# Regenerate it (same command, a --node per machine) when a machine is added or removed, then
# \`nginx -t && nginx -s reload\`. Put it in /etc/nginx/conf.d/ (it is http-level: upstreams,
# maps and a server block).
#
# Routing: renders and every other request go round-robin to all nodes. A live page's socket
# and status paths name the node that holds it (${base}/__pagewire/<node>/socket, and
# ${base}/__pagewire/<node>-<n>/ for the processes of pagewire serve --node <node> --processes N):
# those go to that node only. So does a live fragment's request (<pw-include>, load(),
# new ServerSocket(path)): its X-Pagewire-Node header names its document's node or process, and
# any other node would refuse it (403), not knowing the document; a value naming no node below
# is round-robin, as a request without it. A node id not below in a path, or a node that does
# not answer, is answered 410 Gone: the page's client takes it as expired and reloads onto a
# live node.
# Each machine runs: pagewire serve --node <its id> --trust-proxy --allowed-host <site name>,
# with the same PAGEWIRE_SESSION_SECRET everywhere, and is reachable from nginx only (--host
# <a private address>, or a firewall): --trust-proxy believes whoever connects.
# X-Forwarded-Proto is nginx's $scheme: behind a balancer that ends TLS first, set it to
# that balancer's $http_x_forwarded_proto instead.
`;
}

function upstreams(nodes: readonly ProxyNode[]): string {
  const all = nodes
    .map((node) => `    server ${node.address} max_fails=${MAX_FAILS} fail_timeout=${FAIL_TIMEOUT_S}s;  # ${node.id}\n`)
    .join('');
  // One server each: nginx never marks it down, so a dead node's paths are tried, refused, 410
  // (and its fragments' requests 502: their document, on that node, is gone too). Its idle
  // connections are kept too: every <pw-include> and load() of a page goes this way.
  const each = nodes
    .map(
      (node) =>
        `upstream pagewire_node_${node.id} {\n    server ${node.address};\n` +
        `    keepalive ${KEEPALIVE_CONNECTIONS};\n    keepalive_timeout ${KEEPALIVE_TIMEOUT_S}s;\n}\n`,
    )
    .join('');
  return `# Every node, round-robin; failure counts shared by nginx's worker processes (zone). Idle
# connections to the nodes are kept (one node behind nginx served 2.5 to 3 times the renders a
# second with them than with a new connection per render), and let go before the node's own
# idle timeout (Node's keepAliveTimeout, 5 s): nginx never reuses a connection the node closes.
upstream pagewire_all {
    zone pagewire_all 64k;
${all}    keepalive ${KEEPALIVE_CONNECTIONS};
    keepalive_timeout ${KEEPALIVE_TIMEOUT_S}s;
}
${each}`;
}

/**
 * The upstream of a request by its `X-Pagewire-Node` header: a fragment's goes to its document's
 * node. Anchored patterns of the configured ids only (the ids are checked: letters, digits, _ and
 * -, nothing a regex or the file could read otherwise), so a forged or garbled value never names
 * an upstream of its own: it is round-robin, as a request without the header, and the node it
 * reaches refuses a fragment of a document it does not hold.
 */
function fragmentMap(nodes: readonly ProxyNode[]): string {
  const entries = nodes.map((node) => `    ~^(?:${node.id}|${node.id}-[0-9]+)$ pagewire_node_${node.id};\n`).join('');
  return `# A live fragment's request names its document's node, or one of its processes: there.
map $http_x_pagewire_node $pagewire_fragment_upstream {
    default pagewire_all;
${entries}}
`;
}

function nodeLocation(node: ProxyNode, prefix: string): string {
  return `
    # Node ${node.id}: its pages' socket and status paths, and its processes' (${node.id}-<n>).
    location ~ ${prefix}(?:${node.id}|${node.id}-[0-9]+)/ {
        proxy_pass http://pagewire_node_${node.id};
        error_page 502 504 =410 @pagewire_gone;
    }
`;
}

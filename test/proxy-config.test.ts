// `pagewire proxy-config nginx`: the config it prints (what nginx -t accepts, and what it must
// route), and the input it refuses, each with the fix. Its behaviour in front of real nodes is
// test/nginx-nodes.test.ts; `pagewire serve --node`'s own checks are here too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startCluster } from './helpers/cluster-server.js';
import { checkNginxConfig } from './helpers/nginx.js';
import {
  CONNECT_TIMEOUT_S,
  FAIL_TIMEOUT_S,
  KEEPALIVE_CONNECTIONS,
  KEEPALIVE_TIMEOUT_S,
  MAX_FAILS,
  nginxConfig,
} from '../lib/proxy/nginx-config.js';
import { DEFAULT_OPTIONS } from '../lib/options.js';

const root = path.join(import.meta.dirname, '..');

/** The CLI as built by npm install: its exit code, what it printed and what it said went wrong. */
function proxyConfig(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['bin/pagewire.js', 'proxy-config', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const NODES = ['--node', 'n1=10.0.0.1:3000', '--node', 'n2=[fd00::2]:3000', '--node', 'web_3=node3.internal:8080'];

describe('pagewire proxy-config nginx', () => {
  it('prints the config nginxConfig() makes, which nginx -t accepts', () => {
    const printed = proxyConfig(
      'nginx',
      ...NODES,
      '--listen',
      '8080',
      '--server-name',
      'example.com',
      '--base',
      '/app',
    );
    assert.equal(printed.status, 0, printed.stderr);
    const made = nginxConfig({
      nodes: [
        { id: 'n1', address: '10.0.0.1:3000' },
        { id: 'n2', address: '[fd00::2]:3000' },
        { id: 'web_3', address: 'node3.internal:8080' },
      ],
      listen: '8080',
      serverNames: ['example.com'],
      base: '/app',
    });
    assert.equal(printed.stdout, made);
    // node3.internal resolves nowhere here: nginx -t is given the addresses it can resolve.
    const checked = checkNginxConfig(made.replaceAll('node3.internal', '127.0.0.3'));
    assert.equal(checked.status, 0, checked.output);
  });

  it("is shown in the README's 'Running on several machines' as it prints it: the two never drift", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Running on several machines'));
    const sample = /```nginx\n([\s\S]*?)```/.exec(section)?.[1];
    const printed = proxyConfig(
      'nginx',
      ...['--node', 'n1=10.0.0.1:3000', '--node', 'n2=10.0.0.2:3000', '--server-name', 'example.com'],
    );
    assert.equal(sample, printed.stdout);
  });

  it('routes each node by id, spreads the rest, and answers 410 for the ids it does not name', () => {
    const config = nginxConfig({
      nodes: [
        { id: 'n1', address: '10.0.0.1:3000' },
        { id: 'n2', address: '10.0.0.2:3000' },
      ],
      base: '/app/',
    });
    // One round-robin upstream of all, with the health rule the README states.
    const all = /upstream pagewire_all \{([^}]*)\}/.exec(config)?.[1] ?? '';
    for (const address of ['10.0.0.1:3000', '10.0.0.2:3000']) {
      assert.match(all, new RegExp(`server ${address} max_fails=${MAX_FAILS} fail_timeout=${FAIL_TIMEOUT_S}s;`));
    }
    // Renders round-robin; a fragment's request (X-Pagewire-Node) to its document's node or process.
    assert.match(config, /location \/ \{\s+proxy_pass http:\/\/\$pagewire_fragment_upstream;/);
    const map = /map \$http_x_pagewire_node \$pagewire_fragment_upstream \{([^}]*)\}/.exec(config)?.[1] ?? '';
    assert.deepEqual(
      map.trim().split(/\s*\n\s*/),
      ['default pagewire_all;', '~^(?:n1|n1-[0-9]+)$ pagewire_node_n1;', '~^(?:n2|n2-[0-9]+)$ pagewire_node_n2;'],
      'only the configured ids, anchored; anything else round-robin',
    );
    // Each node's location: its id and its processes' (-<n>), to that node alone, 410 when it is down.
    for (const [id, address] of [
      ['n1', '10.0.0.1:3000'],
      ['n2', '10.0.0.2:3000'],
    ]) {
      // Its connections kept, as the round-robin upstream's: every <pw-include> and load() goes there.
      const keepalive = `keepalive ${KEEPALIVE_CONNECTIONS};\\s+keepalive_timeout ${KEEPALIVE_TIMEOUT_S}s;`;
      assert.match(config, new RegExp(`upstream pagewire_node_${id} \\{\\s+server ${address};\\s+${keepalive}\\s+\\}`));
      const location = new RegExp(
        `location ~ \\^/app/__pagewire/\\(\\?:${id}\\|${id}-\\[0-9\\]\\+\\)/ \\{\\s+` +
          `proxy_pass http://pagewire_node_${id};\\s+error_page 502 504 =410 @pagewire_gone;`,
      );
      assert.match(config, location);
    }
    // Any other node id under the base: nginx's own 410, after the nodes' locations (first match wins).
    const catchAll = config.indexOf('location ~ ^/app/__pagewire/[^/]+/ {');
    assert.ok(catchAll > config.lastIndexOf('proxy_pass http://pagewire_node_'), 'the catch-all comes last');
    assert.match(config.slice(catchAll), /^[^}]*return 410 /);
    assert.match(config, /location @pagewire_gone \{[^}]*return 410 /);
    // WebSocket upgrades, with a variable of Pagewire's own; the forwarded headers set, not passed on.
    assert.match(config, /map \$http_upgrade \$pagewire_connection \{/);
    assert.match(config, /proxy_set_header Connection \$pagewire_connection;/);
    assert.match(config, /proxy_set_header Upgrade \$http_upgrade;/);
    // The address nginx saw, not appended to one the browser sent (an app's req.ip trusts it).
    assert.match(config, /proxy_set_header X-Forwarded-For \$remote_addr;/);
    assert.match(config, /proxy_set_header X-Forwarded-Proto \$scheme;/);
    assert.match(config, /proxy_set_header X-Forwarded-Host \$pagewire_host;/);
    // Timeouts: a live socket is never cut, a node that does not answer is soon given up.
    for (const directive of ['proxy_read_timeout', 'proxy_send_timeout', 'send_timeout']) {
      const seconds = Number(new RegExp(`${directive} (\\d+)s;`).exec(config)?.[1]);
      assert.ok(seconds * 1000 > 2 * DEFAULT_OPTIONS.heartbeatInterval, `${directive} ${seconds}s`);
      assert.ok(seconds * 1000 > DEFAULT_OPTIONS.renderTimeout, `${directive} ${seconds}s`);
    }
    assert.match(config, new RegExp(`proxy_connect_timeout ${CONNECT_TIMEOUT_S}s;`));
    assert.match(config, /listen 80;\s+server_name _;/);
    // How to regenerate it, and what the routing does, at its top.
    assert.match(config, /^# Pagewire: 2 node\(s\) behind nginx\. Generated by:\n# {3}pagewire proxy-config nginx/);
    assert.match(config, /410 Gone/);
    // Heartbeat and render timeout are the nodes': longer ones, longer timeouts.
    const slow = nginxConfig({ nodes: [{ id: 'n1', address: '10.0.0.1:3000' }], heartbeatInterval: 60_000 });
    assert.match(slow, /proxy_read_timeout 180s;/);
  });

  it('refuses bad input, saying what is wrong and how to write it (exit code 2, nothing printed)', () => {
    const cases: Array<[string[], RegExp]> = [
      [['nginx', '--node', 'n/1=10.0.0.1:3000'], /node id 'n\/1': 1 to 64 letters, digits, _ or -/],
      [['nginx', '--node', `${'n'.repeat(65)}=10.0.0.1:3000`], /1 to 64 letters/],
      [['nginx', '--node', 'n1=10.0.0.1:3000', '--node', 'n1=10.0.0.2:3000'], /node id 'n1' is given twice/],
      [['nginx', '--node', 'n1=10.0.0.1:3000', '--node', 'n2=10.0.0.1:3000'], /n1 and n2 have the same address/],
      [
        ['nginx', '--node', 'n1=10.0.0.1:3000', '--node', 'n1-2=10.0.0.2:3000'],
        /'n1' and 'n1-2' are ambiguous: \/__pagewire\/n1-2\/ is also the path of process 2 of node n1/,
      ],
      [['nginx', '--node', 'n1'], /--node 'n1': write it as ID=HOST:PORT/],
      [['nginx', '--node', 'n1=10.0.0.1'], /node n1: '10.0.0.1' is not HOST:PORT/],
      [['nginx', '--node', 'n1=10.0.0.1:0'], /the port must be from 1 to 65535/],
      [['nginx', '--node', 'n1=10.0.0.1:70000'], /the port must be from 1 to 65535/],
      [['nginx', '--node', 'n1=evil;host:80'], /'evil;host' is not HOST:PORT/],
      [['nginx', '--node', 'n1=[nope]:80'], /'\[nope\]' is not HOST:PORT/],
      [['nginx'], /no nodes: name each machine with --node ID=HOST:PORT/],
      [['nginx', ...NODES, '--listen', '80;'], /--listen: '80;' is not HOST:PORT/],
      [['nginx', ...NODES, '--server-name', 'a b'], /--server-name 'a b': a host name/],
      [['nginx', ...NODES, '--base', 'app'], /--base 'app': the path Pagewire is mounted at/],
      [['nginx', ...NODES, '--base', '/a/../b'], /--base '\/a\/\.\.\/b'/],
      // A second one would be the one checked, the first printed in the header as typed.
      [['nginx', ...NODES, '--listen', '81\nserver { }', '--listen', '80'], /--listen is given 2 times: give it once/],
      [['nginx', ...NODES, '--base', '/x\ny', '--base', '/app'], /--base is given 2 times: give it once/],
      [['haproxy', ...NODES], /'haproxy' is not a proxy kind it writes: only nginx\. The README's "Running on sev/],
      [[...NODES], /which proxy\? pagewire proxy-config nginx/],
      [['nginx', 'extra', ...NODES], /unexpected 'extra'/],
      [['nginx', '--nodes', 'n1=10.0.0.1:3000'], /Unknown option '--nodes'[\s\S]*Usage:/],
    ];
    for (const [args, expected] of cases) {
      const result = proxyConfig(...args);
      assert.equal(result.status, 2, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
      assert.match(result.stderr, /^pagewire proxy-config: /, args.join(' '));
      assert.match(result.stderr, expected, args.join(' '));
    }
    assert.match(proxyConfig('--help').stdout, /pagewire proxy-config nginx --node ID=HOST:PORT/);
  });
});

describe('pagewire serve --node', () => {
  it('refuses an id Pagewire could not put in a URL, and one too long to number its processes', async () => {
    await assert.rejects(startCluster('.', 1, ['--node', 'n 1']), /pagewire serve: --node must be 1 to 64 letters/);
    const long = 'n'.repeat(60);
    await assert.rejects(
      startCluster('.', 2, ['--node', long]),
      /--node must be at most 54 characters with --processes, so that its processes' ids/,
    );
    // Alone, 64 characters are an id.
    const single = await startCluster(root, 1, ['--node', 'n'.repeat(64)]);
    assert.equal(await single.stop(), 0, single.output());
  });
});

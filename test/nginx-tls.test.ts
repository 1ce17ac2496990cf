// The config `pagewire proxy-config nginx` prints, with TLS added to its server block as the
// README says (`listen ... ssl` and a certificate), in front of two `pagewire serve --node nX
// --trust-proxy` machines that speak plain HTTP: the nodes see the public scheme through
// X-Forwarded-Proto, so the session cookie is `__Host-` and `Secure`, a page's socket joins over
// wss from its https origin, and the http origin of the same host is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { CLUSTER_SCRIPTS } from './helpers/cluster-server.js';
import { httpsGet } from './helpers/https-get.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { type Nginx, startNginxWith } from './helpers/nginx.js';
import { generatedConfig, type ProxiedNode, startNode, stopNode } from './helpers/proxied-nodes.js';

describe('the generated nginx config with TLS added, in front of plain-HTTP nodes', { timeout: 240_000 }, () => {
  const folder = scriptsFolder(CLUSTER_SCRIPTS);
  const certs = scriptsFolder({});
  const key = path.join(certs.dir, 'key.pem');
  const cert = path.join(certs.dir, 'cert.pem');
  let nodes: ProxiedNode[];
  let nginx: Nginx;
  let origin: string;
  before(async () => {
    execFileSync('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
    ]);
    nodes = await Promise.all(['n1', 'n2'].map((id) => startNode(folder.dir, id)));
    nginx = await startNginxWith((port) => {
      const config = generatedConfig(nodes, port);
      const listen = `    listen 127.0.0.1:${port};\n`;
      assert.ok(config.includes(listen), 'the listen line the README says to change');
      const tls = `    listen 127.0.0.1:${port} ssl;\n    ssl_certificate ${cert};\n    ssl_certificate_key ${key};\n`;
      return config.replace(listen, tls);
    });
    origin = nginx.url.replace('http:', 'https:');
  });
  after(async () => {
    await nginx?.stop();
    await Promise.all((nodes ?? []).map(stopNode));
    folder.remove();
    certs.remove();
  });

  /** GET over TLS through nginx, trusting the test's own certificate. */
  /** A page socket over wss through nginx, from `from`: its join's answer, or the refusal's status. */
  function join(pageId: string, node: string, cookie: string, from: string): Promise<string> {
    const ws = new WebSocket(`${origin.replace('https', 'wss')}/__pagewire/${node}/socket`, {
      ca: readFileSync(cert),
      headers: { cookie, origin: from },
    });
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ t: 'join', p: pageId, a: 0 })));
      ws.once('message', (data) => {
        resolve(String((JSON.parse(String(data)) as { t: string }).t));
        ws.close();
      });
    });
  }

  it('issues the __Host- Secure cookie, and joins the socket from the https origin only', async () => {
    for (let i = 0; i < 2; i++) {
      const page = await httpsGet(`${origin}/where`, cert);
      assert.equal(page.status, 200);
      assert.match(
        page.setCookie[0] ?? '',
        /^__Host-pagewire_sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
        'the node, on plain HTTP, knows the browser used https',
      );
      const cookie = (page.setCookie[0] ?? '').split(';')[0] as string;
      const pageId = /data-pagewire-page="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const node = /<p id="node">([\w-]+)<\/p>/.exec(page.body)?.[1] ?? '';
      // The http origin of the same host is another origin (anyone on the path can write its pages).
      assert.equal(await join(pageId, node, cookie, nginx.url), 'refused 403');
      assert.equal(await join(pageId, node, cookie, origin), 'joined');
    }
  });
});

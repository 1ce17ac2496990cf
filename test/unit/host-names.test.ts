/**
 * `hostAllowed`, `hostName`, `requestHost`, `requestScheme` (lib/http/host-check.ts), `isHttps`
 * (session.ts) and `originAllowed` (origin.ts): which Host values a server answers to, what
 * trustProxy reads from a proxy's headers, and which Origins may act on its pages.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { hostAllowed, hostName, requestHost, requestScheme } from '../../lib/http/host-check.js';
import { originAllowed } from '../../lib/http/origin.js';
import { isHttps } from '../../lib/http/session.js';

const request = (headers: Record<string, string>, encrypted = false) =>
  ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

describe('the Host check', () => {
  it('reads the name of a Host value, port and trailing dot aside; refuses what is no host', () => {
    assert.equal(hostName('Example.COM:8080'), 'example.com');
    assert.equal(hostName('localhost.'), 'localhost');
    assert.equal(hostName('[::1]:3000'), '[::1]');
    for (const bad of ['', 'a b', 'evil.example:80x', '[::1', '[::1]x', 'user@host', 'a/b']) {
      assert.equal(hostName(bad), undefined, bad);
    }
  });

  it('allows IP addresses, localhost and *.localhost, and what allowedHosts lists', () => {
    const options = { allowedHosts: ['app.example', '.corp.example'], trustProxy: false };
    for (const host of ['127.0.0.1:80', '192.168.1.9', '[::1]:3000', '[fe80::1]', 'localhost', 'a.localhost:1']) {
      assert.ok(hostAllowed({ allowedHosts: [], trustProxy: false }, host), host);
    }
    for (const host of ['app.example', 'APP.example:443', 'corp.example', 'x.y.corp.example']) {
      assert.ok(hostAllowed(options, host), host);
    }
    for (const host of ['evil.example', 'app.example.evil', 'xcorp.example', '127.1', '[::1', 'localhost.evil']) {
      assert.ok(!hostAllowed(options, host), host);
    }
    assert.ok(hostAllowed({ allowedHosts: true, trustProxy: false }, 'anything.example'));
  });

  it('trustProxy: the first forwarded host and protocol, and only with it', () => {
    const proxied = request({
      host: 'upstream:3000',
      'x-forwarded-host': 'app.example, inner',
      'x-forwarded-proto': 'https',
    });
    assert.equal(requestHost(proxied, true), 'app.example');
    assert.equal(requestHost(proxied, false), 'upstream:3000');
    assert.equal(isHttps(proxied, true), true);
    assert.equal(isHttps(proxied, false), false);
    assert.equal(isHttps(request({}, true), false), true);
    // TLS to this server is HTTPS whatever a header says.
    assert.equal(isHttps(request({ 'x-forwarded-proto': 'http' }, true), true), true);
  });

  it('trustProxy: the Origin must have the forwarded scheme as well as the host; unknown, the host alone', () => {
    const none = { allowedOrigins: [] };
    const proxied = request({ host: 'upstream', 'x-forwarded-host': 'app.example', 'x-forwarded-proto': 'https' });
    assert.equal(requestScheme(proxied, true), 'https');
    assert.equal(requestScheme(proxied, false), undefined, 'a header anyone may send says nothing');
    assert.equal(requestScheme(request({ 'x-forwarded-proto': 'HTTP, https' }), true), 'http');
    assert.equal(requestScheme(request({ 'x-forwarded-proto': 'gopher' }), true), undefined);
    assert.equal(requestScheme(request({}, true), false), 'https');
    const scheme = requestScheme(proxied, true);
    assert.ok(originAllowed(none, 'https://app.example', 'app.example', scheme));
    assert.ok(!originAllowed(none, 'http://app.example', 'app.example', scheme), 'the plain-HTTP page of the host');
    assert.ok(!originAllowed(none, 'https://evil.example', 'app.example', scheme));
    // Without a known scheme (no trustProxy, no TLS): the host alone, as before.
    assert.ok(originAllowed(none, 'http://app.example', 'app.example', undefined));
    assert.ok(originAllowed(none, 'https://app.example', 'app.example', undefined));
    // allowedOrigins lists whole origins: they are the rule.
    assert.ok(originAllowed({ allowedOrigins: ['http://app.example'] }, 'http://app.example', 'x', 'https'));
  });
});

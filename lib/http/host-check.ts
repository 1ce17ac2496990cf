import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { forLog } from '../log-text.js';
import type { Logger } from '../logger.js';

/** The options the host check reads. */
export interface HostCheckOptions {
  allowedHosts: readonly string[] | true;
  trustProxy: boolean;
}

/**
 * The host the browser asked for: `Host`, or with `trustProxy` the first `X-Forwarded-Host` (the
 * one the proxy in front set, as Express reads it). Port included, as sent.
 */
export function requestHost(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? req.headers['x-forwarded-host'] : undefined;
  if (typeof forwarded === 'string' && forwarded !== '') return forwarded.split(',')[0]?.trim();
  return req.headers.host;
}

/**
 * The scheme the browser used, when the server can know it: `https` on its own TLS socket, or
 * with `trustProxy` the first `X-Forwarded-Proto` (set by the proxy that ended TLS, as Express
 * reads it). `undefined` otherwise: behind a proxy not trusted, the server cannot tell.
 */
export function requestScheme(req: IncomingMessage, trustProxy: boolean): 'http' | 'https' | undefined {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return 'https';
  const forwarded = trustProxy ? req.headers['x-forwarded-proto'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https' || first === 'http' ? first : undefined;
}

/**
 * The name in a `Host` value, lower-case, without the port; IPv6 literals keep their brackets.
 * `undefined` when it is not a host at all.
 */
export function hostName(host: string): string | undefined {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    const rest = value.slice(end + 1);
    if (end === -1 || (rest !== '' && !/^:\d+$/.test(rest))) return undefined;
    return value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  if (colon !== -1 && !/^\d+$/.test(value.slice(colon + 1))) return undefined;
  // A trailing dot names the same host (`localhost.`): compared without it.
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return /^[\w.-]+$/.test(bare) ? bare : undefined;
}

/**
 * Whether this server answers to `host` (DNS rebinding: a site of an attacker's whose name now
 * resolves to this machine is still named in the browser's `Host`). Allowed: IP addresses (a
 * browser that sends one was pointed at this address itself, no name was rebound), `localhost`
 * and `*.localhost` (browsers resolve them to loopback without asking DNS), and `allowedHosts`
 * (`.example.com`: it and its subdomains). A request without a Host (HTTP/1.0) is no browser's.
 */
export function hostAllowed(options: HostCheckOptions, host: string | undefined): boolean {
  if (options.allowedHosts === true || host === undefined) return true;
  const name = hostName(host);
  if (name === undefined) return false;
  if (name.startsWith('[') ? isIP(name.slice(1, -1)) === 6 : isIP(name) === 4) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return options.allowedHosts.some((allowed) => {
    const entry = allowed.toLowerCase();
    return entry.startsWith('.') ? name === entry.slice(1) || name.endsWith(entry) : name === entry;
  });
}

/** The refusal's text: the host seen, and the option that allows it. */
export function hostRefusal(host: string | undefined): string {
  const name = (host === undefined ? undefined : hostName(host)) ?? host ?? '';
  return (
    `host not allowed: ${JSON.stringify(name)} is not a host of this server (a protection against DNS ` +
    `rebinding). If it is, allow it: pagewire({ allowedHosts: [${JSON.stringify(name)}] }) ` +
    '(pagewire serve --allowed-host NAME); behind a proxy that sets X-Forwarded-Host, trustProxy: true'
  );
}

/** Hosts already logged as refused: each once, so that a scanner's requests do not flood the log. */
const LOGGED_HOSTS = 100;

/**
 * The check of one Pagewire instance: `undefined` when `req`'s host is allowed, else the refusal's
 * text (logged the first time that host is refused).
 */
export function hostGuard(
  options: HostCheckOptions & { logger: Logger },
): (req: IncomingMessage) => string | undefined {
  const logged = new Set<string>();
  return (req) => {
    const host = requestHost(req, options.trustProxy);
    if (hostAllowed(options, host)) return undefined;
    const refusal = hostRefusal(host);
    const key = host ?? '';
    if (!logged.has(key)) {
      if (logged.size >= LOGGED_HOSTS) logged.clear();
      logged.add(key);
      // The path as sent, cut short: the line says what was asked, not all of it.
      const path = forLog((req.url ?? '').slice(0, 200));
      options.logger.warn(`refused a request to ${path}: ${forLog(refusal)}`, { code: 'HOST_REFUSED' });
    }
    return refusal;
  };
}

/**
 * A document asking for a live fragment of itself: `new ServerSocket(path)`, `<pw-include>` and
 * `serverSocket.load()` fetch the script's page with the document's own page id in
 * `X-Pagewire-Fragment`. The page rendered is owned by that page (lib/pages/components.ts): it
 * joins on its owner's socket only, and ends with it. The answer is the page's HTML with no client
 * tag (the document has its client), and its id in `X-Pagewire-Page` when it is live.
 *
 * With several processes (`--processes`), the request names the document's node too
 * (`X-Pagewire-Node`), and a process that is not that node's hands the connection over.
 *
 * The custom header makes a cross-site `fetch` ask first (CORS preflight), which Pagewire never
 * allows: only the site's own pages can ask. A browser's Origin, when it sends one, is checked too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Peers } from '../cluster/peers.js';
import type { ResolvedOptions } from '../options.js';
import { requestHost, requestScheme } from './host-check.js';
import { originAllowed } from './origin.js';

/** The request header naming the page that asks for a fragment. */
export const FRAGMENT_HEADER = 'x-pagewire-fragment';
/** The request header naming the document's node (its process), whose page owns the fragment. */
export const FRAGMENT_NODE_HEADER = 'x-pagewire-node';
/** The answer's header: the fragment's page id, when it is live. */
export const FRAGMENT_PAGE_HEADER = 'x-pagewire-page';

/** The owner a fragment request names, or `undefined` for a request of a page of its own. */
export function fragmentOwner(req: IncomingMessage): string | undefined {
  const value = req.headers[FRAGMENT_HEADER];
  return typeof value === 'string' ? value.slice(0, 100) : undefined;
}

/** Why a fragment request is refused before anything renders (another site's Origin), or nothing. */
export function fragmentRefusal(options: ResolvedOptions, req: IncomingMessage): string | undefined {
  const { trustProxy } = options;
  const allowed = originAllowed(
    options,
    req.headers.origin,
    requestHost(req, trustProxy),
    requestScheme(req, trustProxy),
  );
  return allowed ? undefined : 'a fragment may be asked for by a page of this site only (allowedOrigins)';
}

/** Marks the answer of a fragment: its page id when live; never cached, as a live page is not. */
export function fragmentHeaders(res: ServerResponse, pageId: string, live: boolean): void {
  if (live) res.setHeader(FRAGMENT_PAGE_HEADER, pageId);
  res.setHeader('cache-control', 'no-store');
}

/**
 * A fragment of a document another process of the cluster holds: the connection is handed to that
 * process, as a page socket is (lib/cluster/handover.ts), which answers it as if it had reached it
 * first. False when the document is this process's, or its node is not a live one (then answered
 * here: its owner is unknown, 403).
 */
export function handFragmentOver(req: IncomingMessage, peers: Peers, ownNode: string): boolean {
  const node = req.headers[FRAGMENT_NODE_HEADER];
  if (typeof node !== 'string' || node === ownNode || !peers.has(node)) return false;
  return peers.handOver(node, req, req.socket, Buffer.alloc(0));
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './fixtures.js';

/** A request the server received and has not answered. */
export interface HeldRequest {
  request: IncomingMessage;
  response: ServerResponse;
}

/**
 * A local HTTP server for the tests of scripts' `fetch`: it answers `/echo` with the body it got,
 * and holds every other request unanswered, for the test to answer or to watch being aborted.
 */
export interface HoldingServer {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** The held request for `url`, once it arrived. */
  held(url: string): Promise<HeldRequest>;
  close(): Promise<void>;
}

export async function startHoldingServer(): Promise<HoldingServer> {
  const held: HeldRequest[] = [];
  const server = createServer((request, response) => {
    if (request.url === '/echo') {
      request.pipe(response);
      return;
    }
    held.push({ request, response });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const find = (url: string) => held.find((h) => h.request.url === url);
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async held(url) {
      await waitFor(() => find(url) !== undefined, `a request for ${url}`);
      return find(url) as HeldRequest;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Whether the server saw the connection of a held request go (its client aborted it). */
export function watchClose(request: IncomingMessage): () => boolean {
  let closed = false;
  request.socket.once('close', () => {
    closed = true;
  });
  return () => closed;
}

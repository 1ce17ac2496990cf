import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free when asked. Another process may take it before the
 * server that asked binds it: servers started on one retry with another port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

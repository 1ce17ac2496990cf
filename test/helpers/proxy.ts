import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a server, whose connections a test can cut, from either side, and
 * refuse for a while: a real dropped connection, as a flaky network or a proxy timeout makes.
 */
export class CuttableProxy {
  readonly port: number;
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  readonly #frozen = new Set<{ client: Socket; upstream: Socket }>();
  #blocked = false;
  #refuseSockets = false;

  private constructor(server: Server) {
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  static async start(targetPort: number): Promise<CuttableProxy> {
    const holder: { proxy?: CuttableProxy } = {};
    const server = createServer((client) => holder.proxy?.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.proxy = new CuttableProxy(server);
    return holder.proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Destroys every open connection, the `side` first. Returns how many were cut. */
  cut(side: 'client' | 'server'): number {
    const cut = this.#pairs.size;
    for (const pair of this.#pairs) {
      const [first, second] = side === 'client' ? [pair.client, pair.upstream] : [pair.upstream, pair.client];
      first.destroy();
      second.destroy();
    }
    this.#pairs.clear();
    return cut;
  }

  /**
   * Stops forwarding on every open connection without closing it: a half-open connection, as a
   * proxy or a sleeping laptop leaves behind. New connections are forwarded as usual.
   */
  freeze(): void {
    for (const pair of this.#pairs) {
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
      pair.client.pause();
      pair.upstream.pause();
      this.#frozen.add(pair);
    }
    this.#pairs.clear();
  }

  /** While blocked, new connections are cut at once. */
  block(blocked: boolean): void {
    this.#blocked = blocked;
  }

  /** While set, new page-socket upgrades are cut at once; plain HTTP still goes through. */
  refuseSockets(refused: boolean): void {
    this.#refuseSockets = refused;
  }

  async close(): Promise<void> {
    this.cut('client');
    for (const pair of this.#frozen) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise((resolve) => this.#server.close(resolve));
  }

  private accept(client: Socket, targetPort: number): void {
    if (this.#blocked) {
      client.destroy();
      return;
    }
    if (this.#refuseSockets) {
      // The request line says what the connection is for.
      client.once('data', (first: Buffer) => {
        if (/^GET \/__pagewire\/[\w-]+\/socket/.test(first.toString('latin1'))) return void client.destroy();
        client.pause();
        client.unshift(first);
        this.#forward(client, targetPort);
      });
      return;
    }
    this.#forward(client, targetPort);
  }

  #forward(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

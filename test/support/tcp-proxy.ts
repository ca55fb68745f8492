import net from 'node:net';

/**
 * A loopback TCP proxy to a local server, to cut the network for real: while paused it refuses new
 * connections and has dropped the open ones, as an unreachable service does; resume() listens again on
 * the same port. (Stopping cosmosdb-server itself would drop its in-memory data.)
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server;

  private constructor(
    private readonly targetPort: number,
    readonly port: number,
    server: net.Server,
  ) {
    this.server = server;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    await listen(server, 0);
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
    const proxy = new TcpProxy(targetPort, address.port, server);
    proxy.attach(server);
    return proxy;
  }

  private attach(server: net.Server): void {
    server.on('connection', (client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async pause(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async resume(): Promise<void> {
    this.server = net.createServer();
    this.attach(this.server);
    await listen(this.server, this.port);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

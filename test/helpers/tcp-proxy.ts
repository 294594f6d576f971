/** A TCP proxy that can drop every connection and refuse new ones for a while: a server outage in miniature. */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      if (this.frozen) {
        // A server that hangs: the connection is accepted and never answered.
        this.sockets.add(client);
        client.on('close', () => this.sockets.delete(client));
        client.on('error', () => {});
        client.pause();
        return;
      }
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        s.setNoDelay(true);
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /**
   * A hung server (blackholed network, stopped process): open connections stop carrying data,
   * new ones are accepted and never answered. Nothing is refused or reset. Ends with down().
   */
  freeze(): void {
    this.frozen = true;
    for (const sock of this.sockets) {
      sock.unpipe();
      sock.pause();
    }
  }

  /** Drops every open connection and stops accepting new ones (they are refused). */
  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) {
      sock.destroy();
    }
    if (s) {
      await new Promise((r) => s.close(r));
    }
  }
}

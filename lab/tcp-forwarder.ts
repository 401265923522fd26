/**
 * A second (third, ...) address of a lab VIP. An NLB answers on one address per subnet, all for the same
 * listeners; the lab's data plane gives each target group one VIP, so every further address forwards its
 * connections to that VIP, byte for byte, and passes a reset on as a reset (the data plane's terminations stay
 * visible to the client).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A listening forwarder. */
export class TcpForwarder {
  private readonly open = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  /** Listens on `host:port` and forwards every connection to `to`. */
  static async start(host: string, port: number, to: { readonly host: string; readonly port: number }): Promise<TcpForwarder> {
    const server = createServer({ pauseOnConnect: true });
    const forwarder = new TcpForwarder(server);
    server.on('connection', (client) => forwarder.forward(client, to));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return forwarder;
  }

  /** Stops listening and resets what is open. */
  async close(): Promise<void> {
    for (const socket of this.open) socket.resetAndDestroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, to: { readonly host: string; readonly port: number }): void {
    const upstream = connect(to);
    for (const socket of [client, upstream]) {
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
    }
    upstream.once('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!client.destroyed) client.resetAndDestroy();
    });
    client.on('error', () => {
      if (!upstream.destroyed) upstream.resetAndDestroy();
    });
    upstream.once('close', () => {
      if (!client.destroyed) client.end();
    });
    client.once('close', () => {
      if (!upstream.destroyed) upstream.destroy();
    });
  }
}

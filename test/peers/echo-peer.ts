/**
 * A real server for data-plane tests: an echo service on a 127.0.0.x address, with an optional separate health
 * port (the NLB's HealthCheckPort). Listening can stop while accepted connections stay open — a server that
 * fails the NLB's check yet still holds its associations — and the peer counts every connection it accepted.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** One port of an {@link EchoPeer}. */
class Listener {
  private server: Server | undefined;
  readonly sockets = new Set<Socket>();
  accepted = 0;

  constructor(
    readonly host: string,
    public port: number,
  ) {}

  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.pipe(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stopListening(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await this.stopListening();
  }
}

/** An echo server with a traffic port and an optional health port. */
export class EchoPeer {
  readonly traffic: Listener;
  readonly health: Listener | undefined;

  private constructor(host: string, trafficPort: number, healthPort: number | undefined) {
    this.traffic = new Listener(host, trafficPort);
    this.health = healthPort === undefined ? undefined : new Listener(host, healthPort);
  }

  get host(): string {
    return this.traffic.host;
  }

  /** Open connections on the traffic port. */
  get openConnections(): number {
    return this.traffic.sockets.size;
  }

  /** Starts one peer per host, all on the same traffic (and health) port, retrying when a port is taken. */
  static async startAll(hosts: readonly string[], withHealthPort = false): Promise<EchoPeer[]> {
    for (let attempt = 1; ; attempt += 1) {
      const first = new EchoPeer(hosts[0]!, 0, withHealthPort ? 0 : undefined);
      await first.traffic.listen();
      await first.health?.listen();
      const peers = [first, ...hosts.slice(1).map((host) => new EchoPeer(host, first.traffic.port, first.health?.port))];
      try {
        for (const peer of peers.slice(1)) {
          await peer.traffic.listen();
          await peer.health?.listen();
        }
        return peers;
      } catch (err) {
        await Promise.all(peers.map((p) => p.close()));
        if (attempt >= 5) throw err;
      }
    }
  }

  async close(): Promise<void> {
    await this.traffic.close();
    await this.health?.close();
  }
}

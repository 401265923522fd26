/**
 * Real servers for controller tests: TCP listeners on chosen 127.0.0.x addresses that share one port (as real
 * servers share a check port) and can be stopped and started again to fail and recover a target.
 * A stopped peer refuses connections at once, so failing checks cost no timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** One real server. */
export class SwitchableTcpPeer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly host: string,
    public port: number,
  ) {}

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Listens on host:port (port 0 picks one; it is then kept for restarts). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      // A TCP check only needs the connection; the peer closes when the prober does.
      socket.resume();
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

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Starts one peer per host, all on the same port (the first host picks a free one).
 * Retries with a new port when another process holds the port on one of the addresses.
 */
export async function startPeersOnSharedPort(hosts: readonly string[], attempts = 5): Promise<SwitchableTcpPeer[]> {
  for (let attempt = 1; ; attempt += 1) {
    const first = new SwitchableTcpPeer(hosts[0]!, 0);
    await first.start();
    const peers = [first, ...hosts.slice(1).map((host) => new SwitchableTcpPeer(host, first.port))];
    try {
      for (const peer of peers.slice(1)) await peer.start();
      return peers;
    } catch (err) {
      await Promise.all(peers.map((p) => p.stop()));
      if (attempt >= attempts) throw err;
    }
  }
}

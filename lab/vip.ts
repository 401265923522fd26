/**
 * A loopback "VIP": a TCP listener that, like an NLB listener, forwards each NEW client connection to one
 * target chosen by its target group, then relays bytes both ways for the life of that connection. Which
 * target (if any) is the target group's business; the VIP counts what happened to every connection.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A forwarded connection, as the target group holds it to end it when its target's state demands. */
export interface ForwardedConnection {
  /** Resets both sides (TCP RST), as the NLB does when it terminates a connection; counted by the VIP. */
  terminate(): void;
}

/** Where a new connection goes: a target's address and the set its connections are tracked in. */
export interface RouteTarget {
  /** `ip:port`, the key of the per-target counters. */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  /** Open connections to this target; the VIP adds each one and removes it when it closes. */
  readonly connections: Set<ForwardedConnection>;
}

/** The target group's answer for a new connection from `clientIp`. */
export type Router = (clientIp: string) => { readonly target: RouteTarget; readonly failOpen: boolean } | undefined;

/** What happened to the connections a VIP accepted. */
export interface VipCounters {
  /** Client connections accepted. */
  accepted: number;
  /** Connections forwarded, per target `ip:port`. */
  readonly forwarded: Record<string, number>;
  /** Of those, forwarded while the group failed open (every target unhealthy). */
  failOpenForwarded: number;
  /** Connections reset at once because the group had no target to route to. */
  refusedNoTarget: number;
  /** Connections reset because the chosen target refused or dropped the connect. */
  targetConnectFailures: number;
  /** Open connections reset by the group: at the end of a deregistration delay or an unhealthy target's termination. */
  resetByTermination: number;
}

/** A listening VIP. Start it with {@link Vip.start}. */
export class Vip {
  readonly counters: VipCounters = {
    accepted: 0,
    forwarded: {},
    failOpenForwarded: 0,
    refusedNoTarget: 0,
    targetConnectFailures: 0,
    resetByTermination: 0,
  };
  private readonly open = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly router: Router,
  ) {}

  /** Listens on `host:port` (port 0: an ephemeral one) and forwards per `router`. */
  static async start(host: string, port: number, router: Router): Promise<Vip> {
    // Paused until the target side is connected, so no client byte is lost or reordered.
    const server = createServer({ pauseOnConnect: true });
    const vip = new Vip(server, router);
    server.on('connection', (client) => vip.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return vip;
  }

  /** The address clients connect to. */
  get address(): { readonly host: string; readonly port: number } {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('vip: not listening');
    return { host: address.address, port: address.port };
  }

  /** Stops listening and resets every open connection. */
  async close(): Promise<void> {
    for (const socket of this.open) socket.resetAndDestroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.counters.accepted += 1;
    this.open.add(client);
    client.once('close', () => this.open.delete(client));
    client.on('error', () => undefined);
    const route = this.router(client.remoteAddress ?? '');
    if (!route) {
      this.counters.refusedNoTarget += 1;
      client.resetAndDestroy();
      return;
    }
    const { target, failOpen } = route;
    this.counters.forwarded[target.key] = (this.counters.forwarded[target.key] ?? 0) + 1;
    if (failOpen) this.counters.failOpenForwarded += 1;
    const upstream = connect({ host: target.ip, port: target.port });
    this.open.add(upstream);
    let terminated = false;
    let connected = false;
    const connection: ForwardedConnection = {
      terminate: () => {
        if (terminated || client.destroyed) return;
        terminated = true;
        this.counters.resetByTermination += 1;
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      },
    };
    target.connections.add(connection);
    const release = () => target.connections.delete(connection);
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      if (connected || terminated) {
        // A reset from the target after the connect: pass it on as a reset, as the NLB does.
        if (!client.destroyed) client.resetAndDestroy();
        return;
      }
      this.counters.targetConnectFailures += 1;
      client.resetAndDestroy();
    });
    upstream.once('close', () => {
      this.open.delete(upstream);
      release();
      if (!client.destroyed) client.end();
    });
    client.once('close', () => {
      release();
      if (!upstream.destroyed) upstream.destroy();
    });
  }
}

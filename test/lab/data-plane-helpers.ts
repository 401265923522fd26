/**
 * Helpers for the data-plane tests: the real SDK pointed at the lab endpoint, clients that talk through a VIP,
 * and a bounded wait (a hang check, never a timing assertion).
 */
import { connect, type Socket } from 'node:net';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Vip } from '../../lab/vip';

/** An SDK client for the endpoint with dummy credentials and no SDK retries. */
export function sdkClient(endpoint: string): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLAB', secretAccessKey: 'lab-secret' },
    maxAttempts: 1,
  });
}

/** ELBv2 calls a test makes, through the real SDK. */
export class ElbCalls {
  constructor(readonly client: ElasticLoadBalancingV2Client) {}

  register(arn: string, ...targets: { ip: string; port: number }[]) {
    return this.client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: targets.map((t) => ({ Id: t.ip, Port: t.port })) }));
  }

  deregister(arn: string, ...targets: { ip: string; port: number }[]) {
    return this.client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: targets.map((t) => ({ Id: t.ip, Port: t.port })) }));
  }

  attributes(arn: string, attributes: Record<string, string>) {
    return this.client.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: Object.entries(attributes).map(([Key, Value]) => ({ Key, Value })) }),
    );
  }

  healthCheck(arn: string, settings: { interval?: number; timeout?: number; healthy?: number; unhealthy?: number; port?: number }) {
    return this.client.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: arn,
        HealthCheckIntervalSeconds: settings.interval,
        HealthCheckTimeoutSeconds: settings.timeout,
        HealthyThresholdCount: settings.healthy,
        UnhealthyThresholdCount: settings.unhealthy,
        HealthCheckPort: settings.port === undefined ? undefined : String(settings.port),
      }),
    );
  }

  /** `ip` → state, as DescribeTargetHealth reports it. */
  async states(arn: string): Promise<Record<string, string>> {
    const out = await this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    return Object.fromEntries((out.TargetHealthDescriptions ?? []).map((d) => [d.Target?.Id ?? '?', d.TargetHealth?.State ?? '?']));
  }
}

/** Polls `condition` until it holds; fails after `boundMs` (a hang bound, generous on purpose). */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, boundMs = 15_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waitFor: ${what} did not happen within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How one connection through a VIP ended. */
export type EchoOutcome = 'echoed' | 'reset' | 'closed';

/** A client connection through a VIP that echoes through the target. */
export class VipClient {
  private readonly socket: Socket;
  private buffered = '';
  private ended: EchoOutcome | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(vip: Vip, localAddress?: string) {
    this.socket = connect({ host: vip.address.host, port: vip.address.port, localAddress });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      this.wake();
    });
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.ended = err.code === 'ECONNRESET' ? 'reset' : 'closed';
      this.wake();
    });
    this.socket.on('close', () => {
      this.ended ??= 'closed';
      this.wake();
    });
  }

  /** How the connection ended, or undefined while it is open. */
  get outcome(): EchoOutcome | undefined {
    return this.ended;
  }

  /** Sends `text` and waits for it to come back, or for the connection to end. */
  async echo(text: string, boundMs = 10_000): Promise<EchoOutcome> {
    const start = this.buffered.length;
    if (!this.ended) this.socket.write(text);
    const deadline = Date.now() + boundMs;
    while (!this.buffered.slice(start).includes(text)) {
      if (this.ended) return this.ended;
      if (Date.now() > deadline) throw new Error(`VipClient: no echo of '${text}' within ${boundMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, 50);
      });
    }
    return 'echoed';
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }
}

/** One new connection: echo once and close; how it went. */
export async function oneShot(vip: Vip, localAddress?: string): Promise<EchoOutcome> {
  const client = new VipClient(vip, localAddress);
  try {
    return await client.echo('ping');
  } finally {
    client.close();
  }
}

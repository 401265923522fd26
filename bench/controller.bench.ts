/**
 * Controller round benchmark (issue 4). Not a test: it prints figures for BENCHMARKS.md and exits 1 when a
 * target is missed. Run alone with `npx tsx bench/controller.bench.ts`, or through `npm run bench -- controller`.
 *
 * One site of 200 real servers on loopback (4 services × 50 targets, 2 target groups each), 20 % of them
 * silent (they accept the TCP connection and never answer), a 2 s check timeout, the real round runner with
 * the real ELBv2 adapter and SDK client against the local ELBv2 Query-API endpoint.
 *
 * The check is `http` (a real protocol exchange: GET, status line) because every target of a service is
 * probed on the same check port, so the peers must share one port across 200 addresses; Node listeners can do
 * that on each 127.0.x.y, and a silent peer on that port is simply a listener that never answers.
 *
 * Targets: a round's wall time ≤ 1.5 × the check timeout; steady state makes 0 writes and exactly one
 * DescribeTargetHealth per target group.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import * as os from 'node:os';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Elbv2TargetGroups } from '../lambda/adapters/elbv2';
import type { StateStore } from '../lambda/reconcile/ports';
import { runRound, type RoundResult } from '../lambda/controller/round';
import { parseControllerConfig } from '../contract/controller-config';
import { emptyState, type AuditRecord, type ControllerState } from '../lambda/reconcile/state';
import { Elbv2Endpoint } from '../lab/elbv2-endpoint';

const TARGETS = 200;
const SERVICES = 4;
const SILENT_SHARE = 0.2;
const TIMEOUT_MS = 2000;
const MAX_WALL_RATIO = 1.5;

type Listener = HttpServer | TcpServer;

/** Healthy targets answer GET / with 200; silent ones accept the connection and never send a byte. */
async function startPeers(hosts: { host: string; silent: boolean }[]): Promise<{ port: number; close(): Promise<void> }> {
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const listeners: Listener[] = [];
    const sockets = new Set<Socket>();
    let port = 0;
    try {
      for (const { host, silent } of hosts) {
        const server: Listener = silent
          ? createTcpServer((socket) => {
              sockets.add(socket);
              socket.on('close', () => sockets.delete(socket));
              socket.on('error', () => undefined);
            })
          : createHttpServer((_req, res) => res.end('ok'));
        if (!silent) server.on('connection', (socket: Socket) => {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
        });
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => resolve());
        });
        listeners.push(server);
        port = (server.address() as { port: number }).port;
      }
      return {
        port,
        close: async () => {
          for (const socket of sockets) socket.destroy();
          await Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
        },
      };
    } catch (err) {
      for (const socket of sockets) socket.destroy();
      await Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
      if (attempt === 5) throw err;
    }
  }
  throw new Error('unreachable');
}

class MemoryStore implements StateStore {
  state: ControllerState = emptyState();
  async load(): Promise<ControllerState> {
    return this.state;
  }
  async save(state: ControllerState): Promise<void> {
    this.state = state;
  }
  async appendAudit(_records: readonly AuditRecord[]): Promise<void> {}
}

function describeRound(label: string, result: RoundResult): string {
  const writes = result.summary.services.flatMap((s) => s.actions);
  const registered = writes.reduce((n, a) => n + a.register.length, 0);
  const deregistered = writes.reduce((n, a) => n + a.deregister.length, 0);
  return (
    `${label}: wall ${result.durationMs.toFixed(0)} ms (${(result.durationMs / TIMEOUT_MS).toFixed(2)} × timeout), ` +
    `describes ${result.elb.describeCalls}, writes ${result.elb.writeCalls} (register ${registered} / deregister ${deregistered} targets), ` +
    `errors ${result.elb.failedCalls}, up ${result.reports.reduce((n, r) => n + r.counts.targetsUp, 0)}, ` +
    `in service ${result.reports.reduce((n, r) => n + (r.counts.targetsInService ?? 0), 0)}`
  );
}

async function main(): Promise<number> {
  const silentEvery = Math.round(1 / SILENT_SHARE);
  const hosts = Array.from({ length: TARGETS }, (_, i) => ({
    host: `127.0.${9 + Math.floor(i / 250)}.${(i % 250) + 1}`,
    silent: i % silentEvery === silentEvery - 1,
  }));
  const peers = await startPeers(hosts);
  const fake = await Elbv2Endpoint.start({ host: '127.0.0.1', healthModel: 'describes' });
  const client = new ElasticLoadBalancingV2Client({
    endpoint: fake.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    maxAttempts: 1,
  });
  const perService = TARGETS / SERVICES;
  const services = Array.from({ length: SERVICES }, (_, s) => {
    const groups = [104, 11112].map((port) => ({
      arn: `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/bench-${s}-${port}/0123456789abcdef`,
      port,
    }));
    for (const g of groups) fake.createTargetGroup(g.arn);
    return {
      name: `SVC${s}`,
      mode: 'balanced',
      rise: 2,
      fall: 3,
      check: { protocol: 'http', port: peers.port, timeoutMs: TIMEOUT_MS },
      targetGroups: groups,
      targets: hosts.slice(s * perService, (s + 1) * perService).map((h, i) => ({ name: `T${s}-${i}`, ip: h.host })),
    };
  });
  const config = parseControllerConfig({ version: 1, services });
  const store = new MemoryStore();
  const groupCount = SERVICES * 2;
  const rss = () => `${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`;

  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`);
  console.log(
    `site: ${TARGETS} targets in ${SERVICES} services, ${groupCount} target groups, ` +
      `${hosts.filter((h) => h.silent).length} silent, check http timeout ${TIMEOUT_MS} ms`,
  );
  try {
    const round = () => runRound({ config, stateStore: store, elb: new Elbv2TargetGroups({ client }), now: () => new Date() });
    const bootstrap = await round();
    console.log(describeRound('round 1 (new stack, bootstrap)', bootstrap));
    fake.clearCalls();
    const steady = await round();
    const steadyCalls = [...fake.calls];
    console.log(describeRound('round 2 (steady state)', steady));
    fake.clearCalls();
    const steady2 = await round();
    console.log(describeRound('round 3 (steady state)', steady2));
    console.log(`rss after 3 rounds: ${rss()}`);
    const healthyLatencies = steady.reports
      .flatMap((r) => r.targets)
      .filter((t) => t.probe?.healthy)
      .map((t) => t.probe!.latencyMs)
      .sort((x, y) => x - y);
    const pct = (q: number) => healthyLatencies[Math.min(healthyLatencies.length - 1, Math.floor(q * healthyLatencies.length))]?.toFixed(1) ?? 'n/a';
    console.log(`healthy probe latency in a 200-probe round (all concurrent): p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${pct(1)} ms`);

    const worstWall = Math.max(bootstrap.durationMs, steady.durationMs, steady2.durationMs);
    const describesPerGroup = new Map<string, number>();
    for (const call of steadyCalls) {
      if (call.action === 'DescribeTargetHealth') describesPerGroup.set(call.targetGroupArn!, (describesPerGroup.get(call.targetGroupArn!) ?? 0) + 1);
    }
    const steadyWrites = steadyCalls.filter((c) => c.action !== 'DescribeTargetHealth').length;
    const oneDescribeEach = describesPerGroup.size === groupCount && [...describesPerGroup.values()].every((n) => n === 1);
    const silentCount = hosts.filter((h) => h.silent).length;
    const verdictsRight =
      steady.reports.flatMap((r) => r.targets).filter((t) => t.probe?.healthy === false).length === silentCount &&
      steady.reports.flatMap((r) => r.targets).filter((t) => t.probe?.healthy === true).length === TARGETS - silentCount;

    const wallMet = worstWall <= MAX_WALL_RATIO * TIMEOUT_MS;
    const callsMet = steadyWrites === 0 && oneDescribeEach;
    console.log(`wall time target (≤ ${MAX_WALL_RATIO} × ${TIMEOUT_MS} ms, worst round ${worstWall.toFixed(0)} ms): ${wallMet ? 'MET' : 'MISSED'}`);
    console.log(`steady-state calls (0 writes, 1 describe per target group): ${steadyWrites} writes, ${steadyCalls.length} describes over ${describesPerGroup.size} groups: ${callsMet ? 'MET' : 'MISSED'}`);
    console.log(`verdicts: ${silentCount} silent reported unhealthy, ${TARGETS - silentCount} healthy: ${verdictsRight ? 'right' : 'WRONG'}`);
    return wallMet && callsMet && verdictsRight ? 0 : 1;
  } finally {
    client.destroy();
    await fake.close();
    await peers.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

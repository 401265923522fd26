/**
 * The traffic harness: a lab ELBv2 endpoint in scaled time with a data plane, pools of stand-in servers (a DICOM
 * echo SCP and an HL7 receiver per address, every address on the pool's shared ports, as a target group's
 * targets are), a VIP per protocol, and the modality and HL7 sender of lab/traffic.ts pointed at the VIPs.
 *
 * Who changes the target groups is the scenario's business:
 * - a test can call {@link Pool.register} / {@link Pool.deregister} (through the real SDK) itself;
 * - a controller-driven scenario starts a {@link ControllerLoop} with the service of {@link Pool.controllerService}:
 *   `runRound` from lambda/controller/round.ts with the real ELBv2 adapter on the lab endpoint, the real probes
 *   and a state file, rounds and switch-following timed by `lab.clock` — the clock the endpoint's delays and
 *   health checks run on. Operator actions (drain, online) and config changes go through the state store and
 *   the config the loop is given; servers fail and recover with {@link Pool.stopServer} / {@link Pool.startServer}.
 * - operator commands run the real `medlb drain|halt|online` (lambda/cli/override.ts, in-process, against the
 *   loop's `--config` and `--state-file`, the caller verified by the lab's STS endpoint) between two rounds
 *   ({@link ControllerLoop.operator}); a config change rewrites the file the loop reads every round
 *   ({@link ControllerLoop.replaceConfig}); EC2 instances live on the lab's EC2 endpoint ({@link TrafficLab.ec2}).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Ec2InstanceDiscovery } from '../../lambda/adapters/ec2-discovery';
import { Elbv2TargetGroups } from '../../lambda/adapters/elbv2';
import { FileStateStore } from '../../lambda/adapters/file-state-store';
import { followPendingSwitches } from '../../lambda/controller/pending-switches';
import { runRound, type RoundResult } from '../../lambda/controller/round';
import { run as runOperatorCommand } from '../../lambda/cli/override';
import { parseControllerConfig } from '../../contract/controller-config';
import { ScaledClock, type LabClock } from '../../lab/clock';
import { Ec2Endpoint } from '../../lab/ec2-endpoint';
import { Elbv2Endpoint } from '../../lab/elbv2-endpoint';
import { StsEndpoint } from '../../lab/sts-endpoint';
import type { HealthCheckSettings } from '../../lab/target-group-settings';
import { DicomAssociationTraffic, MllpSenderTraffic, type DicomTrafficReport, type MllpTrafficReport } from '../../lab/traffic';
import type { Vip, VipCounters } from '../../lab/vip';
import { ElbCalls, sdkClient, waitFor } from '../lab/data-plane-helpers';
import { startDicomPeer, type DicomPeer } from '../peers/dicom-peers';
import { startHl7Peer, type Hl7Peer } from '../peers/hl7-peers';

/** Options of a {@link TrafficLab}; the defaults are what medlb's stack deploys, in scaled time. */
export interface TrafficLabOptions {
  /** Model ms per wall-clock ms. @default 50 */
  readonly scale?: number;
  /** Model seconds before a new registration's checks start. @default 30 */
  readonly registrationDelaySeconds?: number;
  /** The NLB's check. @default interval 5 s, timeout 4 s, healthy 2, unhealthy 2 (the stack's setting) */
  readonly healthCheck?: Partial<HealthCheckSettings>;
  /**
   * Target-group attributes. @default a 120 s deregistration delay that closes what remains, and unhealthy
   * targets drain for as long instead of being reset (the stack's settings)
   */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** What both clients saw, and what the VIPs counted. */
export interface TrafficReport {
  readonly dicom: DicomTrafficReport;
  readonly mllp: MllpTrafficReport;
  readonly vips: { readonly dicom: VipCounters; readonly hl7: VipCounters };
}

/** The lab: an endpoint, its clock and the pools made on it. */
export class TrafficLab {
  readonly elb: ElbCalls;
  private readonly pools: Pool[] = [];
  /** Traffic still running, stopped by {@link close} so a failed test cannot leave clients running. */
  readonly running = new Set<Traffic>();
  private ec2Endpoint: Promise<Ec2Endpoint> | undefined;
  private operatorIdentity: Promise<{ sts: StsEndpoint; restoreEnv: () => void }> | undefined;

  private constructor(readonly endpoint: Elbv2Endpoint) {
    this.elb = new ElbCalls(sdkClient(endpoint.endpoint));
  }

  static async start(options: TrafficLabOptions = {}): Promise<TrafficLab> {
    const deregistrationDelay = options.attributes?.['deregistration_delay.timeout_seconds'] ?? '120';
    const endpoint = await Elbv2Endpoint.start({
      clock: new ScaledClock(options.scale ?? 50),
      registrationDelaySeconds: options.registrationDelaySeconds ?? 30,
      healthCheck: { intervalSeconds: 5, timeoutSeconds: 4, healthyThresholdCount: 2, unhealthyThresholdCount: 2, ...options.healthCheck },
      targetGroupAttributes: {
        'deregistration_delay.timeout_seconds': deregistrationDelay,
        'deregistration_delay.connection_termination.enabled': 'true',
        'target_health_state.unhealthy.connection_termination.enabled': 'false',
        'target_health_state.unhealthy.draining_interval_seconds': deregistrationDelay,
        ...options.attributes,
      },
    });
    return new TrafficLab(endpoint);
  }

  /** The clock of the endpoint's delays and checks (a controller under test takes it too). */
  get clock(): LabClock {
    return this.endpoint.clock;
  }

  /** An SDK client for the endpoint, for the controller's ELBv2 adapter. */
  elbv2Client(): ElasticLoadBalancingV2Client {
    return sdkClient(this.endpoint.endpoint);
  }

  /** A pool of stand-in servers on `hosts` (127.0.0.x), with a DICOM and an HL7 target group and their VIPs. */
  async pool(name: string, hosts: readonly string[]): Promise<Pool> {
    const servers = await startServersOnSharedPorts(hosts);
    const arn = (protocol: string) => `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/${name}-${protocol}/0123456789abcdef`;
    const dicomArn = arn('dicom');
    const hl7Arn = arn('hl7');
    this.endpoint.createTargetGroup(dicomArn);
    this.endpoint.createTargetGroup(hl7Arn);
    const pool = new Pool(
      this,
      name,
      servers,
      { arn: dicomArn, port: servers.dicomPort, vip: await this.endpoint.addListener(dicomArn) },
      { arn: hl7Arn, port: servers.hl7Port, vip: await this.endpoint.addListener(hl7Arn) },
    );
    this.pools.push(pool);
    return pool;
  }

  /** The lab's EC2 endpoint (started on first use), where scenarios launch and terminate instances. */
  ec2(): Promise<Ec2Endpoint> {
    this.ec2Endpoint ??= Ec2Endpoint.start();
    return this.ec2Endpoint;
  }

  /**
   * The SDK environment of an operator's terminal: credentials that the lab's STS endpoint (started on first use)
   * verifies, so an override records a principal as it does against AWS. Restored by {@link close}.
   */
  async operatorEnvironment(): Promise<void> {
    this.operatorIdentity ??= (async () => {
      const sts = await StsEndpoint.start('127.0.0.1');
      sts.putIdentity('AKIDTRAFFICOPERATOR', { arn: 'arn:aws:iam::111122223333:user/traffic-operator' });
      const settings: Record<string, string> = {
        AWS_ENDPOINT_URL_STS: sts.endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDTRAFFICOPERATOR',
        AWS_SECRET_ACCESS_KEY: 'traffic-secret',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        MEDLB_OPERATOR: 'traffic-operator',
      };
      const previous = Object.fromEntries(Object.keys(settings).map((key) => [key, process.env[key]]));
      Object.assign(process.env, settings);
      const restoreEnv = () => {
        for (const [key, value] of Object.entries(previous)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      };
      return { sts, restoreEnv };
    })();
    await this.operatorIdentity;
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map((traffic) => traffic.stop(0)));
    this.elb.client.destroy();
    await this.endpoint.close();
    if (this.ec2Endpoint) await (await this.ec2Endpoint).close();
    if (this.operatorIdentity) {
      const { sts, restoreEnv } = await this.operatorIdentity;
      restoreEnv();
      await sts.close();
    }
    await Promise.all(this.pools.map((pool) => pool.closeServers()));
  }
}

/** One protocol's target group of a pool. */
export interface PoolGroup {
  readonly arn: string;
  /** The servers' shared port, registered as the targets' port. */
  readonly port: number;
  readonly vip: Vip;
}

/** What a scenario changes in {@link Pool.controllerService}. */
export interface ControllerServiceOptions {
  /** @default 2 */
  readonly rise?: number;
  /** @default 2 */
  readonly fall?: number;
  /** Static targets. @default every host of the pool, named `<service><n>` */
  readonly targets?: readonly { readonly name: string; readonly ip: string }[];
  /** EC2 discovery (the loop then needs {@link ControllerLoopOptions.discoveryEndpoint}). @default none */
  readonly discovery?: { readonly tags?: Record<string, string[]>; readonly instanceIds?: string[] };
}

/** Servers on several addresses, sharing a DICOM port and an HL7 port. */
interface SharedPortServers {
  readonly dicomPort: number;
  readonly hl7Port: number;
  readonly byHost: Map<string, { dicom: DicomPeer; hl7: Hl7Peer }>;
}

/** A pool of servers with its two target groups. */
export class Pool {
  constructor(
    private readonly lab: TrafficLab,
    readonly name: string,
    private readonly servers: SharedPortServers,
    readonly dicom: PoolGroup,
    readonly hl7: PoolGroup,
  ) {}

  /** RegisterTargets for `hosts` in both groups, through the real SDK. */
  async register(...hosts: string[]): Promise<void> {
    for (const group of [this.dicom, this.hl7]) await this.lab.elb.register(group.arn, ...hosts.map((ip) => ({ ip, port: group.port })));
  }

  /** DeregisterTargets for `hosts` in both groups, through the real SDK. */
  async deregister(...hosts: string[]): Promise<void> {
    for (const group of [this.dicom, this.hl7]) await this.lab.elb.deregister(group.arn, ...hosts.map((ip) => ({ ip, port: group.port })));
  }

  /**
   * Waits until DescribeTargetHealth reports `state` (or one of several) for `host` in both groups (`gone`: no
   * longer listed). Give a short-lived state with what follows it (`['draining', 'gone']`): a poll starved by a
   * loaded machine may miss the 2.4 wall seconds of a 120 s draining.
   */
  async waitFor(host: string, state: string | readonly string[], boundMs = 20_000): Promise<void> {
    const wanted: readonly string[] = typeof state === 'string' ? [state] : state;
    await waitFor(`${host} ${wanted.join(' or ')} in ${this.name}`, async () => {
      for (const group of [this.dicom, this.hl7]) {
        const states = await this.lab.elb.states(group.arn);
        if (!wanted.includes(states[host] ?? 'gone')) return false;
      }
      return true;
    }, boundMs);
  }

  /** Starts the modality (a new association every 50 ms) and the HL7 sender (a message every 50 ms). */
  startTraffic(): Traffic {
    const traffic = new Traffic(this, new DicomAssociationTraffic(this.dicom.vip.address), new MllpSenderTraffic(this.hl7.vip.address));
    this.lab.running.add(traffic);
    return traffic;
  }

  /** Called by {@link Traffic.stop}. */
  trafficStopped(traffic: Traffic): void {
    this.lab.running.delete(traffic);
  }

  /**
   * The service block of a controller config (v1) for this pool, for controller-driven scenarios: by default
   * every host of the pool as a static target named `<name><n>`, in the pool's order (failover priority).
   */
  controllerService(name: string, mode: 'balanced' | 'failover', options: ControllerServiceOptions = {}) {
    return {
      name,
      mode,
      rise: options.rise ?? 2,
      fall: options.fall ?? 2,
      check: { protocol: 'dicom' as const, port: this.dicom.port, timeoutMs: 2000, callingAeTitle: 'MEDLB', calledAeTitle: 'PACS' },
      targetGroups: [
        { arn: this.dicom.arn, port: this.dicom.port },
        { arn: this.hl7.arn, port: this.hl7.port },
      ],
      targets: options.targets ?? [...this.servers.byHost.keys()].map((ip, i) => ({ name: `${name}${i + 1}`, ip })),
      ...(options.discovery ? { discovery: options.discovery } : {}),
    };
  }

  /** Stops both servers on `host` (they refuse connections, as a crashed or stopped server does). */
  async stopServer(host: string): Promise<void> {
    const servers = this.serversOn(host);
    await Promise.all([servers.dicom.close(), servers.hl7.close()]);
  }

  /** Starts both servers on `host` again, on the pool's ports. */
  async startServer(host: string): Promise<void> {
    this.serversOn(host);
    const dicom = await startDicomPeer({ kind: 'echo' }, { host, port: this.dicom.port });
    const hl7 = await startHl7Peer('ack-aa', host, this.hl7.port);
    this.servers.byHost.set(host, { dicom, hl7 });
  }

  async closeServers(): Promise<void> {
    await Promise.all([...this.servers.byHost.values()].flatMap((s) => [s.dicom.close(), s.hl7.close()]));
  }

  private serversOn(host: string): { dicom: DicomPeer; hl7: Hl7Peer } {
    const servers = this.servers.byHost.get(host);
    if (!servers) throw new Error(`harness: no server on ${host} in pool ${this.name}`);
    return servers;
  }
}

/** Options of a {@link ControllerLoop}. */
export interface ControllerLoopOptions {
  /** Rule 6a; off only for the control experiment that shows what breaks without it. @default true */
  readonly makeBeforeBreak?: boolean;
  /** Model seconds between two re-reads of the waiting target groups while a switch is pending. @default 2 */
  readonly followEverySeconds?: number;
  /** The lab's EC2 endpoint, for services with a `discovery` block. @default none (such a service fails) */
  readonly discoveryEndpoint?: Ec2Endpoint;
}

/** The config a {@link ControllerLoop} runs (a controller config v1 without its version). */
export interface LoopConfig {
  readonly intervalSeconds: number;
  readonly services: readonly object[];
}

/** What `medlb drain|halt|online` answered. */
export interface OperatorOutcome {
  readonly exitCode: number;
  /** The JSON line it printed on success (the audit record, `changed`, `next`). */
  readonly stdout: string;
  /** Its message on refusal or error. */
  readonly stderr: string;
}

/**
 * The controller as the Lambda runs it, on the lab's clock: a round every `intervalSeconds` (model time) with
 * the real ELBv2 adapter (and EC2 discovery adapter), the real probes and a state file; between rounds, while a
 * make-before-break switch is pending, the waiting groups are re-read every few seconds and the kept target
 * leaves as soon as its replacement is healthy. The config is read from {@link configPath} at every round, as
 * the Lambda reads it from the state table at every invocation.
 */
export class ControllerLoop {
  readonly rounds: RoundResult[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'medlb-traffic-'));
  /** The loop's state file (operator overrides are recorded here, as `medlb drain --state-file` does). */
  readonly statePath = join(this.dir, 'state.json');
  /** The loop's controller config (`medlb drain --config` reads it too). */
  readonly configPath = join(this.dir, 'controller.json');
  private readonly client: ElasticLoadBalancingV2Client;
  private readonly ec2Client: EC2Client | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  /**
   * Rounds and operator commands take turns: the file state store assumes one writer at a time (the Lambda's
   * DynamoDB store guards with conditional writes instead), and a round that saved over an override written
   * during the round would lose it — a fault of the harness, not of the product.
   */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly lab: TrafficLab,
    config: LoopConfig,
    private readonly options: ControllerLoopOptions = {},
  ) {
    this.client = lab.elbv2Client();
    this.ec2Client = options.discoveryEndpoint
      ? new EC2Client({ endpoint: options.discoveryEndpoint.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLAB', secretAccessKey: 'lab-secret' }, maxAttempts: 1 })
      : undefined;
    this.writeConfig(config);
  }

  start(): this {
    this.running ??= this.loop();
    return this;
  }

  /** A changed site deployed: the next round runs the new config. */
  async replaceConfig(config: LoopConfig): Promise<void> {
    await this.inTurn(async () => this.writeConfig(config));
  }

  /**
   * `medlb <action> <service>/<target> --config … --state-file … [extra]` as an operator types it, run between
   * two rounds. Its output is captured and returned rather than printed.
   */
  async operator(action: 'drain' | 'halt' | 'online', path: string, ...extra: string[]): Promise<OperatorOutcome> {
    await this.lab.operatorEnvironment();
    return this.inTurn(() => captureOutput(() => runOperatorCommand([action, path, '--config', this.configPath, '--state-file', this.statePath, ...extra])));
  }

  /** Resolves once `count` more rounds have completed (model time passes meanwhile; bounded in wall ms as a hang check). */
  async afterRounds(count: number, boundMs = 20_000): Promise<void> {
    const target = this.rounds.length + count;
    await waitFor(`${count} more controller rounds`, () => this.rounds.length >= target, boundMs);
  }

  /** Finishes the round in progress, stops, and removes the state file. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.client.destroy();
    this.ec2Client?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private writeConfig(config: LoopConfig): void {
    writeFileSync(this.configPath, JSON.stringify({ version: 1, ...config }, null, 2));
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async loop(): Promise<void> {
    const stateStore = new FileStateStore(this.statePath);
    const discovery = this.ec2Client ? new Ec2InstanceDiscovery({ client: this.ec2Client }) : undefined;
    const clock = this.lab.clock;
    while (!this.stopping) {
      const roundStartedAt = clock.now();
      const elb = new Elbv2TargetGroups({ client: this.client });
      const { result, intervalSeconds } = await this.inTurn(async () => {
        const config = parseControllerConfig(JSON.parse(readFileSync(this.configPath, 'utf8')), 'traffic scenario');
        const round = await runRound({ config, stateStore, elb, ...(discovery ? { discovery } : {}), makeBeforeBreak: this.options.makeBeforeBreak ?? true });
        return { result: round, intervalSeconds: config.intervalSeconds };
      });
      this.rounds.push(result);
      const nextRoundAt = roundStartedAt + intervalSeconds * 1000;
      let pending = result.pending;
      while (!this.stopping && clock.now() < nextRoundAt) {
        await clock.sleep(Math.min((this.options.followEverySeconds ?? 2) * 1000, nextRoundAt - clock.now()));
        if (pending.length > 0) pending = (await followPendingSwitches({ elb, pending, logger: SILENT })).waiting;
      }
    }
  }
}

/** Runs `command` with stdout and stderr captured (the CLI prints; the scenario wants the text). */
async function captureOutput(command: () => Promise<number>): Promise<OperatorOutcome> {
  const captured = { stdout: '', stderr: '' };
  const original = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  const into = (stream: 'stdout' | 'stderr') => ((chunk: string | Uint8Array) => {
    captured[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = into('stdout');
  process.stderr.write = into('stderr');
  try {
    const exitCode = await command();
    return { exitCode, ...captured };
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
}

const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Both clients running against a pool's VIPs. */
export class Traffic {
  constructor(
    private readonly pool: Pool,
    readonly dicom: DicomAssociationTraffic,
    readonly mllp: MllpSenderTraffic,
  ) {}

  /** Stops both clients (the HL7 sender gets `drainMs` to have its queue acknowledged) and reports. */
  async stop(drainMs = 5000): Promise<TrafficReport> {
    this.pool.trafficStopped(this);
    const [dicom, mllp] = await Promise.all([this.dicom.stop(), this.mllp.stop(drainMs)]);
    return { dicom, mllp, vips: { dicom: structuredClone(this.pool.dicom.vip.counters), hl7: structuredClone(this.pool.hl7.vip.counters) } };
  }
}

/** Starts a DICOM echo SCP and an HL7 receiver on every host, each protocol on one port shared by all hosts. */
async function startServersOnSharedPorts(hosts: readonly string[]): Promise<SharedPortServers> {
  for (let attempt = 1; ; attempt += 1) {
    const byHost = new Map<string, { dicom: DicomPeer; hl7: Hl7Peer }>();
    try {
      let dicomPort = 0;
      let hl7Port = 0;
      for (const host of hosts) {
        const dicom = await startDicomPeer({ kind: 'echo' }, { host, port: dicomPort });
        const hl7 = await startHl7Peer('ack-aa', host, hl7Port).catch(async (err: unknown) => {
          await dicom.close();
          throw err;
        });
        byHost.set(host, { dicom, hl7 });
        dicomPort = dicom.port;
        hl7Port = hl7.port;
      }
      return { dicomPort, hl7Port, byHost };
    } catch (err) {
      // Another test holds one of the ports on one of the addresses: try new ports.
      await Promise.all([...byHost.values()].flatMap((s) => [s.dicom.close(), s.hl7.close()]));
      if (attempt >= 5) throw err;
    }
  }
}

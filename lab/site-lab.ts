/**
 * `medlb lab`: a site running on this machine. The lab's ELBv2 endpoint with its data plane (a loopback VIP per
 * site VIP and port, AWS's target states and timings), an STS endpoint (so overrides record a principal), the
 * stand-in real servers (or the user's own), and the controller's rounds at the site's interval against a state
 * file — all in one process, described in a lab directory that the `medlb` commands use:
 *
 * - `controller.json`: the controller config of the site, pointed at the lab (site-lab-plan.ts);
 * - `state.json` (+ `.audit.jsonl`): the controller's state, shared with `medlb drain/halt/online/audit`;
 * - `lab.env`: `export` lines pointing the AWS SDK at the lab's endpoints (`. <dir>/lab.env`);
 * - `lab.json`: the running lab (process id, control URL, address map), for `medlb lab stop|start`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseControllerConfig } from '../contract/controller-config';
import type { RoundResult } from '../lambda/controller/round';
import type { Site } from '../lib/site';
import { ScaledClock } from './clock';
import { ControllerLoop } from './controller-loop';
import { Elbv2Endpoint } from './elbv2-endpoint';
import { LabCertificateAuthority } from './lab-certificates';
import { LabControlServer, type LabControlAnswer } from './lab-control';
import { LabStateStore } from './lab-state-store';
import { planSiteLab, type SiteLabPlan, type SiteLabPlanOptions } from './site-lab-plan';
import { StandInServer } from './stand-in-server';
import { StsEndpoint } from './sts-endpoint';
import { TcpForwarder } from './tcp-forwarder';

/** The lab's credentials: any SDK request must be signed, the endpoints do not check the signature. */
const LAB_ACCESS_KEY = 'AKIAMEDLBLAB0000LAB1';
const LAB_SECRET_KEY = 'medlb-lab-secret-not-a-credential';

/** Options of a lab. */
export interface SiteLabOptions extends Omit<SiteLabPlanOptions, 'caCertificate'> {
  readonly site: Site;
  /** The lab directory (created; its lab files are replaced). */
  readonly dir: string;
  /** Model time runs this many times faster than the wall clock (rounds, NLB checks, delays). @default 1 */
  readonly speed?: number;
  /** Seconds of model time a registration takes before the NLB's checks start (AWS: "a few minutes"). @default 30 */
  readonly registrationDelaySeconds?: number;
  /** The principal STS names for `medlb drain/halt/online` against the lab. @default arn:aws:iam::000000000000:user/medlb-lab-operator */
  readonly operatorArn?: string;
  /** Called after every controller round. @default nothing */
  readonly onRound?: (result: RoundResult) => void;
  /** Called when a round fails as a whole. @default nothing */
  readonly onError?: (error: unknown) => void;
}

/** A running lab. Start it with {@link SiteLab.start}; stop it with {@link SiteLab.close}. */
export class SiteLab {
  private constructor(
    readonly plan: SiteLabPlan,
    readonly dir: string,
    private readonly endpoint: Elbv2Endpoint,
    private readonly sts: StsEndpoint,
    private readonly forwarders: readonly TcpForwarder[],
    private readonly standIns: ReadonlyMap<string, StandInServer>,
    private readonly control: LabControlServer,
    private readonly loop: ControllerLoop,
    private readonly client: ElasticLoadBalancingV2Client,
  ) {}

  /** Plans the lab, starts everything and writes the lab directory; a plan with problems throws, naming them. */
  static async start(options: SiteLabOptions): Promise<SiteLab> {
    const ca = await LabCertificateAuthority.create();
    const plan = planSiteLab(options.site, { ...options, caCertificate: ca.certificate });
    if (plan.problems.length > 0) throw new Error(`the site cannot run in the lab:\n${plan.problems.map((p) => `  ${p}`).join('\n')}`);
    const config = parseControllerConfig(plan.config, 'the lab controller config');
    const started: { close(): Promise<void> }[] = [];
    try {
      const endpoint = await Elbv2Endpoint.start({
        clock: new ScaledClock(options.speed ?? 1),
        registrationDelaySeconds: options.registrationDelaySeconds ?? 30,
        vpcAvailabilityZone: `${plan.region}a`,
      });
      started.push(endpoint);
      const forwarders: TcpForwarder[] = [];
      for (const group of plan.targetGroups) endpoint.createTargetGroup(group.arn, { healthCheck: group.healthCheck, attributes: group.attributes });
      for (const group of plan.targetGroups) {
        const [first, ...others] = plan.vips.filter((vip) => vip.targetGroupArn === group.arn);
        if (!first) continue;
        const vip = await endpoint.addListener(group.arn, { host: first.host, port: first.port }).catch((err: unknown) => {
          throw new Error(`VIP ${first.siteAddress}:${first.sitePort} cannot listen on ${first.host}:${first.port}: ${errorText(err)}`);
        });
        for (const other of others) {
          const forwarder = await TcpForwarder.start(other.host, other.port, vip.address).catch((err: unknown) => {
            throw new Error(`VIP ${other.siteAddress}:${other.sitePort} cannot listen on ${other.host}:${other.port}: ${errorText(err)}`);
          });
          forwarders.push(forwarder);
          started.push(forwarder);
        }
      }
      const sts = await StsEndpoint.start();
      started.push(sts);
      sts.putIdentity(LAB_ACCESS_KEY, { arn: options.operatorArn ?? 'arn:aws:iam::000000000000:user/medlb-lab-operator' });
      const standIns = new Map<string, StandInServer>();
      for (const server of plan.servers.filter((s) => s.kind === 'stand-in')) {
        const listeners = await Promise.all(
          server.listeners.map(async (listener) => ({
            port: listener.port,
            protocol: listener.protocol,
            calledAeTitles: listener.calledAeTitles,
            ...(listener.expect !== undefined ? { expect: listener.expect } : {}),
            ...(listener.tls ? { tls: await ca.issue(server.host, listener.serverNames) } : {}),
          })),
        );
        const standIn = new StandInServer(server.label, server.host, listeners);
        await standIn.start();
        started.push({ close: () => standIn.stop() });
        for (const target of server.targets) standIns.set(target.toLowerCase(), standIn);
      }
      mkdirSync(options.dir, { recursive: true });
      const statePath = join(options.dir, 'state.json');
      // A lab starts from nothing: the endpoint's target groups are empty, so old state would only mislead.
      for (const file of ['state.json', 'state.json.audit.jsonl']) rmSync(join(options.dir, file), { force: true });
      writeFileSync(join(options.dir, 'controller.json'), `${JSON.stringify(plan.config, null, 2)}\n`);
      const env = {
        AWS_REGION: plan.region,
        AWS_ACCESS_KEY_ID: LAB_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY: LAB_SECRET_KEY,
        AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: endpoint.endpoint,
        AWS_ENDPOINT_URL_STS: sts.endpoint,
      };
      writeFileSync(
        join(options.dir, 'lab.env'),
        `# medlb lab ${plan.siteName}: points the AWS SDK at the lab (\`. ${join(options.dir, 'lab.env')}\`); valid while the lab runs\n` +
          `unset AWS_PROFILE AWS_SESSION_TOKEN\n${Object.entries(env).map(([key, value]) => `export ${key}=${value}`).join('\n')}\n`,
      );
      // The control server starts before the lab object exists; requests that early are told to wait.
      const running: { lab?: SiteLab } = {};
      const control = await LabControlServer.start((action, target) =>
        running.lab ? running.lab.act(action, target) : Promise.resolve({ status: 503, body: { error: 'the lab is starting' } }),
      );
      started.push(control);
      const client = new ElasticLoadBalancingV2Client({
        endpoint: endpoint.endpoint,
        region: plan.region,
        credentials: { accessKeyId: LAB_ACCESS_KEY, secretAccessKey: LAB_SECRET_KEY },
        maxAttempts: 1,
      });
      const loop = new ControllerLoop({
        config,
        stateStore: new LabStateStore(statePath),
        client,
        clock: endpoint.clock,
        ...(options.onRound ? { onRound: options.onRound } : {}),
        ...(options.onError ? { onError: options.onError } : {}),
      });
      const lab = new SiteLab(plan, options.dir, endpoint, sts, forwarders, standIns, control, loop, client);
      running.lab = lab;
      writeFileSync(
        join(options.dir, 'lab.json'),
        `${JSON.stringify({ site: plan.siteName, pid: process.pid, control: control.url, env, vips: plan.vips, servers: plan.servers.map(({ listeners: _l, ...s }) => s) }, null, 2)}\n`,
      );
      loop.start();
      return lab;
    } catch (err) {
      await Promise.all(started.map((part) => part.close().catch(() => undefined)));
      throw err;
    }
  }

  /** Stops or starts the stand-in of `<service>/<target>` (names regardless of case). */
  async act(action: 'stop' | 'start', target: string): Promise<LabControlAnswer> {
    const standIn = this.standIns.get(target.toLowerCase());
    if (!standIn) {
      const yours = this.plan.servers.find((s) => s.kind === 'yours' && s.targets.some((t) => t.toLowerCase() === target.toLowerCase()));
      const known = [...new Set(this.plan.servers.filter((s) => s.kind === 'stand-in').flatMap((s) => s.targets))];
      const error = yours
        ? `${target} is your own server at ${yours.host}: stop and start it yourself`
        : `no stand-in ${target}; the lab's stand-ins: ${known.join(', ')}`;
      return { status: 404, body: { error } };
    }
    await (action === 'stop' ? standIn.stop() : standIn.start());
    return { status: 200, body: { server: standIn.name, host: standIn.host, running: standIn.running, serves: this.targetsOf(standIn) } };
  }

  /** The lab's stand-ins and whether each is running. */
  standInStates(): { server: string; host: string; running: boolean; serves: string[] }[] {
    return [...new Set(this.standIns.values())].map((s) => ({ server: s.name, host: s.host, running: s.running, serves: this.targetsOf(s) }));
  }

  /** The text `medlb lab` prints: the address map, the servers, and the commands that work against the lab. */
  describe(cwd: string = process.cwd()): string {
    const dir = relative(cwd, this.dir) || '.';
    const files = `--config ${join(dir, 'controller.json')} --state-file ${join(dir, 'state.json')}`;
    const width = Math.max(...this.plan.vips.map((v) => v.service.length));
    const first = this.plan.servers.find((s) => s.kind === 'stand-in')?.targets[0] ?? '<service>/<target>';
    const dicom = this.plan.config.services.find((s) => s.check.protocol === 'dicom');
    const dicomVip = dicom ? this.plan.vips.find((v) => v.service === dicom.name) : undefined;
    return [
      `medlb lab: site ${this.plan.siteName} running on this machine (Ctrl-C stops it; type "help" for commands)`,
      '',
      'address map: site VIP and port -> lab address',
      ...this.plan.vips.map((v) => `  ${v.service.padEnd(width)}  ${`${v.siteAddress}:${v.sitePort}`.padEnd(21)} -> ${v.host}:${v.port}`),
      '',
      'real servers:',
      ...this.plan.servers.map(
        (s) =>
          `  ${s.targets.join(', ')}  ${s.siteAddress} -> ${s.host}  ` +
          (s.kind === 'yours'
            ? `(yours; ports ${s.listeners.map((l) => l.port).join(', ')})`
            : `(stand-in: ${s.listeners.map((l) => `${l.protocol}${l.tls ? '+tls' : ''} ${l.port}${l.calledAeTitles.length > 0 ? ` AE ${l.calledAeTitles.join('/')}` : ''}`).join(', ')})`),
      ),
      ...this.plan.notes.map((note) => `  note: ${note}`),
      '',
      'in another terminal (same directory):',
      `  . ${join(dir, 'lab.env')}`,
      `  npx medlb status ${files}`,
      `  npx medlb drain ${first} ${files} --reason "lab drill"`,
      `  npx medlb online ${first} ${files}`,
      `  npx medlb halt ${first} ${files} --reason "lab drill"`,
      `  npx medlb audit ${files}`,
      `  npx medlb lab stop ${first} --dir ${dir}      # the server fails: watch the controller fail over`,
      `  npx medlb lab start ${first} --dir ${dir}`,
      ...(dicom && dicomVip && dicom.check.calledAeTitle !== undefined ? [`  echoscu -aec ${dicom.check.calledAeTitle} ${dicomVip.host} ${dicomVip.port}`] : []),
    ].join('\n');
  }

  /** Stops the rounds, the servers, the VIPs and the endpoints. The lab directory stays (state and audit). */
  async close(): Promise<void> {
    await this.loop.stop();
    this.client.destroy();
    await this.control.close();
    await Promise.all([...new Set(this.standIns.values())].map((s) => s.stop()));
    await Promise.all(this.forwarders.map((f) => f.close()));
    await this.endpoint.close();
    await this.sts.close();
    rmSync(join(this.dir, 'lab.json'), { force: true });
  }

  private targetsOf(standIn: StandInServer): string[] {
    return this.plan.servers.find((s) => s.host === standIn.host)?.targets.slice() ?? [];
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

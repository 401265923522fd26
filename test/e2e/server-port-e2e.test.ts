/**
 * End to end, a real server with its own port (appliance "real server port"): a loopback site whose HL7 service
 * listens on one port while HL72 listens on another; the controller config derived from it as the stack derives
 * it; the REAL `medlb reconcile` CLI (a child process, the real AWS SDK) against the lab's ELBv2 endpoint, whose
 * target group checks on `traffic-port` with real TCP connects. HL72 must be probed on its own port, registered
 * with `TargetDescription.Port` = its port, and become healthy in ELB's own check there — nothing listens on
 * HL72's address at the service's port, so a check or a registration at the wrong port would fail.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { deriveControllerConfig } from '../../lib/controller-config';
import { parseSite, type SiteInput } from '../../lib/site';
import { ScaledClock } from '../../lab/clock';
import { Elbv2Endpoint } from '../../lab/elbv2-endpoint';
import type { RoundSummary } from '../../lambda/controller/round-summary';
import { runSiteFile } from '../../lambda/cli/preflight';
import type { PreflightReport } from '../../lambda/controller/preflight';
import { startHl7Peer, type Hl7Peer } from '../peers/hl7-peers';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'medlb.js');
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/server-port-hl7/0123456789abcdef';

let elb: Elbv2Endpoint;
let hl71: Hl7Peer;
let hl72: Hl7Peer;
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'medlb-server-port-'));
  hl71 = await startHl7Peer('ack-aa', '127.0.0.81');
  hl72 = await startHl7Peer('ack-aa', '127.0.0.82');
  // The lab's ELB: real TCP checks on traffic-port, 2 × 5 s of model time, 20 times faster than the wall clock.
  elb = await Elbv2Endpoint.start({ host: '127.0.0.1', healthModel: 'checks', clock: new ScaledClock(20), registrationDelaySeconds: 0 });
  elb.createTargetGroup(ARN, { healthCheck: { port: 'traffic-port', intervalSeconds: 5, timeoutSeconds: 2, healthyThresholdCount: 2 } });
  await elb.addListener(ARN, { host: '127.0.0.1' });
});

afterAll(async () => {
  await elb?.close();
  await Promise.all([hl71?.close(), hl72?.close()]);
  rmSync(workDir, { recursive: true, force: true });
});

function site(): SiteInput {
  return {
    name: 'loopback-hospital',
    env: { region: 'us-east-1' },
    network: {
      existingVpc: {
        vpcId: 'vpc-0123456789abcdef0',
        cidr: '127.0.0.0/16',
        subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', availabilityZone: 'us-east-1a', cidr: '127.0.0.0/24', routeTableId: 'rtb-0aaaaaaaaaaaaaaa1' }],
      },
    },
    allowedClientCidrs: ['127.0.0.0/16'],
    services: [
      {
        label: 'HL7',
        vip: ['127.0.0.180'],
        ports: [{ port: hl71.port }],
        transparent: false,
        healthCheck: { protocol: 'hl7', timeoutMs: 2000 },
        realServers: [
          { label: 'HL71', ip: '127.0.0.81' },
          { label: 'HL72', ip: '127.0.0.82', port: hl72.port },
        ],
      },
    ],
  };
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: workDir,
        AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: elb.endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDE2ETEST',
        AWS_SECRET_ACCESS_KEY: 'e2e-secret',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function elbStates(): Promise<Record<string, string>> {
  const client = new ElasticLoadBalancingV2Client({ endpoint: elb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLAB', secretAccessKey: 'lab' }, maxAttempts: 1 });
  try {
    const out = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: ARN }));
    return Object.fromEntries((out.TargetHealthDescriptions ?? []).map((d) => [`${d.Target?.Id}:${d.Target?.Port}`, d.TargetHealth?.State ?? '?']));
  } finally {
    client.destroy();
  }
}

test('a real server with its own port is probed there, registered with that port, and passes the NLB check on traffic-port', async () => {
  const parsed = parseSite(site());
  const config = deriveControllerConfig(parsed, new Map([['HL7', [{ arn: ARN, port: hl71.port }]]]));
  const configPath = join(workDir, 'config.json');
  const statePath = join(workDir, 'state.json');
  writeFileSync(configPath, JSON.stringify(config));

  const first = await runCli(['reconcile', '--config', configPath, '--state-file', statePath]);
  expect({ code: first.code, errors: first.stderr.split('\n').filter((line) => line.startsWith('{')) }).toEqual({ code: 0, errors: [] });
  const summary = JSON.parse(first.stdout) as RoundSummary;
  expect(summary.ok).toBe(true);
  // One HL7 message each: HL72 was checked on its own port (its peer listens nowhere else).
  expect(hl71.received).toHaveLength(1);
  expect(hl72.received).toHaveLength(1);
  const registrations = elb.calls.filter((c) => c.action === 'RegisterTargets').flatMap((c) => c.targets.map((t) => `${t.id}:${t.port}`));
  expect(registrations.sort()).toEqual([`127.0.0.81:${hl71.port}`, `127.0.0.82:${hl72.port}`].sort());

  // The lab ELB checks each target on the port it was registered with (traffic-port): both become healthy.
  const deadline = Date.now() + 20_000;
  let states = await elbStates();
  while (Object.values(states).some((state) => state !== 'healthy') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    states = await elbStates();
  }
  expect(states).toEqual({ [`127.0.0.81:${hl71.port}`]: 'healthy', [`127.0.0.82:${hl72.port}`]: 'healthy' });

  // A second round finds everything where it belongs: no write (a registration at the group port would be "missing").
  const writesBefore = elb.calls.filter((c) => c.action === 'RegisterTargets' || c.action === 'DeregisterTargets').length;
  const second = await runCli(['reconcile', '--config', configPath, '--state-file', statePath]);
  expect(second.code).toBe(0);
  expect(elb.calls.filter((c) => c.action === 'RegisterTargets' || c.action === 'DeregisterTargets')).toHaveLength(writesBefore);

  // The preflight of the same site checks HL72 at the same address.
  const sitePath = join(workDir, 'site.json');
  writeFileSync(sitePath, JSON.stringify(site()));
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await runSiteFile(sitePath, { json: true, wide: false, aws: {} })).toBe(0);
    const report = JSON.parse(String(stdout.mock.calls.map(([chunk]) => String(chunk)).join(''))) as PreflightReport;
    expect(report.results.map((r) => [r.server, r.address, r.healthy])).toEqual([
      ['HL71', `127.0.0.81:${hl71.port}`, true],
      ['HL72', `127.0.0.82:${hl72.port}`, true],
    ]);
  } finally {
    stdout.mockRestore();
  }
});

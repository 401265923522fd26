/**
 * End to end: the REAL `medlb` CLI (a child process, `node bin/medlb.js ...`) with the REAL AWS SDK pointed at
 * the local ELBv2 Query-API endpoint through AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, probing real TCP
 * servers on 127.0.0.x that the test stops and starts. Each scenario has its own target groups and state file.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundSummary } from '../../lambda/controller/round-summary';
import { FakeEc2 } from '../peers/fake-ec2';
import { StsEndpoint } from '../../lab/sts-endpoint';
import { FakeElbv2, type FakeCall } from '../peers/fake-elbv2';
import { startPeersOnSharedPort, type SwitchableTcpPeer } from '../peers/switchable-tcp-peer';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'medlb.js');

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let fake: FakeElbv2;
let fakeEc2: FakeEc2;
let sts: StsEndpoint;
let workDir: string;

beforeAll(async () => {
  fake = await FakeElbv2.start({ host: '127.0.0.1' });
  fakeEc2 = await FakeEc2.start({ host: '127.0.0.1' });
  // Overrides verify the caller with STS (GetCallerIdentity) when credentials are set, as they are here.
  sts = await StsEndpoint.start('127.0.0.1');
  sts.putIdentity('AKIDE2ETEST', { arn: 'arn:aws:iam::111122223333:user/e2e' });
  workDir = mkdtempSync(join(tmpdir(), 'medlb-e2e-'));
});

afterAll(async () => {
  await fake.close();
  await fakeEc2.close();
  await sts.close();
  rmSync(workDir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      // A clean SDK environment: the fake endpoint, dummy credentials, no profile or metadata lookups.
      env: {
        PATH: process.env.PATH,
        HOME: workDir,
        AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: fake.endpoint,
        AWS_ENDPOINT_URL_EC2: fakeEc2.endpoint,
        AWS_ENDPOINT_URL_STS: sts.endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDE2ETEST',
        AWS_SECRET_ACCESS_KEY: 'e2e-secret',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        MEDLB_OPERATOR: 'e2e-operator',
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

/** A scenario: its config and state files, and target-group ARNs unique to it. */
class Scenario {
  readonly configPath: string;
  readonly statePath: string;

  constructor(
    readonly name: string,
    config: object,
  ) {
    this.configPath = join(workDir, `${name}.config.json`);
    this.statePath = join(workDir, `${name}.state.json`);
    writeFileSync(this.configPath, JSON.stringify(config, null, 2));
  }

  static arn(scenario: string, group: string): string {
    return `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/${scenario}-${group}/0123456789abcdef`;
  }

  /** One `medlb reconcile` round; returns the exit code, the parsed summary and the ELB calls it made. */
  async reconcile(...extra: string[]): Promise<{ code: number; summary: RoundSummary; calls: FakeCall[]; stderr: string }> {
    const from = fake.calls.length;
    const result = await runCli(['reconcile', '--config', this.configPath, '--state-file', this.statePath, ...extra]);
    let summary: RoundSummary;
    try {
      summary = JSON.parse(result.stdout) as RoundSummary;
    } catch {
      throw new Error(`reconcile printed no JSON summary (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    return { code: result.code, summary, calls: fake.calls.slice(from), stderr: result.stderr };
  }

  operator(action: 'drain' | 'halt' | 'online', path: string, ...extra: string[]): Promise<CliResult> {
    return runCli([action, path, '--config', this.configPath, '--state-file', this.statePath, ...extra]);
  }

  status(...extra: string[]): Promise<CliResult> {
    return runCli(['status', '--config', this.configPath, '--state-file', this.statePath, ...extra]);
  }
}

const writesOf = (calls: readonly FakeCall[]) =>
  calls
    .filter((c) => c.action === 'RegisterTargets' || c.action === 'DeregisterTargets')
    .map((c) => `${c.action === 'RegisterTargets' ? 'register' : 'deregister'} ${c.targetGroupArn!.split('/')[1]} ${c.targets.map((t) => `${t.id}:${t.port}`).join(',')}`);

/** Runs rounds until one writes (a kept target leaving once ELB reports its replacement healthy); at most 4. */
async function reconcileUntilWrites(scenario: Scenario): Promise<string[]> {
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const round = await scenario.reconcile();
    const writes = writesOf(round.calls);
    if (writes.length > 0) return writes;
  }
  return [];
}

function tcpService(name: string, mode: 'balanced' | 'failover', rise: number, fall: number, port: number, groups: { arn: string; port: number }[], targets: SwitchableTcpPeer[], names: string[]) {
  return {
    name,
    mode,
    rise,
    fall,
    check: { protocol: 'tcp', port, timeoutMs: 800 },
    targetGroups: groups,
    targets: targets.map((peer, i) => ({ name: names[i], ip: peer.host })),
    vips: ['10.12.1.100'],
  };
}

// Each round is a separate CLI process (~1–3 s on a loaded two-core machine): generous hang bounds, not timing checks.
jest.setTimeout(300_000);

describe('medlb controller end to end (real CLI, real SDK, fake ELBv2, real peers)', () => {
  it('balanced: a failing server leaves after fall rounds, returns after rise, and the last server is kept when all fail', async () => {
    const peers = await startPeersOnSharedPort(['127.0.0.31', '127.0.0.32']);
    const [s1, s2] = peers as [SwitchableTcpPeer, SwitchableTcpPeer];
    const a = Scenario.arn('bal', 'a');
    const b = Scenario.arn('bal', 'b');
    fake.createTargetGroup(a);
    fake.createTargetGroup(b);
    const scenario = new Scenario('bal', {
      version: 1,
      services: [tcpService('PACS', 'balanced', 2, 2, s1.port, [{ arn: a, port: 104 }, { arn: b, port: 11112 }], peers, ['S1', 'S2'])],
    });
    try {
      // Round 1: a new stack: one pass brings every passing target up (bootstrap), both groups filled.
      let round = await scenario.reconcile();
      expect(round.code).toBe(0);
      expect(round.summary.services[0]).toMatchObject({ bootstrap: true, ok: true });
      expect(writesOf(round.calls)).toEqual([
        'register bal-a 127.0.0.31:104,127.0.0.32:104',
        'register bal-b 127.0.0.31:11112,127.0.0.32:11112',
      ]);
      expect(fake.registeredIds(a)).toEqual(['127.0.0.31', '127.0.0.32']);

      // Round 2: steady state: exactly one DescribeTargetHealth per group, no write at all.
      round = await scenario.reconcile();
      expect(round.calls.map((c) => c.action).sort()).toEqual(['DescribeTargetHealth', 'DescribeTargetHealth']);
      expect(new Set(round.calls.map((c) => c.targetGroupArn))).toEqual(new Set([a, b]));
      expect(round.summary.elb).toEqual({ describeCalls: 2, writeCalls: 0, failedCalls: 0, throttledCalls: 0 });

      // S1 fails: still in service after 1 failure (fall 2), deregistered from both groups after the 2nd.
      await s1.stop();
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual([]);
      expect(round.summary.services[0]!.targets[0]).toMatchObject({ name: 'S1', up: true, failures: 1, probe: { healthy: false } });
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['deregister bal-a 127.0.0.31:104', 'deregister bal-b 127.0.0.31:11112']);
      expect(round.summary.services[0]!.targets[0]).toMatchObject({ up: false, failures: 2 });

      // S2 fails too: the last server is kept registered (fail-open), reported, and the round is not an error.
      await s2.stop();
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual([]);
      round = await scenario.reconcile();
      expect(round.code).toBe(0);
      expect(writesOf(round.calls)).toEqual([]);
      expect(round.summary.services[0]).toMatchObject({ failOpen: true, keptByFailOpen: ['S2'], counts: { failOpen: 1, targetsUp: 0 } });
      expect(fake.registeredIds(a)).toEqual(['127.0.0.32']);
      expect(fake.registeredIds(b)).toEqual(['127.0.0.32']);

      // Both recover: nothing changes after one pass (rise 2); S1 returns after the second.
      await s1.start();
      await s2.start();
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual([]);
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['register bal-a 127.0.0.31:104', 'register bal-b 127.0.0.31:11112']);
      expect(round.summary.services[0]).toMatchObject({ failOpen: false, counts: { targetsUp: 2, targetsInService: 2 } });
      const state = JSON.parse(readFileSync(scenario.statePath, 'utf8'));
      expect(state.services.PACS.targets.S1).toMatchObject({ up: true, passes: 2, failures: 0 });
    } finally {
      await Promise.all(peers.map((p) => p.stop()));
    }
  });

  it('failover: moves to the backup and fails back (register before deregister); drain, halt and online', async () => {
    const peers = await startPeersOnSharedPort(['127.0.0.41', '127.0.0.42']);
    const [r1] = peers as [SwitchableTcpPeer, SwitchableTcpPeer];
    const tg = Scenario.arn('fo', 'ris');
    fake.createTargetGroup(tg);
    const scenario = new Scenario('fo', {
      version: 1,
      services: [tcpService('RIS', 'failover', 1, 1, r1.port, [{ arn: tg, port: 2575 }], peers, ['R1', 'R2'])],
    });
    try {
      let round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['register fo-ris 127.0.0.41:2575']);

      await r1.stop();
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['register fo-ris 127.0.0.42:2575', 'deregister fo-ris 127.0.0.41:2575']);

      // Failback is planned: R1 is registered first, R2 leaves only once ELB reports R1 healthy (rule 6a).
      await r1.start();
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['register fo-ris 127.0.0.41:2575']);
      expect(round.summary.services[0]!.waiting).toEqual([expect.stringMatching(/^R2 kept: waiting for R1 \(2575 (unregistered|draining)\)/)]);
      let writes = await reconcileUntilWrites(scenario);
      expect(writes).toEqual(['deregister fo-ris 127.0.0.42:2575']);
      expect(fake.registeredIds(tg)).toEqual(['127.0.0.41']);

      // Drain the primary: recorded with who/why; the backup is registered, and R1 leaves once R2 is healthy.
      const drain = await scenario.operator('drain', 'RIS/R1', '--reason', 'OS patching');
      expect(drain.code).toBe(0);
      expect(JSON.parse(drain.stdout)).toMatchObject({ action: 'drain', service: 'RIS', target: 'R1', who: 'e2e-operator', reason: 'OS patching', changed: true });
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['register fo-ris 127.0.0.42:2575']);
      expect(round.summary.services[0]!.targets[0]).toMatchObject({ name: 'R1', override: { action: 'drain', by: 'e2e-operator' }, awaiting: expect.anything() });
      writes = await reconcileUntilWrites(scenario);
      expect(writes).toEqual(['deregister fo-ris 127.0.0.41:2575']);

      const status = await scenario.status('--wide');
      expect(status.code).toBe(0);
      const lines = status.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^last round \S+ \(\d+ s ago\)$/);
      expect(lines[1]).toMatch(/^SERVICE\s+STATE\s+VIP\s+PORTS\s+MODE\s+TARGET\s+IP\s+SOURCE\s+CHECK\s+ELB\s+NOTE$/);
      expect(lines[2]).toMatch(/^RIS\s+DRAINED\s+10\.12\.1\.100\s+2575\s+failover\s+R1\s+127\.0\.0\.41\s+static\s+pass up\s+draining\s+drain by e2e-operator at \S+ \(OS patching\); connected$/);
      expect(lines[3]).toMatch(/^\s+R2\s+127\.0\.0\.42\s+static\s+pass up\s+healthy\s+connected$/);
      expect(status.stderr).not.toMatch(/error/i);
      const report = JSON.parse((await scenario.status('--json')).stdout);
      expect(report).toMatchObject({ lastRound: { stale: false }, services: [{ name: 'RIS', state: 'drained', routable: 1 }] });

      // Online (names match regardless of case): R1 is the primary again.
      expect((await scenario.operator('online', 'ris/r1')).code).toBe(0);
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['register fo-ris 127.0.0.41:2575']);
      expect(await reconcileUntilWrites(scenario)).toEqual(['deregister fo-ris 127.0.0.42:2575']);

      // Halting every server is obeyed even though it empties the group (fail-open is for probe failures only),
      // once the operator says why and confirms with --force for the last one.
      expect((await scenario.operator('halt', 'RIS/R1', '--reason', 'suspected compromise')).code).toBe(0);
      const noReason = await scenario.operator('halt', 'RIS/R2');
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toMatch(/halt needs --reason/);
      const refused = await scenario.operator('halt', 'RIS/R2', '--reason', 'suspected compromise');
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/refused: halting RIS\/R2, the active server of failover service RIS with no healthy standby \(R1 halted by e2e-operator\), stops RIS traffic\. Add --force to halt it anyway\./);
      const forced = await scenario.operator('halt', 'RIS/R2', '--reason', 'suspected compromise', '--force');
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.stdout)).toMatchObject({ action: 'halt', target: 'R2', forced: true, changed: true });
      round = await scenario.reconcile();
      expect(round.code).toBe(0);
      expect(writesOf(round.calls)).toEqual(['deregister fo-ris 127.0.0.41:2575']);
      expect(fake.registeredIds(tg)).toEqual([]);
      const state = JSON.parse(readFileSync(scenario.statePath, 'utf8'));
      expect(state.services.RIS.overrides).toEqual({
        R1: expect.objectContaining({ action: 'halt', by: 'e2e-operator', reason: 'suspected compromise' }),
        R2: expect.objectContaining({ action: 'halt', by: 'e2e-operator' }),
      });
      const audit = readFileSync(`${scenario.statePath}.audit.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(audit.filter((r) => r.who === 'e2e-operator').map((r) => `${r.action} ${r.target}`)).toEqual(['drain R1', 'online R1', 'halt R1', 'halt R2']);

      const unknown = await scenario.operator('drain', 'RIS/R9');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown target 'R9' in service 'RIS'; did you mean 'R1'\?/);
      expect(unknown.stdout).toBe('');
    } finally {
      await Promise.all(peers.map((p) => p.stop()));
    }
  });

  it('dry-run writes nothing; a missing target group fails only its service; throttling still converges', async () => {
    const pacsPeers = await startPeersOnSharedPort(['127.0.0.51', '127.0.0.52']);
    const hl7Peers = await startPeersOnSharedPort(['127.0.0.53']);
    const pacsA = Scenario.arn('iso', 'pacs-a');
    const pacsB = Scenario.arn('iso', 'pacs-b');
    const hl7 = Scenario.arn('iso', 'hl7');
    for (const arn of [pacsA, hl7]) fake.createTargetGroup(arn);
    const scenario = new Scenario('iso', {
      version: 1,
      services: [
        tcpService('PACS', 'balanced', 1, 1, pacsPeers[0]!.port, [{ arn: pacsA, port: 104 }, { arn: pacsB, port: 11112 }], pacsPeers, ['P1', 'P2']),
        tcpService('HL7', 'balanced', 1, 1, hl7Peers[0]!.port, [{ arn: hl7, port: 2575 }], hl7Peers, ['H1']),
      ],
    });
    try {
      // pacs-b does not exist: dry-run reports, makes no write and saves no state.
      let round = await scenario.reconcile('--dry-run');
      expect(round.code).toBe(1);
      expect(writesOf(round.calls)).toEqual([]);
      expect(existsSync(scenario.statePath)).toBe(false);
      expect(round.summary).toMatchObject({ dryRun: true, stateSaved: false, ok: false });
      expect(round.summary.services[1]!.actions).toEqual([{ targetGroupArn: hl7, register: ['127.0.0.53:2575'], deregister: [] }]);

      // A real round: PACS fails (exit 1) without a write to its existing group; HL7 converges.
      round = await scenario.reconcile();
      expect(round.code).toBe(1);
      expect(round.summary.services.map((s) => [s.name, s.ok])).toEqual([
        ['PACS', false],
        ['HL7', true],
      ]);
      expect(round.summary.services[0]!.error).toMatch(/TargetGroupNotFound/);
      expect(writesOf(round.calls)).toEqual(['register iso-hl7 127.0.0.53:2575']);
      expect(fake.registeredIds(pacsA)).toEqual([]);

      // status still prints the overview, shows the missing group in the ELB column, and exits 2 (an error).
      const status = await scenario.status();
      expect(status.code).toBe(2);
      expect(status.stdout).toMatch(/^PACS\s.*error: TargetGroupNotFound/m);
      expect(status.stdout).toMatch(/^HL7\s.*H1\s+127\.0\.0\.53/m);

      // The group appears, but ELB throttles: the adapter backs off and the round still converges.
      fake.createTargetGroup(pacsB);
      fake.throttleNext(3);
      round = await scenario.reconcile();
      expect(round.code).toBe(0);
      expect(round.calls.filter((c) => c.outcome === 'Throttling')).toHaveLength(3);
      expect(round.summary.elb.throttledCalls).toBe(3);
      expect(fake.registeredIds(pacsA)).toEqual(['127.0.0.51', '127.0.0.52']);
      expect(fake.registeredIds(pacsB)).toEqual(['127.0.0.51', '127.0.0.52']);

      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual([]);
      expect(round.calls).toHaveLength(3);
    } finally {
      await Promise.all([...pacsPeers, ...hl7Peers].map((p) => p.stop()));
    }
  });

  it('EC2 discovery: registers tagged instances, survives EC2 errors, follows a replacement and a removal, doubts an empty answer for fall rounds', async () => {
    const peers = await startPeersOnSharedPort(['127.0.0.61', '127.0.0.62', '127.0.0.63', '127.0.0.64']);
    const tg = Scenario.arn('disc', 'pacs');
    fake.createTargetGroup(tg);
    const vpcId = 'vpc-0e2e0000000000000';
    const pacs1 = 'i-0e2e0000000000062';
    const pacs2 = 'i-0e2e0000000000063';
    const replacement = 'i-0e2e0000000000064';
    fakeEc2.putInstance({ instanceId: pacs1, privateIp: '127.0.0.62', vpcId, tags: { Name: 'PACS1', Role: 'pacs' } });
    fakeEc2.putInstance({ instanceId: pacs2, privateIp: '127.0.0.63', vpcId, tags: { Name: 'PACS2', Role: 'pacs' } });
    // Tagged right but in another VPC: never a target.
    fakeEc2.putInstance({ instanceId: 'i-0e2e00000000000ff', privateIp: '127.0.0.65', vpcId: 'vpc-0other00000000000', tags: { Name: 'ELSEWHERE', Role: 'pacs' } });
    const scenario = new Scenario('disc', {
      version: 1,
      services: [
        {
          ...tcpService('DISC', 'balanced', 2, 1, peers[0]!.port, [{ arn: tg, port: 104 }], [peers[0]!], ['STATIC1']),
          discovery: { tags: { Role: ['pacs'] }, vpcId },
        },
      ],
    });
    const names = (round: { summary: RoundSummary }) => round.summary.services[0]!.targets.map((t) => `${t.name}@${t.ip}:${t.source}`);
    try {
      // Round 1: a new pool: the static server and both discovered instances pass once and are registered.
      let round = await scenario.reconcile();
      expect(round.code).toBe(0);
      expect(names(round)).toEqual(['STATIC1@127.0.0.61:static', 'PACS1@127.0.0.62:tags', 'PACS2@127.0.0.63:tags']);
      expect(writesOf(round.calls)).toEqual(['register disc-pacs 127.0.0.61:104,127.0.0.62:104,127.0.0.63:104']);
      expect(round.summary.ec2).toEqual({ describeCalls: 1, failedCalls: 0, throttledCalls: 0 });
      let state = JSON.parse(readFileSync(scenario.statePath, 'utf8'));
      expect(state.services.DISC.discovery.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([pacs1, pacs2]);
      expect(Object.keys(state.services.DISC.targets).sort()).toEqual(['STATIC1', pacs1, pacs2].sort());

      // EC2 refuses (not retryable) while PACS2 is terminated: no discovery-driven change, service failed, exit 1.
      fakeEc2.instance(pacs2).state = 'terminated';
      fakeEc2.failNext(1, 'UnauthorizedOperation', 'You are not authorized to perform this operation.');
      round = await scenario.reconcile();
      expect(round.code).toBe(1);
      expect(round.summary.services[0]).toMatchObject({ ok: false, error: expect.stringMatching(/UnauthorizedOperation/) });
      expect(names(round)).toEqual(['STATIC1@127.0.0.61:static', 'PACS1@127.0.0.62:tags', 'PACS2@127.0.0.63:tags']);
      expect(writesOf(round.calls)).toEqual([]);
      expect(fake.registeredIds(tg)).toEqual(['127.0.0.61', '127.0.0.62', '127.0.0.63']);

      // Throttled twice, then answered: PACS2 has gone and PACS1 was replaced by a new instance at a new address.
      fakeEc2.instance(pacs1).state = 'terminated';
      fakeEc2.putInstance({ instanceId: replacement, privateIp: '127.0.0.64', vpcId, tags: { Name: 'PACS1', Role: 'pacs' } });
      fakeEc2.throttleNext(2);
      round = await scenario.reconcile();
      expect(round.code).toBe(0);
      expect(round.summary.ec2).toEqual({ describeCalls: 3, failedCalls: 2, throttledCalls: 2 });
      expect(names(round)).toEqual(['STATIC1@127.0.0.61:static', 'PACS1@127.0.0.64:tags']);
      // The replacement has no history: it must pass rise (2) like any newcomer; the old addresses leave.
      expect(round.summary.services[0]!.targets[1]).toMatchObject({ instanceId: replacement, up: false, passes: 1 });
      expect(writesOf(round.calls)).toEqual(['deregister disc-pacs 127.0.0.62:104,127.0.0.63:104']);
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['register disc-pacs 127.0.0.64:104']);

      const status = await scenario.status('--wide');
      expect(status.code).toBe(0);
      const lines = status.stdout.trim().split('\n');
      expect(lines[2]).toMatch(/^DISC\s+\S+\s+10\.12\.1\.100\s+104\s+balanced\s+STATIC1\s+127\.0\.0\.61\s+static\s+pass/);
      expect(lines[3]).toMatch(/^\s+PACS1\s+127\.0\.0\.64\s+tags Role=pacs\s+pass up\s+(initial|healthy)\s+connected$/);
      expect(fakeEc2.calls).toHaveLength(1 + 1 + 3 + 1); // status called no EC2 API

      // Every instance loses its tag: an empty answer while PACS1 is in service is doubted for fall (1) round...
      fakeEc2.instance(replacement).tags = { Name: 'PACS1' };
      round = await scenario.reconcile();
      expect(round.code).toBe(0);
      expect(writesOf(round.calls)).toEqual([]);
      expect(round.summary.services[0]!.discovery).toMatchObject({ instances: 1, suspiciousEmptyAnswers: 1, notes: [expect.stringMatching(/zero instances/)] });
      // ...and believed in the next: the discovered server leaves, the static one stays.
      round = await scenario.reconcile();
      expect(writesOf(round.calls)).toEqual(['deregister disc-pacs 127.0.0.64:104']);
      expect(fake.registeredIds(tg)).toEqual(['127.0.0.61']);
      state = JSON.parse(readFileSync(scenario.statePath, 'utf8'));
      expect(state.services.DISC.discovery).toMatchObject({ instances: [], suspiciousEmptyAnswers: 0 });
      expect(fakeEc2.calls.every((c) => !Object.keys(c.params).some((k) => k.startsWith('InstanceId')))).toBe(true);
    } finally {
      await Promise.all(peers.map((p) => p.stop()));
    }
  });

  it('exits 2 with a message for usage errors and an unreadable config or state, printing nothing on stdout', async () => {
    const missing = await runCli(['reconcile', '--state-file', join(workDir, 'x.json')]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/--config/);
    const unknown = await runCli(['reconcile', '--config', 'c', '--state-file', 's', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--bogus/);
    const badConfig = join(workDir, 'bad.config.json');
    writeFileSync(badConfig, JSON.stringify({ version: 1, services: [{ name: 'X', mode: 'sideways' }] }));
    const invalid = await runCli(['reconcile', '--config', badConfig, '--state-file', join(workDir, 'y.json')]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/services\[0\]\.mode/);
    const goodConfig = join(workDir, 'good.config.json');
    writeFileSync(goodConfig, JSON.stringify({ version: 1, services: [] }));
    const corruptState = join(workDir, 'corrupt.state.json');
    writeFileSync(corruptState, '{"version": 1, "services": ');
    const corrupt = await runCli(['status', '--config', goodConfig, '--state-file', corruptState]);
    expect(corrupt).toMatchObject({ code: 2, stdout: '' });
    expect(corrupt.stderr).toMatch(/corrupt\.state\.json/);
    expect(readFileSync(corruptState, 'utf8')).toBe('{"version": 1, "services": ');
  });
});

/**
 * End to end: a maintenance window and a pin, scheduled through the REAL `medlb` CLI (child processes, file
 * store, STS on loopback), applied by controller rounds with a controllable clock (runRound's `now`) against the
 * local ELBv2 endpoint and real TCP servers on 127.0.0.x. The window drains a server when it opens (made before
 * break) and lets it back when it closes; `medlb status` and `medlb audit` show it scheduled, in force and closed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Elbv2TargetGroups } from '../../lambda/adapters/elbv2';
import { FileStateStore } from '../../lambda/adapters/file-state-store';
import { readFileAudit } from '../../lambda/adapters/audit-reader';
import { runRound } from '../../lambda/controller/round';
import { describeAll } from '../../lambda/controller/elb-steps';
import { buildStatusReport } from '../../lambda/cli/status-report';
import { renderStatus } from '../../lambda/cli/status';
import { parseControllerConfig } from '../../contract/controller-config';
import { StsEndpoint } from '../../lab/sts-endpoint';
import { FakeElbv2 } from '../peers/fake-elbv2';
import { startPeersOnSharedPort, type SwitchableTcpPeer } from '../peers/switchable-tcp-peer';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'medlb.js');
const TG = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/windows-pacs/0123456789abcdef';

let fake: FakeElbv2;
let sts: StsEndpoint;
let peers: SwitchableTcpPeer[];
let workDir: string;
let configPath: string;
let statePath: string;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--config', configPath, '--state-file', statePath], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: workDir,
        AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: fake.endpoint,
        AWS_ENDPOINT_URL_STS: sts.endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDWINDOWS',
        AWS_SECRET_ACCESS_KEY: 'windows-secret',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        MEDLB_OPERATOR: 'night-shift',
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

beforeAll(async () => {
  fake = await FakeElbv2.start({ host: '127.0.0.1' });
  sts = await StsEndpoint.start('127.0.0.1');
  sts.putIdentity('AKIDWINDOWS', { arn: 'arn:aws:iam::111122223333:user/night-shift' });
  peers = await startPeersOnSharedPort(['127.0.0.91', '127.0.0.92']);
  workDir = mkdtempSync(join(tmpdir(), 'medlb-windows-'));
  configPath = join(workDir, 'controller.json');
  statePath = join(workDir, 'state.json');
  fake.createTargetGroup(TG);
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 1,
      services: [
        {
          name: 'PACS',
          mode: 'balanced',
          rise: 2,
          fall: 2,
          check: { protocol: 'tcp', port: peers[0]!.port, timeoutMs: 800 },
          targetGroups: [{ arn: TG, port: peers[0]!.port }],
          targets: [
            { name: 'P1', ip: peers[0]!.host },
            { name: 'P2', ip: peers[1]!.host },
          ],
        },
      ],
    }),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  await fake.close();
  await sts.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('a maintenance window, end to end with a controllable clock', () => {
  // Whole minutes from a start in the near future, so the CLI (real clock) sees the window as scheduled.
  const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 3_600_000);
  const at = (minutes: number) => new Date(start.getTime() + minutes * 60_000);
  const controller = () => {
    const client = new ElasticLoadBalancingV2Client({ endpoint: fake.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
    return { elb: new Elbv2TargetGroups({ client }), store: new FileStateStore(statePath) };
  };
  const round = async (now: Date) => {
    const { elb, store } = controller();
    const config = parseControllerConfig(readFileSync(configPath, 'utf8'), configPath);
    return runRound({ config, stateStore: store, elb, now: () => now });
  };
  const registered = () => fake.registeredIds(TG).sort();

  it('refuses bad windows with a usage error and a message', async () => {
    const noZone = await runCli(['drain', 'PACS/P2', '--from', '2026-11-28T22:00:00', '--until', '2026-11-29T02:00:00Z', '--reason', 'patch']);
    expect(noZone.code).toBe(2);
    expect(noZone.stderr).toMatch(/--from '2026-11-28T22:00:00' is not an ISO 8601 time with a zone/);
    const reversed = await runCli(['drain', 'PACS/P2', '--from', at(60).toISOString(), '--until', at(0).toISOString(), '--reason', 'patch']);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toMatch(/--until .* is not after --from/);
    const half = await runCli(['halt', 'PACS/P2', '--from', at(0).toISOString(), '--reason', 'patch']);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/needs both --from TIME and --until TIME/);
  }, 60_000);

  it('drains P2 when the window opens and restores it when it closes, visible in status and audit', async () => {
    // Both servers in service before the window.
    await round(at(-10));
    await round(at(-9));
    await round(at(-8));
    expect(registered()).toEqual([peers[0]!.host, peers[1]!.host].sort());

    const scheduled = await runCli(['drain', 'pacs/p2', '--from', at(0).toISOString().replace('Z', '+00:00'), '--until', at(60).toISOString(), '--reason', 'OS patch']);
    expect(scheduled.stderr).not.toMatch(/error/i);
    expect(scheduled.code).toBe(0);
    expect(JSON.parse(scheduled.stdout)).toMatchObject({ action: 'window-scheduled', service: 'PACS', target: 'P2', principal: 'arn:aws:iam::111122223333:user/night-shift', window: `P2@${at(0).toISOString()}` });

    // Status now (real clock): the window is scheduled, nothing drained yet.
    const before = await runCli(['status', '--json']);
    expect(before.code).toBe(0);
    const beforeReport = JSON.parse(before.stdout);
    expect(beforeReport.services[0].windows).toEqual([expect.objectContaining({ target: 'P2', action: 'drain', inForce: false, from: at(0).toISOString() })]);
    expect(beforeReport.services[0].state).toBe('serving');

    // A minute before: nothing happens.
    const early = await round(at(-1));
    expect(early.summary.services[0]!.actions).toEqual([]);
    expect(registered()).toEqual([peers[0]!.host, peers[1]!.host].sort());

    // It opens: P1 is healthy in ELB, so P2 leaves at once (make before break has its replacement).
    const opened = await round(at(0));
    expect(opened.summary.transitions).toEqual([expect.objectContaining({ action: 'window-open', target: 'P2' })]);
    expect(registered()).toEqual([peers[0]!.host]);
    const { elb, store } = controller();
    const config = parseControllerConfig(readFileSync(configPath, 'utf8'), configPath);
    const views = new Map(Object.entries(await describeAll(config, elb, 4, { info: () => {}, warn: () => {}, error: () => {} })));
    const during = buildStatusReport(config, await store.load(), views, at(30));
    expect(during.services[0]).toMatchObject({ state: 'drained', why: `P2 drain window of night-shift until ${at(60).toISOString()}` });
    expect(renderStatus(config, await store.load(), views, at(30), { wide: true })).toContain(`drain window of night-shift until ${at(60).toISOString()} (OS patch)`);

    // In force, rounds change nothing more.
    const middle = await round(at(30));
    expect(middle.summary.services[0]!.actions).toEqual([]);

    // It closes: P2 (passing its checks all along, so past rise) comes back.
    const closed = await round(at(60));
    expect(closed.summary.transitions).toEqual([expect.objectContaining({ action: 'window-close', target: 'P2' })]);
    expect(registered()).toEqual([peers[0]!.host, peers[1]!.host].sort());

    const trail = await readFileAudit(`${statePath}.audit.jsonl`, {});
    expect(trail.filter((r) => r.target === 'P2' && r.action.startsWith('window')).map((r) => r.action)).toEqual(['window-scheduled', 'window-open', 'window-close']);
    const audit = await runCli(['audit', '--target', 'P2']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/window-scheduled .*PACS\/P2 .*by night-shift \(arn:aws:iam::111122223333:user\/night-shift\)/);
    expect(audit.stdout).toMatch(/window-open .*PACS\/P2 .*by medlb-controller/);
    expect(audit.stdout).toMatch(/window-close .*PACS\/P2 .*by medlb-controller/);
  }, 120_000);

  it('refuses a window that would leave PACS nothing to serve unless --force, judged on the state now', async () => {
    await peers[0]!.stop();
    await round(at(100));
    await round(at(101));
    const refused = await runCli(['drain', 'PACS/P2', '--from', at(200).toISOString(), '--until', at(260).toISOString(), '--reason', 'patch']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refused: draining PACS\/P2 leaves service PACS with no server to take new connections .*judged on the state now/);
    expect(refused.stderr).toContain('--force');
    const forced = await runCli(['drain', 'PACS/P2', '--from', at(200).toISOString(), '--until', at(260).toISOString(), '--reason', 'patch', '--force']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ forced: true });
    await peers[0]!.start();
  }, 120_000);

  it('a pin keeps a failing server in service until it expires, audited', async () => {
    // P2's check fails (stopped), but a pin keeps it registered.
    await round(at(300));
    await round(at(301));
    const pinned = await runCli(['pin', 'PACS/P2', '--until', '2h', '--reason', 'check wrong after upgrade']);
    expect(pinned.code).toBe(0);
    const tooLong = await runCli(['pin', 'PACS/P2', '--until', '13h', '--reason', 'x']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/a pin lasts at most 12 h/);
    const noReason = await runCli(['pin', 'PACS/P2', '--until', '1h']);
    expect(noReason.code).toBe(2);
    await peers[1]!.stop();
    const now = new Date();
    for (let minute = 1; minute <= 4; minute += 1) await round(new Date(now.getTime() + minute * 10_000));
    expect(registered()).toContain(peers[1]!.host);
    const status = JSON.parse((await runCli(['status', '--json'])).stdout);
    expect(status.services[0].targets[1]).toMatchObject({ name: 'P2', pin: { by: 'night-shift', reason: 'check wrong after upgrade' }, lastProbe: { healthy: false } });
    // Past its end: the check decides again; the expiry is audited once.
    const later = new Date(now.getTime() + 3 * 3_600_000);
    const expired = await round(later);
    expect(expired.summary.transitions).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'pin-expired', target: 'P2' })]));
    await round(new Date(later.getTime() + 10_000));
    expect(registered()).not.toContain(peers[1]!.host);
    await peers[1]!.start();
  }, 120_000);
});

/**
 * End to end through the REAL `medlb` CLI (child processes) with the file store: overrides record the caller's
 * principal ARN from a local STS endpoint answering GetCallerIdentity in its Query-API XML (AWS_ENDPOINT_URL_STS),
 * or say `identity: unverified` without credentials; `medlb audit` reads the trail back in time order, with
 * filters, `--json`, and usage errors for bad times.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StsEndpoint } from '../../lab/sts-endpoint';
import { configVersion } from '../../contract/config-version';
import { parseControllerConfig } from '../../contract/controller-config';
import type { AuditRecord } from '../../lambda/reconcile/state';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'medlb.js');
const ALICE = 'arn:aws:iam::111122223333:user/alice';

const CONFIG = {
  version: 1,
  services: [
    {
      name: 'PACS',
      mode: 'balanced',
      rise: 2,
      fall: 3,
      check: { protocol: 'tcp', port: 104, timeoutMs: 1000 },
      targetGroups: [{ arn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pacs/0123456789abcdef', port: 104 }],
      targets: [
        { name: 'P1', ip: '127.0.0.61' },
        { name: 'P2', ip: '127.0.0.62' },
        { name: 'P3', ip: '127.0.0.63' },
      ],
    },
    {
      name: 'RIS',
      mode: 'balanced',
      rise: 2,
      fall: 3,
      check: { protocol: 'tcp', port: 2575, timeoutMs: 1000 },
      targetGroups: [{ arn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/ris/0123456789abcdef', port: 2575 }],
      targets: [
        { name: 'R1', ip: '127.0.0.71' },
        { name: 'R2', ip: '127.0.0.72' },
      ],
    },
  ],
};

/** The version of the config as the CLI reads it (defaults resolved). */
const CONFIG_VERSION = configVersion(parseControllerConfig(JSON.stringify(CONFIG), 'test config'));

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let sts: StsEndpoint;
let workDir: string;
let configPath: string;
let statePath: string;

beforeAll(async () => {
  sts = await StsEndpoint.start('127.0.0.1');
  sts.putIdentity('AKIDALICE', { arn: ALICE });
  workDir = mkdtempSync(join(tmpdir(), 'medlb-audit-e2e-'));
  configPath = join(workDir, 'controller.json');
  statePath = join(workDir, 'state.json');
  writeFileSync(configPath, JSON.stringify(CONFIG, null, 2));
});

afterAll(async () => {
  await sts.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** The CLI in a clean SDK environment (no profile, no metadata service); `credentials` adds an access key. */
function runCli(args: string[], credentials?: { accessKeyId: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: workDir,
        AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_STS: sts.endpoint,
        ...(credentials ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: 'e2e-secret' } : {}),
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

const files = ['--config', () => configPath, '--state-file', () => statePath] as const;
const fileArgs = () => files.map((a) => (typeof a === 'function' ? a() : a));

describe('verified identity on overrides, and medlb audit, through the real CLI (file store)', () => {
  jest.setTimeout(120_000);

  it('records the STS principal beside the display name, says unverified without credentials, and refuses credentials STS rejects', async () => {
    const verified = await runCli(['drain', 'PACS/P1', ...fileArgs(), '--reason', 'OS patching', '--operator', 'Dr. Alice'], { accessKeyId: 'AKIDALICE' });
    expect(verified.stderr).not.toMatch(/medlb:/);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({
      action: 'drain', service: 'PACS', target: 'P1', who: 'Dr. Alice', principal: ALICE, identity: 'verified', configVersion: CONFIG_VERSION,
    });
    expect(sts.calls).toEqual([{ action: 'GetCallerIdentity', accessKeyId: 'AKIDALICE', outcome: 'ok' }]);

    const unverified = await runCli(['halt', 'RIS/R2', ...fileArgs(), '--operator', 'bob', '--reason', 'smoke'], undefined);
    expect(unverified.code).toBe(0);
    const record = JSON.parse(unverified.stdout) as AuditRecord;
    expect(record).toMatchObject({ action: 'halt', who: 'bob', identity: 'unverified' });
    expect(record.principal).toBeUndefined();

    const stateBefore = readFileSync(statePath, 'utf8');
    const auditBefore = readFileSync(`${statePath}.audit.jsonl`, 'utf8');
    const rejected = await runCli(['drain', 'PACS/P2', ...fileArgs()], { accessKeyId: 'AKIDUNKNOWN' });
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/cannot verify the caller with STS GetCallerIdentity .*security token included in the request is invalid/);
    expect(rejected.stdout).toBe('');
    expect(readFileSync(statePath, 'utf8')).toBe(stateBefore);
    expect(readFileSync(`${statePath}.audit.jsonl`, 'utf8')).toBe(auditBefore);
  });

  it('medlb audit: the trail in time order with who, principal, config version and why; filters; --json; old records readable', async () => {
    const auditPath = `${statePath}.audit.jsonl`;
    expect(existsSync(auditPath)).toBe(true);
    // A record as version 1 wrote it (no principal, identity or config version) and a round's transition.
    appendFileSync(auditPath, `${JSON.stringify({ who: 'carol', when: '2020-01-01T00:00:00.000Z', action: 'drain', service: 'RIS', target: 'R1' })}\n`);
    appendFileSync(
      auditPath,
      `${JSON.stringify({ who: 'medlb-controller', when: '2021-06-01T12:00:00.000Z', action: 'down', service: 'PACS', target: 'P3', reason: '3 consecutive failures (connect ECONNREFUSED)', configVersion: 'abcdef012345', principal: 'arn:aws:iam::111122223333:role/medlb-controller', identity: 'controller-role' })}\n`,
    );

    const all = await runCli(['audit', ...fileArgs()]);
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('2020-01-01T00:00:00.000Z  drain   RIS/R1  by carol (identity not recorded)  config not recorded');
    expect(lines[1]).toBe(
      '2021-06-01T12:00:00.000Z  down    PACS/P3  by medlb-controller (arn:aws:iam::111122223333:role/medlb-controller)  config abcdef012345  why: 3 consecutive failures (connect ECONNREFUSED)',
    );
    expect(lines[2]).toMatch(new RegExp(`^\\S+Z  drain   PACS/P1  by Dr\\. Alice \\(${ALICE}\\)  config ${CONFIG_VERSION}  why: OS patching$`));
    expect(lines[3]).toMatch(/^\S+Z {2}halt {4}RIS\/R2 {2}by bob \(identity unverified: name self-asserted\) {2}config [0-9a-f]{12} {2}why: smoke$/);

    const json = await runCli(['audit', ...fileArgs(), '--json', '--service', 'RIS']);
    expect(json.code).toBe(0);
    const records = JSON.parse(json.stdout) as AuditRecord[];
    expect(records.map((r) => `${r.action} ${r.target} ${r.identity ?? '-'}`)).toEqual(['drain R1 -', 'halt R2 unverified']);

    const byTarget = await runCli(['audit', ...fileArgs(), '--json', '--target', 'P3']);
    expect((JSON.parse(byTarget.stdout) as AuditRecord[]).map((r) => r.action)).toEqual(['down']);

    // --since inclusive, --until exclusive, any zone.
    const window = await runCli(['audit', ...fileArgs(), '--json', '--since', '2021-06-01T14:00:00+02:00', '--until', '2022-01-01T00:00:00Z']);
    expect((JSON.parse(window.stdout) as AuditRecord[]).map((r) => r.target)).toEqual(['P3']);
    const none = await runCli(['audit', ...fileArgs(), '--until', '2019-01-01T00:00:00Z']);
    expect(none.stdout).toBe('no audit records match\n');
  });

  it('exits 2 naming the option for a time without a zone, an impossible time, or an end before the start', async () => {
    for (const [args, message] of [
      [['--since', '2026-11-24T22:00:00'], /--since '2026-11-24T22:00:00' is not an ISO 8601 time with a zone/],
      [['--until', '2026-13-40T00:00:00Z'], /--until '2026-13-40T00:00:00Z' is not an ISO 8601 time/],
      [['--since', 'yesterday'], /--since 'yesterday'/],
      [['--since', '2026-11-24T22:00:00Z', '--until', '2026-11-24T21:00:00Z'], /--until .* is not after --since/],
    ] as const) {
      const result = await runCli(['audit', ...fileArgs(), ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
    }
  });
});

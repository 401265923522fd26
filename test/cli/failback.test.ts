/** `medlb failback` through the real CLI against a config and state file (no AWS call is needed). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'medlb.js');
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/hl7-2575/0123456789abcdef';

function medlb(args: string[], dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: dir, MEDLB_OPERATOR: 'night-shift', AWS_EC2_METADATA_DISABLED: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('medlb failback', () => {
  let dir: string;
  let configPath: string;
  let statePath: string;
  const service = (failback?: 'manual') => ({
    name: 'HL7',
    mode: 'failover',
    ...(failback ? { failback } : {}),
    rise: 2,
    fall: 3,
    check: { protocol: 'tcp', port: 2575, timeoutMs: 1000 },
    targetGroups: [{ arn: TG, port: 2575 }],
    targets: [
      { name: 'HL71', ip: '127.0.0.61' },
      { name: 'HL72', ip: '127.0.0.62' },
    ],
  });
  const write = (failback: 'manual' | undefined, active: string) => {
    writeFileSync(configPath, JSON.stringify({ version: 1, services: [service(failback)] }));
    writeFileSync(
      statePath,
      JSON.stringify({
        version: 2,
        services: {
          HL7: {
            targets: { HL71: { passes: 5, failures: 0, up: true }, HL72: { passes: 50, failures: 0, up: true } },
            overrides: {},
            active: { name: active, since: '2026-11-27T02:00:00.000Z' },
          },
        },
      }),
    );
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medlb-failback-'));
    configPath = join(dir, 'controller.json');
    statePath = join(dir, 'state.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records the request (who, when, why) for the next round, audited, when the primary has recovered', async () => {
    write('manual', 'HL72');
    const { code, stdout } = await medlb(['failback', 'hl7', '--config', configPath, '--state-file', statePath, '--reason', 'quiet hour'], dir);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ action: 'failback', service: 'HL7', who: 'night-shift', requested: true, message: expect.stringMatching(/from HL72 to HL71 requested/) });
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(state.services.HL7.failbackRequest).toMatchObject({ by: 'night-shift', reason: 'quiet hour' });
    const audit = readFileSync(`${statePath}.audit.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(audit).toEqual([expect.objectContaining({ who: 'night-shift', action: 'failback', service: 'HL7', reason: 'quiet hour' })]);
  }, 60_000);

  it('nothing pending: exit 0 with a message and nothing written', async () => {
    write('manual', 'HL71');
    const before = readFileSync(statePath, 'utf8');
    const { code, stdout } = await medlb(['failback', 'HL7', '--config', configPath, '--state-file', statePath], dir);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ requested: false, message: 'nothing pending: HL7 is on its first server HL71' });
    expect(readFileSync(statePath, 'utf8')).toBe(before);
  }, 60_000);

  it('a service that fails back by itself is a usage error (exit 2)', async () => {
    write(undefined, 'HL72');
    const { code, stdout, stderr } = await medlb(['failback', 'HL7', '--config', configPath, '--state-file', statePath], dir);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/fails back by itself \(mode failover, failback automatic\)/);
  }, 60_000);
});

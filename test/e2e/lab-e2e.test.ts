/**
 * `medlb lab examples/example-site.json` end to end, as a newcomer runs it: the real CLI in its own process
 * (loopback VIPs, stand-in servers, the controller's rounds), driven with the commands it prints — `medlb
 * status`, `drain`, `online`, `audit` with its lab.env, and `medlb lab stop` for a server failure — while a
 * modality keeps opening DICOM associations (C-ECHO) through a lab VIP. Model time runs 10× faster (--speed).
 */
import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DicomAssociationTraffic } from '../../lab/traffic';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'medlb.js');
const run = promisify(execFile);
/** Far from the other suites' 127.0.x addresses. */
const PREFIX = '127.93';

interface ServiceState {
  readonly name: string;
  readonly state: string;
  readonly targets: readonly { readonly name: string; readonly up: boolean | null; readonly elb: Readonly<Record<string, string>> }[];
}

let dir: string;
let lab: ChildProcessWithoutNullStreams;
let output = '';
let env: NodeJS.ProcessEnv;
let files: string[];

/** Runs `medlb <args>` with the lab's environment; stdout, and the exit code. */
async function medlb(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: REPO, env, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function dicomService(): Promise<ServiceState> {
  const status = await medlb('status', '--json', ...files);
  expect(status.code).toBe(0);
  const report = JSON.parse(status.stdout) as { services: ServiceState[] };
  const service = report.services.find((s) => s.name === 'DICOM-Modalities');
  if (!service) throw new Error('no DICOM-Modalities in status');
  return service;
}

/** Polls `medlb status --json` until `predicate` holds (a hang bound only). */
async function waitForStatus(what: string, predicate: (service: ServiceState) => boolean, boundMs = 90_000): Promise<ServiceState> {
  const deadline = Date.now() + boundMs;
  let last: ServiceState | undefined;
  while (Date.now() < deadline) {
    last = await dicomService();
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last)}\nlab output:\n${output}`);
}

const target = (service: ServiceState, name: string) => service.targets.find((t) => t.name === name);
const allElb = (service: ServiceState, name: string, state: string) => Object.values(target(service, name)?.elb ?? {}).every((s) => s === state);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'medlb-lab-e2e-'));
  lab = spawn(process.execPath, [CLI, 'lab', 'examples/example-site.json', '--dir', dir, '--prefix', PREFIX, '--speed', '10'], { cwd: REPO });
  lab.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  lab.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('in another terminal') && Date.now() < deadline && lab.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 200));
  expect(output).toContain('in another terminal');
  // What `. medlb-lab/lab.env` does in a shell.
  env = { ...process.env };
  for (const line of readFileSync(join(dir, 'lab.env'), 'utf8').split('\n')) {
    const exported = /^export (\w+)=(.*)$/.exec(line);
    if (exported?.[1] && exported[2] !== undefined) env[exported[1]] = exported[2];
  }
  delete env.AWS_PROFILE;
  files = ['--config', join(dir, 'controller.json'), '--state-file', join(dir, 'state.json')];
}, 120_000);

afterAll(async () => {
  if (lab.exitCode === null) {
    const exited = new Promise((resolve) => lab.once('exit', resolve));
    lab.kill('SIGINT');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('medlb lab examples/example-site.json', () => {
  it('prints the address map, one line per site VIP and port, and the commands that work against it', () => {
    expect(output).toMatch(/DICOM-Modalities\s+10\.12\.1\.100:104\s+-> 127\.93\.1\.100:10104/);
    expect(output).toMatch(/DICOM-Modalities\s+10\.12\.2\.100:11112\s+-> 127\.93\.2\.100:11112/);
    expect(output).toMatch(/HL7\s+10\.12\.1\.120:2575\s+-> 127\.93\.1\.120:2575/);
    expect(output).toMatch(/HTTPS-Viewer\s+10\.12\.1\.160:443\s+-> 127\.93\.1\.160:10443/);
    expect(output).toContain(`npx medlb status --config`);
    expect(output).toContain('echoscu -aec PACS 127.93.1.100 10104');
  });

  it('a modality through a lab VIP keeps working through a drain, an online and a server failure; status shows each state', async () => {
    const serving = await waitForStatus('both DICOM servers healthy', (s) => s.state === 'serving' && allElb(s, 'DICOM1', 'healthy') && allElb(s, 'DICOM2', 'healthy'));
    expect(serving.state).toBe('serving');

    // Planned: drain DICOM1 and bring it back, with a modality associating every 200 ms through the first VIP.
    const throughDrain = new DicomAssociationTraffic({ host: `${PREFIX}.1.100`, port: 10104 }, { everyMs: 200, timeoutMs: 10_000 });
    const drain = await medlb('drain', 'DICOM-Modalities/DICOM1', ...files, '--reason', 'lab drill');
    expect(drain.code).toBe(0);
    expect(JSON.parse(drain.stdout)).toMatchObject({ action: 'drain', identity: 'verified', principal: 'arn:aws:iam::000000000000:user/medlb-lab-operator' });
    const drained = await waitForStatus('DICOM1 drained', (s) => s.state === 'drained' && !allElb(s, 'DICOM1', 'healthy'));
    expect(allElb(drained, 'DICOM2', 'healthy')).toBe(true);
    expect((await medlb('online', 'DICOM-Modalities/DICOM1', ...files)).code).toBe(0);
    await waitForStatus('DICOM1 back in service', (s) => s.state === 'serving' && allElb(s, 'DICOM1', 'healthy'));
    const planned = await throughDrain.stop();
    expect(planned.succeeded).toBeGreaterThan(0);
    expect({ failed: planned.failed, timeouts: planned.timeouts, firstFailures: planned.firstFailures }).toEqual({ failed: 0, timeouts: 0, firstFailures: [] });

    // Unplanned: DICOM2's stand-in stops (connections refused); the controller takes it out, DICOM1 carries on.
    const throughFailure = new DicomAssociationTraffic({ host: `${PREFIX}.2.100`, port: 11112 }, { everyMs: 200, timeoutMs: 10_000 });
    const stop = await medlb('lab', 'stop', 'DICOM-Modalities/DICOM2', '--dir', dir);
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ server: 'DICOM2', running: false });
    const degraded = await waitForStatus('DICOM2 down, DICOM1 serving', (s) => s.state === 'degraded' && target(s, 'DICOM2')?.up === false);
    expect(allElb(degraded, 'DICOM1', 'healthy')).toBe(true);
    const duringFailure = await throughFailure.stop();
    // Associations that met DICOM2 before anyone noticed it failed (as on AWS); once it is down, none fails.
    expect(duringFailure.succeeded).toBeGreaterThan(0);
    const afterFailover = new DicomAssociationTraffic({ host: `${PREFIX}.1.100`, port: 10104 }, { everyMs: 200, timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await afterFailover.stop();
    expect(after.succeeded).toBeGreaterThan(0);
    expect({ failed: after.failed, timeouts: after.timeouts }).toEqual({ failed: 0, timeouts: 0 });

    // Recovery, and the audit trail of it all.
    expect((await medlb('lab', 'start', 'DICOM-Modalities/DICOM2', '--dir', dir)).code).toBe(0);
    await waitForStatus('DICOM2 back', (s) => s.state === 'serving' && target(s, 'DICOM2')?.up === true);
    const audit = await medlb('audit', ...files, '--service', 'DICOM-Modalities', '--json');
    const actions = (JSON.parse(audit.stdout) as { action: string; target: string }[]).map((r) => `${r.action} ${r.target}`);
    expect(actions).toEqual(expect.arrayContaining(['drain DICOM1', 'online DICOM1', 'down DICOM2', 'up DICOM2']));
    expect(output).toMatch(/DICOM-Modalities\/DICOM2 down: 3 consecutive failures \(connection refused\)/);
    // A hang bound: each medlb command starts its own process, slow on a loaded machine (measured 94 s idle, 266 s loaded).
  }, 600_000);

  it('medlb lab stop names the stand-ins when the target is unknown, and refuses a second lab in the same directory', async () => {
    const unknown = await medlb('lab', 'stop', 'DICOM-Modalities/DICOM9', '--dir', dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no stand-in DICOM-Modalities\/DICOM9; the lab's stand-ins: DICOM-Modalities\/DICOM1, /);
    const second = await medlb('lab', 'examples/example-site.json', '--dir', dir, '--prefix', '127.95');
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`a lab already runs for ${dir}`);
  }, 120_000);
});

/**
 * The README's "Try it locally" walk-through with DCMTK: `medlb lab examples/example-site.json`, then `echoscu`
 * pointed at a lab VIP keeps getting C-ECHO answers while `medlb drain` takes a PACS node out and `medlb online`
 * brings it back; the stand-in PACS answers only the site's called AE title, as a PACS does. `echoscu` exits 0
 * even when the association fails, so each verdict is read from its `-v` log.
 *
 * Needs: apt-get install -y dcmtk
 */
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'medlb.js');
const run = promisify(execFile);
/** Apart from the unit suites' lab (127.93) and their 127.0.x peers. */
const PREFIX = '127.94';
const VIP = { host: `${PREFIX}.1.100`, port: 10104 };

interface EchoVerdict {
  readonly healthy: boolean;
  readonly log: string;
}

function echoscu(calledAe: string): Promise<EchoVerdict> {
  return new Promise((resolve) => {
    execFile('echoscu', ['-v', '-to', '10', '-ta', '10', '-td', '10', '-aec', calledAe, VIP.host, String(VIP.port)], { timeout: 30_000 }, (_error, stdout, stderr) => {
      const log = `${stdout}\n${stderr}`;
      resolve({ healthy: /Received Echo Response \(Success\)/.test(log) && /Releasing Association/.test(log), log });
    });
  });
}

let dir: string;
let lab: ChildProcessWithoutNullStreams;
let output = '';
let env: NodeJS.ProcessEnv;
let files: string[];

async function medlb(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { cwd: REPO, env, timeout: 90_000 });
  return stdout;
}

/** The DICOM service's line of `medlb status` and its second target's, once `matches` holds (a hang bound only). */
async function waitForStatus(what: string, matches: (table: string) => boolean): Promise<string> {
  const deadline = Date.now() + 120_000;
  let table = '';
  while (Date.now() < deadline) {
    table = await medlb('status', ...files);
    if (matches(table)) return table;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}; last status:\n${table}\nlab output:\n${output}`);
}

beforeAll(async () => {
  if (spawnSync('sh', ['-c', 'command -v echoscu']).status !== 0) throw new Error('echoscu not found on PATH; install it with: apt-get install -y dcmtk');
  dir = mkdtempSync(join(tmpdir(), 'medlb-lab-walkthrough-'));
  lab = spawn(process.execPath, [CLI, 'lab', 'examples/example-site.json', '--dir', dir, '--prefix', PREFIX, '--speed', '10'], { cwd: REPO });
  lab.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  lab.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('in another terminal') && Date.now() < deadline && lab.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 200));
  expect(output).toContain(`echoscu -aec PACS ${VIP.host} ${VIP.port}`);
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

describe('Try it locally: echoscu through a lab VIP', () => {
  it('keeps answering through medlb drain and medlb online of a PACS node', async () => {
    const dicomRows = (table: string) => table.split('\n').filter((line) => /DICOM[12]\s+127\.94\.1\.11[01]/.test(line));
    await waitForStatus('both DICOM nodes healthy', (table) => /DICOM-Modalities\s+serving/.test(table) && dicomRows(table).every((row) => /\bhealthy\b/.test(row)));
    const verdicts: EchoVerdict[] = [];
    let echoing = true;
    const loop = (async () => {
      while (echoing) {
        verdicts.push(await echoscu('PACS'));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    try {
      await medlb('drain', 'DICOM-Modalities/DICOM1', ...files, '--reason', 'walk-through');
      await waitForStatus('DICOM1 drained', (table) => /DICOM-Modalities\s+DRAINED/.test(table));
      await medlb('online', 'DICOM-Modalities/DICOM1', ...files);
      await waitForStatus('DICOM1 back', (table) => /DICOM-Modalities\s+serving/.test(table) && dicomRows(table).every((row) => /\bhealthy\b/.test(row)));
    } finally {
      echoing = false;
      await loop;
    }
    expect(verdicts.length).toBeGreaterThan(3);
    expect(verdicts.filter((v) => !v.healthy).map((v) => v.log)).toEqual([]);
    const trail = await medlb('audit', ...files, '--service', 'DICOM-Modalities');
    expect(trail).toMatch(/drain\s+DICOM-Modalities\/DICOM1\s+by .*arn:aws:iam::000000000000:user\/medlb-lab-operator.*why: walk-through/);
  }, 300_000);

  it('the stand-in PACS rejects a called AE title the site does not use', async () => {
    const wrong = await echoscu('NOT-PACS');
    expect(wrong.healthy).toBe(false);
    expect(wrong.log).toMatch(/Called AE Title Not Recognized/i);
  }, 60_000);
});

/** `medlb lab` argument handling: help on stdout, every usage error on stderr with exit 2, before anything listens. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../lab/lab-command';

describe('medlb lab arguments', () => {
  let stdout: string;
  let stderr: string;
  let dir: string;
  beforeEach(() => {
    stdout = '';
    stderr = '';
    dir = mkdtempSync(join(tmpdir(), 'medlb-lab-args-'));
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help: usage on stdout, exit 0', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(stdout).toMatch(/^usage: medlb lab <site file>/);
    expect(stderr).toBe('');
  });

  it.each([
    [[], 'missing <site file>'],
    [['examples/example-site.json', '--speed', '0'], '--speed must be a number above 0'],
    [['examples/example-site.json', '--prefix', '10.0'], '--prefix must be 127.N'],
    [['examples/example-site.json', '--port', '104:4104'], '--port 104:4104: expected SITE-PORT=LOCAL-PORT'],
    [['examples/example-site.json', '--server', '10.12.1.110=localhost'], '--server 10.12.1.110=localhost: expected SITE-IP=LOCAL-IP'],
    [['examples/example-site.json', '--registration-delay', '1.5'], '--registration-delay must be whole seconds'],
    [['stop'], 'medlb lab stop needs one <service>/<target>'],
  ])('medlb lab %j: exit 2, %s', async (args, message) => {
    expect(await run([...args, '--dir', dir])).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it('an invalid site is refused with its problems; stop without a running lab says how to start one', async () => {
    expect(await run(['examples/invalid-site.json', '--dir', dir])).toBe(2);
    expect(stderr).toMatch(/problem/);
    stderr = '';
    expect(await run(['stop', 'DICOM-Modalities/DICOM1', '--dir', dir])).toBe(2);
    expect(stderr).toContain(`no lab runs for ${dir}`);
  });
});

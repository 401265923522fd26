/** Every command prints its usage on stdout with exit 0 when asked (`--help`), and nothing on stderr. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const COMMANDS: ReadonlyArray<[string, string, string[]]> = [
  ['probe', 'probe', []],
  ['reconcile', 'reconcile', []],
  ['run', 'run', []],
  ['status', 'status', []],
  ['drain', 'override', ['drain']],
  ['halt', 'override', ['halt']],
  ['online', 'override', ['online']],
  ['diff', 'diff', []],
  ['audit', 'audit', []],
  ['failback', 'failback', []],
  ['preflight', 'preflight', []],
  ['pin', 'pin', ['pin']],
  ['unpin', 'pin', ['unpin']],
];

describe('--help', () => {
  let stdout: string;
  let stderr: string;
  beforeEach(() => {
    stdout = '';
    stderr = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  test.each(COMMANDS)('medlb %s --help: usage on stdout, exit 0', async (_command, module, prefix) => {
    const { run } = (await import(`../../lambda/cli/${module}`)) as { run(args: string[]): Promise<number> };
    expect(await run([...prefix, '--help'])).toBe(0);
    expect(stdout).toMatch(new RegExp(`^usage: medlb ${module === 'override' ? 'drain\\|halt\\|online' : module}\\b`));
    expect(stderr).toBe('');
  });

  test('medlb --help lists every command on stdout with exit 0; no command at all is a usage error on stderr', () => {
    const cli = path.join(__dirname, '..', '..', 'bin', 'medlb.js');
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(help.status).toBe(0);
    expect(help.stderr).toBe('');
    for (const [command] of COMMANDS) expect(help.stdout).toContain(`  ${command === 'drain' || command === 'halt' || command === 'online' ? 'drain|halt|online' : command} `);
    const none = spawnSync(process.execPath, [cli], { encoding: 'utf8', timeout: 60_000 });
    expect(none.status).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^usage: medlb <command>/);
  });
});

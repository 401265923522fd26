/**
 * scripts/ci-count.ts decides what a jest suite adds to `.ci/run`'s "N passed, N failed": results that cannot
 * be read never count as passed, whatever jest's exit code was.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countJestResults, describeSuiteCount } from '../../scripts/ci-count';

/** A results file shaped as jest 30 writes it with --json, for two files with the given per-test statuses. */
function results(statuses: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const count = (status: string): number => statuses.filter((s) => s === status).length;
  const failed = count('failed');
  return {
    numFailedTestSuites: failed > 0 ? 1 : 0,
    numFailedTests: failed,
    numPassedTestSuites: failed > 0 ? 1 : 2,
    numPassedTests: count('passed'),
    numPendingTestSuites: 0,
    numPendingTests: count('pending'),
    numRuntimeErrorTestSuites: 0,
    numTodoTests: count('todo'),
    numTotalTestSuites: 2,
    numTotalTests: statuses.length,
    success: failed === 0,
    testResults: [
      {
        name: '/repo/test/a.test.ts',
        status: failed > 0 ? 'failed' : 'passed',
        assertionResults: statuses.map((status, i) => ({ fullName: `a case ${i}`, status, title: `case ${i}` })),
      },
      { name: '/repo/test/b.test.ts', status: 'passed', assertionResults: [] },
    ],
    ...overrides,
  };
}

const text = (value: unknown): string => JSON.stringify(value);

describe('countJestResults', () => {
  it('adds the passed tests of a valid file, with no failure', () => {
    expect(countJestResults(text(results(['passed', 'passed', 'passed'])), 0)).toEqual({
      passed: 3,
      failed: 0,
      problems: [],
      notRun: [],
      notRunCount: 0,
    });
  });

  it('counts each failed test of a file with numFailedTests > 0', () => {
    const count = countJestResults(text(results(['passed', 'failed', 'failed'])), 1);
    expect(count).toMatchObject({ passed: 1, failed: 2, problems: [] });
  });

  it.each([0, 1])('counts a corrupted (truncated) file as one failure when jest exited %i', (exitCode) => {
    const whole = text(results(['passed', 'passed']));
    const count = countJestResults(whole.slice(0, whole.length / 2), exitCode);
    expect(count).toMatchObject({ passed: 0, failed: 1 });
    expect(count.problems[0]).toMatch(/^the results file is not JSON/);
  });

  it.each([0, 1])('counts an empty file as one failure when jest exited %i', (exitCode) => {
    expect(countJestResults('', exitCode)).toMatchObject({ passed: 0, failed: 1, problems: [`the results file is empty (jest exited ${exitCode})`] });
  });

  it('counts a missing file as one failure', () => {
    expect(countJestResults(undefined, 0)).toMatchObject({ passed: 0, failed: 1, problems: ['no results file (jest exited 0)'] });
  });

  it('counts JSON without the counts (empty counts) as one failure, naming what is missing', () => {
    const { numPassedTests: _passed, numTotalTests: _total, ...rest } = results(['passed']);
    const count = countJestResults(text({ ...rest, numFailedTests: null }), 0);
    expect(count).toMatchObject({ passed: 0, failed: 1 });
    expect(count.problems).toEqual(['the results file lacks counts: numPassedTests, numFailedTests, numTotalTests (jest exited 0)']);
    expect(countJestResults('[]', 0)).toMatchObject({ passed: 0, failed: 1 });
    expect(countJestResults('null', 0)).toMatchObject({ passed: 0, failed: 1 });
  });

  it('counts a run with no test as a failure', () => {
    expect(countJestResults(text(results([])), 0)).toMatchObject({ passed: 0, failed: 1, problems: ['ran no test'] });
  });

  it('counts counts that do not add up as a failure', () => {
    const count = countJestResults(text(results(['passed', 'passed'], { numTotalTests: 5 })), 0);
    expect(count).toMatchObject({ passed: 2, failed: 1 });
    expect(count.problems[0]).toMatch(/^the counts disagree/);
  });

  it('counts a test file that failed outside its tests (a crashing hook or file)', () => {
    const count = countJestResults(text(results(['passed'], { numFailedTestSuites: 1, numRuntimeErrorTestSuites: 1, success: false })), 1);
    expect(count).toMatchObject({ passed: 1, failed: 1 });
    const hookOnly = countJestResults(text(results(['passed'], { numFailedTestSuites: 1, success: false })), 1);
    expect(hookOnly).toMatchObject({ passed: 1, failed: 1 });
  });

  it('counts a non-zero exit with nothing failed as one failure', () => {
    expect(countJestResults(text(results(['passed'])), 1)).toMatchObject({ passed: 1, failed: 1, problems: ['jest exited 1 (success: true) with no failed test'] });
  });

  it('lists skipped, pending and todo tests by name without counting them as failures', () => {
    const count = countJestResults(text(results(['passed', 'pending', 'todo'])), 0);
    expect(count).toMatchObject({ passed: 1, failed: 0, notRunCount: 2 });
    expect(describeSuiteCount('unit', count)).toEqual([
      'NOT RUN in unit: 2 test(s) skipped, pending or todo',
      '  pending: /repo/test/a.test.ts › a case 1',
      '  todo: /repo/test/a.test.ts › a case 2',
    ]);
    expect(describeSuiteCount('unit', countJestResults(text(results(['passed'])), 0))).toEqual(['unit: 0 skipped, pending or todo']);
  });
});

describe('scripts/ci-count.ts as .ci/run calls it', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ci-count-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(file: string, exitCode: number): { stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../scripts/ci-count.ts'), 'unit', file, String(exitCode)], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    return { stdout: result.stdout, stderr: result.stderr };
  }

  it('prints "passed failed" for a valid file', () => {
    const file = join(dir, 'valid.json');
    writeFileSync(file, text(results(['passed', 'passed', 'failed'])));
    expect(run(file, 1).stdout).toBe('2 1\n');
  });

  it('prints one failure and the reason for a corrupted file even when jest exited 0', () => {
    const file = join(dir, 'corrupted.json');
    writeFileSync(file, '{"numPassedTests": 12, "numFailed');
    const { stdout, stderr } = run(file, 0);
    expect(stdout).toBe('0 1\n');
    expect(stderr).toMatch(/^FAILED: unit: the results file is not JSON/);
  });

  it('prints one failure for a file that does not exist', () => {
    expect(run(join(dir, 'absent.json'), 0).stdout).toBe('0 1\n');
  });
});

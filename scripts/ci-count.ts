/**
 * Reads one jest `--json` results file for `.ci/run` and turns it into the counts CI adds up.
 *
 *   npx tsx scripts/ci-count.ts <suite name> <results file> <jest exit code>
 *
 * stdout: one line `<passed> <failed>`; stderr: why anything counts as failed, and every skipped, pending or
 * todo test by name. A results file that is missing, empty, not JSON or without consistent counts is one
 * failure whatever jest's exit code said: a run that cannot prove what passed has not passed.
 */
import { existsSync, readFileSync } from 'node:fs';

/** What one suite adds to CI's totals, and what to print about it. */
export interface SuiteCount {
  readonly passed: number;
  readonly failed: number;
  /** Why the suite counts failures beyond its failed tests (unreadable results, no test, a crash). */
  readonly problems: readonly string[];
  /** Tests that did not run: skipped/pending, todo or disabled, by file. */
  readonly notRun: readonly NotRunTest[];
  /** numPendingTests + numTodoTests as jest counted them (also when no per-test detail is in the file). */
  readonly notRunCount: number;
}

/** A test that jest listed but did not run. */
export interface NotRunTest {
  readonly file: string;
  readonly name: string;
  readonly status: string;
}

const REQUIRED_COUNTS = [
  'numPassedTests',
  'numFailedTests',
  'numPendingTests',
  'numTodoTests',
  'numTotalTests',
  'numFailedTestSuites',
  'numRuntimeErrorTestSuites',
] as const;

type Counts = Record<(typeof REQUIRED_COUNTS)[number], number>;

const NOT_RUN_STATUSES = new Set(['pending', 'skipped', 'todo', 'disabled']);

/** Counts a results file's text (`undefined`: there was no file) given jest's exit code. */
export function countJestResults(text: string | undefined, exitCode: number): SuiteCount {
  const unreadable = (problem: string): SuiteCount => ({ passed: 0, failed: 1, problems: [problem], notRun: [], notRunCount: 0 });
  if (text === undefined) return unreadable(`no results file (jest exited ${exitCode})`);
  if (text.trim() === '') return unreadable(`the results file is empty (jest exited ${exitCode})`);
  let results: unknown;
  try {
    results = JSON.parse(text);
  } catch (err) {
    return unreadable(`the results file is not JSON (${err instanceof Error ? err.message : String(err)}; jest exited ${exitCode})`);
  }
  if (typeof results !== 'object' || results === null) return unreadable('the results file holds no results object');
  const record = results as Record<string, unknown>;
  const missing = REQUIRED_COUNTS.filter((key) => !isCount(record[key]));
  if (missing.length > 0) return unreadable(`the results file lacks counts: ${missing.join(', ')} (jest exited ${exitCode})`);
  const counts = Object.fromEntries(REQUIRED_COUNTS.map((key) => [key, record[key]])) as Counts;

  const problems: string[] = [];
  let failed = counts.numFailedTests + counts.numRuntimeErrorTestSuites;
  const accountedFor = counts.numPassedTests + counts.numFailedTests + counts.numPendingTests + counts.numTodoTests;
  if (accountedFor !== counts.numTotalTests) {
    problems.push(`the counts disagree: passed+failed+pending+todo = ${accountedFor}, total = ${counts.numTotalTests}`);
  }
  if (counts.numTotalTests === 0) problems.push('ran no test');
  if (failed === 0 && counts.numFailedTestSuites > 0) {
    problems.push(`${counts.numFailedTestSuites} test file(s) failed outside any test (a hook or the file itself)`);
  }
  if (failed === 0 && problems.length === 0 && (exitCode !== 0 || record.success === false)) {
    problems.push(`jest exited ${exitCode} (success: ${String(record.success)}) with no failed test`);
  }
  failed += problems.length;
  return { passed: counts.numPassedTests, failed, problems, notRun: notRunTests(record.testResults), notRunCount: counts.numPendingTests + counts.numTodoTests };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function notRunTests(testResults: unknown): NotRunTest[] {
  if (!Array.isArray(testResults)) return [];
  const found: NotRunTest[] = [];
  for (const file of testResults as unknown[]) {
    if (typeof file !== 'object' || file === null) continue;
    const { name, assertionResults } = file as { name?: unknown; assertionResults?: unknown };
    if (!Array.isArray(assertionResults)) continue;
    for (const assertion of assertionResults as unknown[]) {
      if (typeof assertion !== 'object' || assertion === null) continue;
      const { status, fullName } = assertion as { status?: unknown; fullName?: unknown };
      if (typeof status === 'string' && NOT_RUN_STATUSES.has(status)) {
        found.push({ file: typeof name === 'string' ? name : '(unknown file)', name: String(fullName), status });
      }
    }
  }
  return found;
}

/** The lines CI prints on stderr about a suite: its failures' causes and, loudly, every test that did not run. */
export function describeSuiteCount(suite: string, count: SuiteCount): string[] {
  const lines = count.problems.map((problem) => `FAILED: ${suite}: ${problem}`);
  if (count.notRunCount > 0 || count.notRun.length > 0) {
    lines.push(`NOT RUN in ${suite}: ${Math.max(count.notRunCount, count.notRun.length)} test(s) skipped, pending or todo`);
    for (const test of count.notRun) lines.push(`  ${test.status}: ${test.file} › ${test.name}`);
  } else {
    lines.push(`${suite}: 0 skipped, pending or todo`);
  }
  return lines;
}

if (require.main === module) {
  const [suite = 'jest', file = '', exitCodeText = '1'] = process.argv.slice(2);
  const exitCode = Number.parseInt(exitCodeText, 10);
  const count = countJestResults(file !== '' && existsSync(file) ? readFileSync(file, 'utf8') : undefined, Number.isNaN(exitCode) ? 1 : exitCode);
  process.stderr.write(`${describeSuiteCount(suite, count).join('\n')}\n`);
  process.stdout.write(`${count.passed} ${count.failed}\n`);
}

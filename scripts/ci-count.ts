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
import { z } from 'zod';

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

const count = z.number().int().nonnegative();

/** The parts of jest's --json results CI reads; per-test detail is optional (a crash may leave none). */
const JestResultsSchema = z.object({
  numPassedTests: count,
  numFailedTests: count,
  numPendingTests: count,
  numTodoTests: count,
  numTotalTests: count,
  numFailedTestSuites: count,
  numRuntimeErrorTestSuites: count,
  success: z.boolean().optional(),
  testResults: z
    .array(
      z.object({
        name: z.string().catch('(unknown file)'),
        assertionResults: z.array(z.object({ status: z.string(), fullName: z.string().catch('(unnamed test)') })).catch([]),
      }),
    )
    .catch([]),
});

const NOT_RUN_STATUSES = new Set(['pending', 'skipped', 'todo', 'disabled']);

/** Counts a results file's text (`undefined`: there was no file) given jest's exit code. */
export function countJestResults(text: string | undefined, exitCode: number): SuiteCount {
  const unreadable = (problem: string): SuiteCount => ({ passed: 0, failed: 1, problems: [problem], notRun: [], notRunCount: 0 });
  if (text === undefined) return unreadable(`no results file (jest exited ${exitCode})`);
  if (text.trim() === '') return unreadable(`the results file is empty (jest exited ${exitCode})`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return unreadable(`the results file is not JSON (${err instanceof Error ? err.message : String(err)}; jest exited ${exitCode})`);
  }
  const parsed = JestResultsSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '')))].filter((field) => field !== '');
    if (fields.length === 0) return unreadable('the results file holds no results object');
    return unreadable(`the results file lacks counts: ${fields.join(', ')} (jest exited ${exitCode})`);
  }
  const results = parsed.data;

  const problems: string[] = [];
  let failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  const accountedFor = results.numPassedTests + results.numFailedTests + results.numPendingTests + results.numTodoTests;
  if (accountedFor !== results.numTotalTests) {
    problems.push(`the counts disagree: passed+failed+pending+todo = ${accountedFor}, total = ${results.numTotalTests}`);
  }
  if (results.numTotalTests === 0) problems.push('ran no test');
  if (failed === 0 && results.numFailedTestSuites > 0) {
    problems.push(`${results.numFailedTestSuites} test file(s) failed outside any test (a hook or the file itself)`);
  }
  if (failed === 0 && problems.length === 0 && (exitCode !== 0 || results.success === false)) {
    problems.push(`jest exited ${exitCode} (success: ${String(results.success)}) with no failed test`);
  }
  failed += problems.length;
  const notRun = results.testResults.flatMap((file) =>
    file.assertionResults
      .filter((assertion) => NOT_RUN_STATUSES.has(assertion.status))
      .map((assertion) => ({ file: file.name, name: assertion.fullName, status: assertion.status })),
  );
  return { passed: results.numPassedTests, failed, problems, notRun, notRunCount: results.numPendingTests + results.numTodoTests };
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

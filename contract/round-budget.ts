/**
 * The time one controller round may take, known before it starts (docs/architecture.md § Round budget).
 *
 * Both sides use it: the site validation refuses check timeouts that cannot fit the site's interval, and the
 * controller starts a round only when, by the clock, its budget ends before the next scheduled invocation and
 * before the Lambda's deadline. A budget is only a number if every part of the round is bounded:
 * - probes: the longest check timeout, plus a grace after which the runner abandons a probe that never settles;
 * - discovery and DescribeTargetHealth run beside the probes, each call bounded by the retry settings below;
 * - the allowance covers what follows the probes: ELB writes (each call bounded by the same retry settings),
 *   the state save and the audit records.
 */
export const ROUND_BUDGET = {
  /** Time a probe gets beyond its check's timeoutMs before the runner abandons it. */
  probeGraceMs: 1_000,
  /** Writes, state save and audit after the probes. */
  allowanceMs: 2_500,
  /** Attempts per controller AWS call (throttling and transient errors), the first included. */
  awsMaxAttempts: 3,
  /** Total backoff per controller AWS call. */
  awsRetryBudgetMs: 1_000,
  /** Kept free before the Lambda's deadline (logs and metrics flush after the last round). */
  deadlineMarginMs: 1_000,
} as const;

/** The budget of a round whose longest check timeout is `maxCheckTimeoutMs`. */
export function roundBudgetMs(maxCheckTimeoutMs: number): number {
  return maxCheckTimeoutMs + ROUND_BUDGET.probeGraceMs + ROUND_BUDGET.allowanceMs;
}

/** The longest check timeout that lets rounds keep to an interval of `intervalSeconds`. */
export function maxCheckTimeoutMsFor(intervalSeconds: number): number {
  return intervalSeconds * 1000 - ROUND_BUDGET.probeGraceMs - ROUND_BUDGET.allowanceMs;
}

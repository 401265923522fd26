/** Defaults of the ELBv2 adapter, in one place. */
export const ELBV2_DEFAULTS = {
  /** Targets per RegisterTargets/DeregisterTargets call (AWS documents no cap; 20 is conservative). */
  batchSize: 20,
  /** Attempts per API call, the first included, when AWS throttles or fails transiently. */
  maxAttempts: 6,
  /** First backoff delay; doubles per attempt (full jitter). */
  baseDelayMs: 100,
  /** Ceiling of one backoff delay. */
  maxDelayMs: 3_000,
  /** Total time one API call may spend in backoff before its error is surfaced. */
  retryBudgetMs: 10_000,
  /** Region when neither AWS_REGION nor AWS_DEFAULT_REGION is set (the CLI needs one to build a client). */
  region: 'us-east-1',
} as const;

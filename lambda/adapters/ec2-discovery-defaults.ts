/** Defaults of the EC2 discovery adapter, in one place. */
export const EC2_DISCOVERY_DEFAULTS = {
  /** DescribeInstances MaxResults per page (the API's maximum with filters). */
  pageSize: 1000,
  /** Pages followed per query; beyond this the selector is too broad (or NextToken loops). */
  maxPages: 100,
  /** Attempts per page, the first included, when EC2 throttles (RequestLimitExceeded) or fails transiently. */
  maxAttempts: 6,
  /** First backoff delay; doubles per attempt (full jitter). */
  baseDelayMs: 100,
  /** Ceiling of one backoff delay. */
  maxDelayMs: 3_000,
  /** Total time one page may spend in backoff before its error is surfaced. */
  retryBudgetMs: 10_000,
  /** Region when neither AWS_REGION nor AWS_DEFAULT_REGION is set (the CLI needs one to build a client). */
  region: 'us-east-1',
} as const;

/**
 * Bounded retries for the controller's AWS calls (ELBv2, EC2). The clients the adapters build have the SDK's own
 * retries off, so every attempt passes through here and is counted; throttling and transient failures are
 * retried with exponential backoff and full jitter, bounded in attempts and in total backoff time.
 */
import { propertyOf } from '../../contract/thrown';

/** Retry settings shared by the adapters. */
export interface RetryProps {
  /** Attempts per call when throttled or failing transiently, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** First backoff delay in ms, doubled per attempt, full jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** Ceiling of one backoff delay in ms. @default 3000 */
  readonly maxDelayMs?: number;
  /** Total backoff time per call in ms; when the next delay would exceed it the error is surfaced. @default 10000 */
  readonly retryBudgetMs?: number;
  /** Waits between attempts (tests replace it). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Defaults of {@link RetryProps}. */
const AWS_RETRY_DEFAULTS = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 3_000,
  retryBudgetMs: 10_000,
} as const;

/** One failed attempt, classified. */
export interface FailedAttempt {
  readonly error: unknown;
  /** The AWS error code (or the Node network error code). */
  readonly code: string;
  readonly message: string;
  readonly throttled: boolean;
  /** Throttled or transient (network error, 5xx): worth another attempt. */
  readonly retryable: boolean;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/** What a caller decides around one call. */
export interface RetryHandlers {
  /** Before every attempt (to count calls). */
  readonly beforeAttempt?: () => void;
  /** After every failed attempt; throw to stop at once (e.g. "not found" or a benign error). */
  readonly onFailure?: (failure: FailedAttempt) => void;
  /** The error to throw when the failure is not retryable or the retries are spent. */
  readonly giveUp: (failure: FailedAttempt) => Error;
}

const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'TimeoutError',
  'RequestTimeout',
  'InternalError',
  'Unavailable',
  'ServiceUnavailable',
]);

/** Runs AWS calls with bounded, jittered retries. */
export class AwsRetry {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly retryBudgetMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(props: RetryProps = {}) {
    this.maxAttempts = props.maxAttempts ?? AWS_RETRY_DEFAULTS.maxAttempts;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${this.maxAttempts}`);
    }
    this.baseDelayMs = props.baseDelayMs ?? AWS_RETRY_DEFAULTS.baseDelayMs;
    this.maxDelayMs = props.maxDelayMs ?? AWS_RETRY_DEFAULTS.maxDelayMs;
    this.retryBudgetMs = props.retryBudgetMs ?? AWS_RETRY_DEFAULTS.retryBudgetMs;
    this.sleep = props.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = props.random ?? Math.random;
  }

  async call<T>(send: () => Promise<T>, handlers: RetryHandlers): Promise<T> {
    let backoffSpentMs = 0;
    for (let attempt = 1; ; attempt += 1) {
      handlers.beforeAttempt?.();
      try {
        return await send();
      } catch (error) {
        const failure = classify(error, attempt);
        handlers.onFailure?.(failure);
        const delayMs = this.backoffMs(attempt);
        if (!failure.retryable || attempt >= this.maxAttempts || backoffSpentMs + delayMs > this.retryBudgetMs) {
          throw handlers.giveUp(failure);
        }
        backoffSpentMs += delayMs;
        await this.sleep(delayMs);
      }
    }
  }

  /** Full jitter: uniform in [0, min(max, base·2^(attempt-1))). */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }
}

/** Neither `AWS_REGION` nor the shared config file names a region. */
export class MissingRegionError extends Error {
  constructor(options?: { cause?: unknown }) {
    super(
      'no AWS region: set AWS_REGION, or `region` in your profile of the AWS config file ' +
        '(~/.aws/config or AWS_CONFIG_FILE; profile from AWS_PROFILE, else [default])',
      options,
    );
    this.name = 'MissingRegionError';
  }
}

/** An SDK client whose region is resolved at call time. */
interface RegionResolvingClient {
  readonly config: { region: () => Promise<string> };
}

/**
 * The region options of a client built from the standard SDK environment: `AWS_REGION` of an injected `env`, else
 * none, so that the SDK's default provider chain applies (AWS_REGION, then the profile's `region` in the shared
 * config file). Never a hard-coded fallback: a wrong region silently manages somebody else's load balancers.
 */
export function regionOptions(env: NodeJS.ProcessEnv): { region?: string } {
  return env.AWS_REGION ? { region: env.AWS_REGION } : {};
}

/** Makes a client's missing region a {@link MissingRegionError} (the SDK only says "Region is missing"). */
export function explainMissingRegion<C extends RegionResolvingClient>(client: C): C {
  const resolve = client.config.region;
  client.config.region = async () => {
    try {
      return await resolve();
    } catch (error) {
      throw new MissingRegionError({ cause: error });
    }
  };
  return client;
}

function classify(error: unknown, attempt: number): FailedAttempt {
  const code = awsErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const metadata = propertyOf(error, '$metadata');
  const httpStatus = propertyOf(metadata, 'httpStatusCode');
  const status = typeof httpStatus === 'number' ? httpStatus : undefined;
  const throttled = THROTTLING_CODES.has(code) || /rate exceeded/i.test(message) || status === 429;
  const serverFault = propertyOf(error, '$fault') === 'server' || (status !== undefined && status >= 500);
  return { error, code, message, throttled, retryable: throttled || TRANSIENT_CODES.has(code) || serverFault, attempt };
}

/** The AWS error code of an SDK v3 error (or a Node network error's code). */
export function awsErrorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'Unknown';
  const [Code, name, code] = [propertyOf(error, 'Code'), propertyOf(error, 'name'), propertyOf(error, 'code')];
  if (typeof Code === 'string') return Code;
  if (typeof name === 'string' && name !== 'Error') return name;
  if (typeof code === 'string') return code;
  return 'Unknown';
}

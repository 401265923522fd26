/**
 * ELBv2 adapter: the {@link TargetGroupPort} over AWS SDK v3 (DESIGN.md §3.2 rules 5–7).
 *
 * - DescribeTargetHealth once per target group (it is not paginated).
 * - Register/DeregisterTargets in batches, AvailabilityZone passed through (`all` for on-premises IPs).
 * - Throttling and transient failures are retried here with exponential backoff and full jitter, bounded in
 *   attempts and in time. The client this module builds has the SDK's own retries off, so every attempt goes
 *   through this code and is counted (ElbWrites/ElbErrors); an injected client may retry on its own too, which
 *   only multiplies a bounded count by a bounded count.
 * - "Already registered"/"not registered" are the state the caller wanted, so they are not errors.
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  type TargetDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ELBV2_DEFAULTS } from './elbv2-defaults';
import type { ElbTargetState, ObservedTarget, TargetGroupPort, TargetRef } from './ports';

/** An ELBv2 API call failed (after retries, where retrying made sense). */
export class ElbApiError extends Error {
  override readonly name: string = 'ElbApiError';
  constructor(
    /** The API operation, e.g. `RegisterTargets`. */
    readonly operation: string,
    /** The target group the call was about. */
    readonly targetGroupArn: string,
    /** The AWS error code, e.g. `Throttling`, or the error's name for a network failure. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} ${targetGroupArn}: ${code}: ${message}`, options);
  }
}

/** The target group does not exist (deleted, or a wrong ARN in the config). */
export class TargetGroupNotFoundError extends ElbApiError {
  override readonly name = 'TargetGroupNotFoundError';
}

/** Counts of API calls made through one adapter, for the ElbWrites/ElbErrors metrics and the round summary. */
export interface Elbv2CallCounts {
  /** Register/Deregister calls sent (every attempt). */
  readonly writeCalls: number;
  /** DescribeTargetHealth calls sent (every attempt). */
  readonly describeCalls: number;
  /** Calls that returned an error, throttled attempts included, benign "already/not registered" excluded. */
  readonly failedCalls: number;
  /** Of the failed calls, those that were throttled. */
  readonly throttledCalls: number;
}

/** Options of {@link Elbv2TargetGroups}. */
export interface Elbv2TargetGroupsProps {
  /** The SDK client (injected: tests pass a mock, the CLI and the Lambda pass {@link createElbv2Client}). */
  readonly client: ElasticLoadBalancingV2Client;
  /** Targets per Register/Deregister call. @default 20 */
  readonly batchSize?: number;
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

/** Builds an ELBv2 client from the standard SDK environment, with the SDK's retries left to this adapter. */
export function createElbv2Client(env: NodeJS.ProcessEnv = process.env): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? ELBV2_DEFAULTS.region,
    maxAttempts: 1,
  });
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
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'TimeoutError', 'RequestTimeout']);
const ELB_STATES: ReadonlySet<string> = new Set<ElbTargetState>([
  'initial',
  'healthy',
  'unhealthy',
  'unused',
  'draining',
  'unavailable',
  'unhealthy.draining',
]);

type Operation = 'DescribeTargetHealth' | 'RegisterTargets' | 'DeregisterTargets';

/** {@link TargetGroupPort} on ELBv2. One instance per round keeps its counts per round. */
export class Elbv2TargetGroups implements TargetGroupPort {
  private readonly client: ElasticLoadBalancingV2Client;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly retryBudgetMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private counts = { writeCalls: 0, describeCalls: 0, failedCalls: 0, throttledCalls: 0 };

  constructor(props: Elbv2TargetGroupsProps) {
    this.client = props.client;
    this.batchSize = positiveInteger('batchSize', props.batchSize ?? ELBV2_DEFAULTS.batchSize);
    this.maxAttempts = positiveInteger('maxAttempts', props.maxAttempts ?? ELBV2_DEFAULTS.maxAttempts);
    this.baseDelayMs = props.baseDelayMs ?? ELBV2_DEFAULTS.baseDelayMs;
    this.maxDelayMs = props.maxDelayMs ?? ELBV2_DEFAULTS.maxDelayMs;
    this.retryBudgetMs = props.retryBudgetMs ?? ELBV2_DEFAULTS.retryBudgetMs;
    this.sleep = props.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = props.random ?? Math.random;
  }

  /** Calls made so far. */
  get callCounts(): Elbv2CallCounts {
    return { ...this.counts };
  }

  async describeTargets(targetGroupArn: string): Promise<ObservedTarget[]> {
    const output = await this.call('DescribeTargetHealth', targetGroupArn, () =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    const observed: ObservedTarget[] = [];
    for (const description of output.TargetHealthDescriptions ?? []) {
      const id = description.Target?.Id;
      const port = description.Target?.Port;
      if (!id || port === undefined) continue;
      const state = description.TargetHealth?.State;
      observed.push({
        ip: id,
        port,
        // An unknown future state is not something the controller may treat as serving.
        state: state && ELB_STATES.has(state) ? (state as ElbTargetState) : 'unavailable',
        ...(description.TargetHealth?.Reason ? { reason: description.TargetHealth.Reason } : {}),
      });
    }
    return observed;
  }

  async registerTargets(targetGroupArn: string, targets: readonly TargetRef[]): Promise<void> {
    await this.write('RegisterTargets', targetGroupArn, targets);
  }

  async deregisterTargets(targetGroupArn: string, targets: readonly TargetRef[]): Promise<void> {
    await this.write('DeregisterTargets', targetGroupArn, targets);
  }

  private async write(operation: 'RegisterTargets' | 'DeregisterTargets', arn: string, targets: readonly TargetRef[]): Promise<void> {
    for (let start = 0; start < targets.length; start += this.batchSize) {
      const batch = targets.slice(start, start + this.batchSize);
      try {
        await this.sendWrite(operation, arn, batch);
      } catch (err) {
        if (!(err instanceof BenignTargetError)) throw err;
        // ELB rejects the whole call for one such target: retry one by one so the others still happen.
        if (batch.length === 1) continue;
        for (const target of batch) {
          try {
            await this.sendWrite(operation, arn, [target]);
          } catch (single) {
            if (!(single instanceof BenignTargetError)) throw single;
          }
        }
      }
    }
  }

  private async sendWrite(operation: 'RegisterTargets' | 'DeregisterTargets', arn: string, batch: readonly TargetRef[]): Promise<void> {
    const input = { TargetGroupArn: arn, Targets: batch.map(toTargetDescription) };
    await this.call(operation, arn, () =>
      this.client.send(operation === 'RegisterTargets' ? new RegisterTargetsCommand(input) : new DeregisterTargetsCommand(input)),
    );
  }

  private async call<T>(operation: Operation, arn: string, send: () => Promise<T>): Promise<T> {
    let backoffSpentMs = 0;
    for (let attempt = 1; ; attempt += 1) {
      if (operation === 'DescribeTargetHealth') this.counts.describeCalls += 1;
      else this.counts.writeCalls += 1;
      try {
        return await send();
      } catch (err) {
        const code = errorCode(err);
        if (isBenign(operation, code, errorMessage(err))) throw new BenignTargetError();
        this.counts.failedCalls += 1;
        const throttled = isThrottling(code, err);
        if (throttled) this.counts.throttledCalls += 1;
        if (isNotFound(code)) {
          throw new TargetGroupNotFoundError(operation, arn, 'TargetGroupNotFound', errorMessage(err), { cause: err });
        }
        const delayMs = this.backoffMs(attempt);
        const retryable = throttled || isTransient(code, err);
        if (!retryable || attempt >= this.maxAttempts || backoffSpentMs + delayMs > this.retryBudgetMs) {
          throw new ElbApiError(operation, arn, code, errorMessage(err), { cause: err });
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

/** Internal signal: the call failed only because the target already is as wanted. */
class BenignTargetError extends Error {}

function toTargetDescription(target: TargetRef): TargetDescription {
  return {
    Id: target.ip,
    Port: target.port,
    ...(target.availabilityZone ? { AvailabilityZone: target.availabilityZone } : {}),
  };
}

function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'Unknown';
  const e = err as { Code?: unknown; code?: unknown; name?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string') return e.code;
  return 'Unknown';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isNotFound(code: string): boolean {
  return code === 'TargetGroupNotFound' || code === 'TargetGroupNotFoundException';
}

function isThrottling(code: string, err: unknown): boolean {
  if (THROTTLING_CODES.has(code)) return true;
  if (/rate exceeded/i.test(errorMessage(err))) return true;
  const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return meta?.httpStatusCode === 429;
}

function isTransient(code: string, err: unknown): boolean {
  if (NETWORK_ERROR_CODES.has(code)) return true;
  const e = err as { $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return e.$fault === 'server' || (status !== undefined && status >= 500);
}

/**
 * Deregistering a target that is not registered, or registering one that already is, leaves it as wanted.
 * A register InvalidTarget for any other reason (e.g. an IP outside the allowed ranges) is a real error.
 */
function isBenign(operation: Operation, code: string, message: string): boolean {
  if (code !== 'InvalidTarget' && code !== 'InvalidTargetException') return false;
  if (operation === 'DeregisterTargets') return /not registered|not found|does not exist/i.test(message);
  if (operation === 'RegisterTargets') return /already registered/i.test(message);
  return false;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Elbv2TargetGroups: ${name} must be a positive integer, got ${value}`);
  return value;
}

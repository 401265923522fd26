/**
 * ELBv2 adapter: the {@link TargetGroupPort} over AWS SDK v3 (docs/architecture.md#reconcile-rules, rules 5–7).
 *
 * - DescribeTargetHealth once per target group (it is not paginated).
 * - Register/DeregisterTargets in batches, AvailabilityZone passed through (`all` for on-premises IPs).
 * - Throttling and transient failures are retried with exponential backoff and full jitter, bounded in
 *   attempts and in time (aws-retry.ts, shared with the EC2 adapter). The client this module builds has the SDK's own retries off, so every attempt goes
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
import { awsClientConfig, type AwsClientOptions } from './aws-client-config';
import { AwsRetry, explainMissingRegion, type RetryProps } from './aws-retry';
import { ELBV2_DEFAULTS } from './elbv2-defaults';
import type { ElbTargetState, ObservedTarget, TargetGroupPort, TargetRef } from '../reconcile/ports';

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

/** Options of {@link Elbv2TargetGroups}; throttling and transient failures are retried per {@link RetryProps}. */
export interface Elbv2TargetGroupsProps extends RetryProps {
  /** The SDK client (injected: tests pass a mock, the CLI and the Lambda pass {@link createElbv2Client}). */
  readonly client: ElasticLoadBalancingV2Client;
  /** Targets per Register/Deregister call. @default 20 */
  readonly batchSize?: number;
}

/** Builds an ELBv2 client from the standard SDK environment, with the SDK's retries left to this adapter. */
export function createElbv2Client(env: NodeJS.ProcessEnv = process.env, aws: AwsClientOptions = {}): ElasticLoadBalancingV2Client {
  return explainMissingRegion(new ElasticLoadBalancingV2Client({ ...awsClientConfig(aws, env), maxAttempts: 1 }));
}

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
  private readonly retry: AwsRetry;
  private counts = { writeCalls: 0, describeCalls: 0, failedCalls: 0, throttledCalls: 0 };

  constructor(props: Elbv2TargetGroupsProps) {
    this.client = props.client;
    this.batchSize = positiveInteger('batchSize', props.batchSize ?? ELBV2_DEFAULTS.batchSize);
    this.retry = new AwsRetry(props);
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
        state: state && ELB_STATES.has(state) ? (state) : 'unavailable',
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

  private call<T>(operation: Operation, arn: string, send: () => Promise<T>): Promise<T> {
    return this.retry.call(send, {
      beforeAttempt: () => {
        if (operation === 'DescribeTargetHealth') this.counts.describeCalls += 1;
        else this.counts.writeCalls += 1;
      },
      onFailure: (failure) => {
        if (isBenign(operation, failure.code, failure.message)) throw new BenignTargetError();
        this.counts.failedCalls += 1;
        if (failure.throttled) this.counts.throttledCalls += 1;
        if (isNotFound(failure.code)) {
          throw new TargetGroupNotFoundError(operation, arn, 'TargetGroupNotFound', failure.message, { cause: failure.error });
        }
      },
      giveUp: (failure) => new ElbApiError(operation, arn, failure.code, failure.message, { cause: failure.error }),
    });
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



function isNotFound(code: string): boolean {
  return code === 'TargetGroupNotFound' || code === 'TargetGroupNotFoundException';
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

/**
 * EC2 discovery adapter: the {@link InstanceDiscoveryPort} over AWS SDK v3 `DescribeInstances` (docs/architecture.md#discovery).
 *
 * - Filters are server-side: `tag:<key>`, `instance-id`, `vpc-id`, `subnet-id`, `availability-zone` and
 *   `instance-state-name=running`. Instance ids go in the `instance-id` FILTER, never in the `InstanceIds`
 *   parameter: the parameter fails the whole call once one id has been purged, the filter simply omits it.
 * - EC2 ANDs different filters, so a selector with both tags and instance ids is two queries whose answers are
 *   united (an instance qualifies by its tags OR by being listed).
 * - Every page is followed (`NextToken`). Throttling and transient failures are retried with the bounded,
 *   jittered backoff of aws-retry.ts (shared with the ELBv2 adapter); the client this module builds has the
 *   SDK's own retries off so every attempt is counted.
 * - Anything that remains is an {@link Ec2DiscoveryError}: the round then makes no discovery-driven change.
 */
import { DescribeInstancesCommand, EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { awsClientConfig, type AwsClientOptions } from './aws-client-config';
import { AwsRetry, explainMissingRegion, type RetryProps } from './aws-retry';
import { EC2_DISCOVERY_DEFAULTS } from './ec2-discovery-defaults';
import type { InstanceDescription, InstanceDiscoveryPort, InstanceSelector } from '../reconcile/ports';

/** DescribeInstances failed (after retries where retrying made sense). */
export class Ec2DiscoveryError extends Error {
  override readonly name = 'Ec2DiscoveryError';
  constructor(
    /** The AWS error code, e.g. `RequestLimitExceeded` or `UnauthorizedOperation`, or a network error's name. */
    readonly code: string,
    message: string,
    /** Attempts made, the first included. */
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`DescribeInstances: ${code}: ${message}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`, options);
  }
}

/** Counts of DescribeInstances calls made through one adapter. */
export interface Ec2CallCounts {
  /** Every attempt, pages included. */
  readonly describeCalls: number;
  /** Attempts that returned an error. */
  readonly failedCalls: number;
  /** Of the failed attempts, those that were throttled. */
  readonly throttledCalls: number;
}

/** Options of {@link Ec2InstanceDiscovery}; throttling and transient failures are retried per {@link RetryProps}. */
export interface Ec2InstanceDiscoveryProps extends RetryProps {
  /** The SDK client (tests inject a mock; the CLI and the Lambda pass {@link createEc2Client}). */
  readonly client: EC2Client;
  /** MaxResults per page (5–1000). @default 1000 */
  readonly pageSize?: number;
  /** Pages followed per query before giving up (a runaway NextToken loop is an error). @default 100 */
  readonly maxPages?: number;
}

/** Builds an EC2 client from the standard SDK environment (AWS_ENDPOINT_URL_EC2 included), retries left to the adapter. */
export function createEc2Client(env: NodeJS.ProcessEnv = process.env, aws: AwsClientOptions = {}): EC2Client {
  return explainMissingRegion(new EC2Client({ ...awsClientConfig(aws, env), maxAttempts: 1 }));
}


/** The server-side filters of one query (without the instance-id or tag part). */
function scopeFilters(selector: InstanceSelector): Filter[] {
  const filters: Filter[] = [{ Name: 'instance-state-name', Values: ['running'] }];
  if (selector.vpcId !== undefined) filters.push({ Name: 'vpc-id', Values: [selector.vpcId] });
  if (selector.subnetIds?.length) filters.push({ Name: 'subnet-id', Values: [...selector.subnetIds] });
  if (selector.availabilityZones?.length) filters.push({ Name: 'availability-zone', Values: [...selector.availabilityZones] });
  return filters;
}

/** The DescribeInstances filter sets for a selector: one query per way of matching (ids, tags). */
export function discoveryFilters(selector: InstanceSelector): { readonly byId: Filter[] | undefined; readonly byTags: Filter[] | undefined } {
  const scope = scopeFilters(selector);
  const tags = Object.entries(selector.tags ?? {});
  return {
    byId: selector.instanceIds?.length ? [{ Name: 'instance-id', Values: [...selector.instanceIds] }, ...scope] : undefined,
    byTags: tags.length > 0 ? [...tags.map(([key, values]): Filter => ({ Name: `tag:${key}`, Values: [...values] })), ...scope] : undefined,
  };
}

/** {@link InstanceDiscoveryPort} on EC2. */
export class Ec2InstanceDiscovery implements InstanceDiscoveryPort {
  private readonly client: EC2Client;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly retry: AwsRetry;
  private counts = { describeCalls: 0, failedCalls: 0, throttledCalls: 0 };

  constructor(props: Ec2InstanceDiscoveryProps) {
    this.client = props.client;
    this.pageSize = props.pageSize ?? EC2_DISCOVERY_DEFAULTS.pageSize;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 5 || this.pageSize > 1000) {
      throw new RangeError(`Ec2InstanceDiscovery: pageSize must be an integer from 5 to 1000 (DescribeInstances MaxResults), got ${this.pageSize}`);
    }
    this.maxPages = props.maxPages ?? EC2_DISCOVERY_DEFAULTS.maxPages;
    this.retry = new AwsRetry(props);
  }

  /** Calls made so far. */
  get callCounts(): Ec2CallCounts {
    return { ...this.counts };
  }

  async describeInstances(selector: InstanceSelector): Promise<InstanceDescription[]> {
    const { byId, byTags } = discoveryFilters(selector);
    const [listed, tagged] = await Promise.all([byId ? this.query(byId) : [], byTags ? this.query(byTags) : []]);
    const found = new Map<string, InstanceDescription>();
    for (const [instances, matchedById] of [[listed, true], [tagged, false]] as const) {
      for (const instance of instances) {
        const description = describe(instance, matchedById);
        if (description && !found.has(description.instanceId)) found.set(description.instanceId, description);
      }
    }
    return [...found.values()];
  }

  /** Every instance of every page of one filtered query. */
  private async query(filters: Filter[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    let nextToken: string | undefined;
    for (let page = 1; ; page += 1) {
      if (page > this.maxPages) {
        throw new Ec2DiscoveryError('TooManyPages', `more than ${this.maxPages} pages of ${this.pageSize} instances; narrow the selector`, 1);
      }
      const output = await this.send(() =>
        this.client.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: this.pageSize, ...(nextToken ? { NextToken: nextToken } : {}) })),
      );
      for (const reservation of output.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      nextToken = output.NextToken || undefined;
      if (!nextToken) return instances;
    }
  }

  private send<T>(call: () => Promise<T>): Promise<T> {
    return this.retry.call(call, {
      beforeAttempt: () => {
        this.counts.describeCalls += 1;
      },
      onFailure: (failure) => {
        this.counts.failedCalls += 1;
        if (failure.throttled) this.counts.throttledCalls += 1;
      },
      giveUp: (failure) => new Ec2DiscoveryError(failure.code, failure.message, failure.attempt, { cause: failure.error }),
    });
  }
}

function describe(instance: Instance, matchedById: boolean): InstanceDescription | undefined {
  // A running instance always has an id and a private address; anything else cannot become a target.
  if (!instance.InstanceId || !instance.PrivateIpAddress) return undefined;
  const name = instance.Tags?.find((tag) => tag.Key === 'Name')?.Value;
  return {
    instanceId: instance.InstanceId,
    ...(name ? { name } : {}),
    privateIp: instance.PrivateIpAddress,
    ...(instance.Placement?.AvailabilityZone ? { availabilityZone: instance.Placement.AvailabilityZone } : {}),
    matchedById,
  };
}



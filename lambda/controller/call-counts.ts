/**
 * Counting a round's AWS calls for its summary and the ElbWrites/ElbErrors metrics: the adapters' own API
 * attempt counts when they keep them, otherwise the port calls the round makes.
 */
import type { InstanceDiscoveryPort, ObservedTarget, TargetGroupPort, TargetRef } from '../reconcile/ports';

/** ELB API call counts (the adapter's, when it counts API attempts; otherwise the port calls of this round). */
export interface ElbCallSummary {
  readonly describeCalls: number;
  readonly writeCalls: number;
  readonly failedCalls: number;
  readonly throttledCalls: number;
}

/** DescribeInstances call counts of a round (when the discovery adapter counts them). */
export interface Ec2CallSummary {
  readonly describeCalls: number;
  readonly failedCalls: number;
  readonly throttledCalls: number;
}

/** Wraps a port to count its calls when the port itself does not count API attempts. */
export class CountedPort implements TargetGroupPort {
  private counts = { describeCalls: 0, writeCalls: 0, failedCalls: 0, throttledCalls: 0 };
  private readonly baseline: ElbCallSummary | undefined;

  constructor(private readonly inner: TargetGroupPort) {
    this.baseline = countsOf(inner);
  }

  summary(): ElbCallSummary {
    const now = countsOf(this.inner);
    if (now && this.baseline) {
      return {
        describeCalls: now.describeCalls - this.baseline.describeCalls,
        writeCalls: now.writeCalls - this.baseline.writeCalls,
        failedCalls: now.failedCalls - this.baseline.failedCalls,
        throttledCalls: now.throttledCalls - this.baseline.throttledCalls,
      };
    }
    return { ...this.counts };
  }

  async describeTargets(arn: string): Promise<ObservedTarget[]> {
    this.counts.describeCalls += 1;
    return this.track(this.inner.describeTargets(arn));
  }

  async registerTargets(arn: string, targets: readonly TargetRef[]): Promise<void> {
    this.counts.writeCalls += 1;
    return this.track(this.inner.registerTargets(arn, targets));
  }

  async deregisterTargets(arn: string, targets: readonly TargetRef[]): Promise<void> {
    this.counts.writeCalls += 1;
    return this.track(this.inner.deregisterTargets(arn, targets));
  }

  private async track<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (err) {
      this.counts.failedCalls += 1;
      throw err;
    }
  }
}

function countsOf(port: TargetGroupPort): ElbCallSummary | undefined {
  const counts: unknown = Reflect.get(port, 'callCounts');
  return isCallSummary(counts, ['describeCalls', 'writeCalls', 'failedCalls', 'throttledCalls']) ? counts : undefined;
}

export function ec2CountsOf(port: InstanceDiscoveryPort | undefined): Ec2CallSummary | undefined {
  const counts: unknown = port === undefined ? undefined : Reflect.get(port, 'callCounts');
  return isCallSummary(counts, ['describeCalls', 'failedCalls', 'throttledCalls']) ? counts : undefined;
}

export function ec2CallsSince(now: Ec2CallSummary, before: Ec2CallSummary): Ec2CallSummary {
  return {
    describeCalls: now.describeCalls - before.describeCalls,
    failedCalls: now.failedCalls - before.failedCalls,
    throttledCalls: now.throttledCalls - before.throttledCalls,
  };
}

/** Whether an adapter's `callCounts` holds every named count (adapters that count their API attempts have it). */
function isCallSummary<T extends ElbCallSummary | Ec2CallSummary>(value: unknown, fields: readonly (keyof T)[]): value is T {
  return typeof value === 'object' && value !== null && fields.every((field) => typeof Reflect.get(value, field) === 'number');
}

/**
 * Round metrics as CloudWatch EMF (docs/architecture.md#metrics), through @aws-lambda-powertools/metrics.
 *
 * Namespace, names, units and dimension sets are the contract's (contract/metrics.ts); every metric carries exactly
 * its dimensions (Site; Site+Service; Site+Service+Target).
 * Powertools adds a default `service` dimension to everything; it is removed (`clearDefaultDimensions`), not
 * added to, because the alarms match dimension sets exactly. One EMF document is written per dimension set.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type ControllerMetricName, type ControllerMetricUnit, type MetricDimension } from '../../contract/metrics';
import type { ServiceReport } from '../reconcile/reconcile-types';
import type { OverrideSummary } from '../reconcile/scheduled-reconcile';

/** One metric value. */
export interface MetricValue {
  readonly name: ControllerMetricName;
  readonly unit: ControllerMetricUnit;
  readonly value: number;
}

/** Metric values that share one exact dimension set (one EMF document). */
export interface MetricGroup {
  /** In §3.4 order: Site, then Service, then Target. */
  readonly dimensions: Readonly<Partial<Record<MetricDimension, string>>>;
  readonly metrics: readonly MetricValue[];
}

/** What one round contributes to the metrics. */
export interface RoundMetricsInput {
  /** Site name (keeps two stacks apart). */
  readonly site: string;
  /** The reconciler's per-service reports (with pins and the oldest override when the round knew them). */
  readonly services: readonly (ServiceReport & { readonly overrideSummary?: OverrideSummary })[];
  /** Wall time of the round. */
  readonly roundDurationMs: number;
  /** Register/deregister API calls of the round. */
  readonly elbWrites: number;
  /** Failed ELB API calls of the round. */
  readonly elbErrors: number;
}

/**
 * The round's metrics, grouped by dimension set (pure). Counts the reconciler could not know (a service whose
 * target groups could not be described) are left out rather than reported as 0, which would fake an outage.
 */
export function roundMetricGroups(input: RoundMetricsInput): MetricGroup[] {
  const groups: MetricGroup[] = [];
  const site = input.site;
  for (const service of input.services) {
    for (const target of service.targets) {
      if (!target.probe) continue;
      groups.push({
        dimensions: { Site: site, Service: service.name, Target: target.name },
        metrics: [
          { name: 'ProbeSuccess', unit: 'Count', value: target.probe.healthy ? 1 : 0 },
          { name: 'ProbeLatency', unit: 'Milliseconds', value: target.probe.latencyMs },
        ],
      });
    }
    const counts = service.counts;
    const serviceMetrics: MetricValue[] = [
      { name: 'TargetsUp', unit: 'Count', value: counts.targetsUp },
      { name: 'TargetsExpected', unit: 'Count', value: counts.targetsExpected },
    ];
    if (counts.targetsInService !== null) serviceMetrics.push({ name: 'TargetsInService', unit: 'Count', value: counts.targetsInService });
    if (counts.failOpen !== null) serviceMetrics.push({ name: 'FailOpen', unit: 'Count', value: counts.failOpen });
    if (counts.targetsAwaitingHealthy !== null) serviceMetrics.push({ name: 'TargetsAwaitingHealthy', unit: 'Count', value: counts.targetsAwaitingHealthy });
    if (counts.targetsRoutable !== null) serviceMetrics.push({ name: 'TargetsRoutable', unit: 'Count', value: counts.targetsRoutable });
    if (service.overrideSummary !== undefined) {
      // Every round, 0 included: the pinned and old-override alarms must see a pin end or an override cleared.
      serviceMetrics.push({ name: 'PinnedTargets', unit: 'Count', value: service.overrideSummary.pinnedTargets });
      serviceMetrics.push({ name: 'OldestOverrideAgeSeconds', unit: 'Seconds', value: service.overrideSummary.oldestOverride?.ageSeconds ?? 0 });
    }
    groups.push({ dimensions: { Site: site, Service: service.name }, metrics: serviceMetrics });
  }
  groups.push({
    dimensions: { Site: site },
    metrics: [
      { name: 'Heartbeat', unit: 'Count', value: 1 },
      { name: 'RoundDuration', unit: 'Milliseconds', value: input.roundDurationMs },
      { name: 'ElbWrites', unit: 'Count', value: input.elbWrites },
      { name: 'ElbErrors', unit: 'Count', value: input.elbErrors },
    ],
  });
  return groups;
}

/** A Powertools Metrics instance for namespace `Medlb` without the default `service` dimension. */
export function createControllerMetrics(): Metrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  metrics.clearDefaultDimensions();
  return metrics;
}

/** Emits the round's metrics: one EMF document per dimension set, written to stdout by Powertools. */
export function publishRoundMetrics(metrics: Metrics, input: RoundMetricsInput, at: Date = new Date()): void {
  for (const group of roundMetricGroups(input)) {
    metrics.setTimestamp(at);
    for (const [name, value] of Object.entries(group.dimensions)) metrics.addDimension(name, value);
    for (const metric of group.metrics) metrics.addMetric(metric.name, MetricUnit[metric.unit], metric.value);
    metrics.publishStoredMetrics();
  }
}

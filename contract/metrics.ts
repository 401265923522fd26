/**
 * The metrics contract between the controller (which emits them as EMF every round) and the alarms and
 * dashboard (which read them): namespace, names, units and exact dimension sets (docs/architecture.md#metrics).
 * Alarms match dimension sets exactly, so every metric carries exactly the dimensions listed here.
 */

/** CloudWatch namespace of every controller metric. */
export const METRICS_NAMESPACE = 'Medlb';

/** Dimension names, in the order the dimension sets list them. */
export const METRIC_DIMENSIONS = { site: 'Site', service: 'Service', target: 'Target' } as const;
export type MetricDimension = (typeof METRIC_DIMENSIONS)[keyof typeof METRIC_DIMENSIONS];

const SITE = [METRIC_DIMENSIONS.site] as const;
const SERVICE = [METRIC_DIMENSIONS.site, METRIC_DIMENSIONS.service] as const;
const TARGET = [METRIC_DIMENSIONS.site, METRIC_DIMENSIONS.service, METRIC_DIMENSIONS.target] as const;

/** Units the controller's metrics use. */
export type ControllerMetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

/** Every controller metric: its unit and its exact dimension set. */
export const CONTROLLER_METRICS = {
  /** 1 when the target's last probe passed, else 0. */
  ProbeSuccess: { unit: 'Count', dimensions: TARGET },
  /** Duration of the target's last probe. */
  ProbeLatency: { unit: 'Milliseconds', dimensions: TARGET },
  /** Targets up after rise/fall. */
  TargetsUp: { unit: 'Count', dimensions: SERVICE },
  /** Configured targets that are neither weight 0 nor drained/halted by an operator. */
  TargetsExpected: { unit: 'Count', dimensions: SERVICE },
  /** Targets registered (not draining) in the service's target groups after the round, fail-open kept included. */
  TargetsInService: { unit: 'Count', dimensions: SERVICE },
  /** 1 when no target is up and registrations are kept (fail-open). */
  FailOpen: { unit: 'Count', dimensions: SERVICE },
  /** Targets kept registered only because their replacement is not yet `healthy` in ELB (make before break). */
  TargetsAwaitingHealthy: { unit: 'Count', dimensions: SERVICE },
  /** Wanted targets ELB reports `healthy` in every target group of the service: what takes new connections. */
  TargetsRoutable: { unit: 'Count', dimensions: SERVICE },
  /** Targets a `medlb pin` keeps passing this round (an explicit drain or halt outranks a pin: not counted). */
  PinnedTargets: { unit: 'Count', dimensions: SERVICE },
  /** Age of the longest-standing explicit drain, halt or pin of the service, 0 when none (the old-override alarm). */
  OldestOverrideAgeSeconds: { unit: 'Seconds', dimensions: SERVICE },
  /** 1 per completed round. */
  Heartbeat: { unit: 'Count', dimensions: SITE },
  /** Wall time of a round. */
  RoundDuration: { unit: 'Milliseconds', dimensions: SITE },
  /** Register/deregister calls of the round. */
  ElbWrites: { unit: 'Count', dimensions: SITE },
  /** Failed ELB API calls of the round. */
  ElbErrors: { unit: 'Count', dimensions: SITE },
} as const satisfies Record<string, { readonly unit: ControllerMetricUnit; readonly dimensions: readonly MetricDimension[] }>;

export type ControllerMetricName = keyof typeof CONTROLLER_METRICS;

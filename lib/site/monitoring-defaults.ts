/**
 * Every default of the medlb alarms a site file can change, in one place: periods, evaluation windows and
 * thresholds. Plain numbers (no aws-cdk-lib import): the site schema quotes them and the Monitoring construct
 * (lib/constructs) reads them through the parsed settings.
 *
 * Windows are "M of N": an alarm fires when `datapointsToAlarm` of the last `evaluationPeriods` periods breach.
 * The controller reports every `intervalSeconds` (10 s by default), so one 60 s period holds about six rounds.
 */

/** An "M of N" evaluation window. */
export interface AlarmWindowDefaults {
  /** Periods looked at (N). */
  readonly evaluationPeriods: number;
  /** Breaching periods among them that raise the alarm (M). */
  readonly datapointsToAlarm: number;
}

/** Length of one alarm period: CloudWatch's standard resolution, and what ELB and Lambda report at. */
export const DEFAULT_ALARM_PERIOD_SECONDS = 60;
/** Allowed alarm period: whole minutes up to an hour (ELB metrics are per minute; 10/30 s would only see gaps). */
export const ALARM_PERIOD_RANGE_SECONDS = { min: 60, max: 3600 } as const;
/** CloudWatch limit: evaluationPeriods × period may not exceed one day. */
export const MAX_EVALUATION_RANGE_SECONDS = 86_400;
/** Allowed evaluation periods (CloudWatch allows more, but a day of 1-minute periods is already 1440). */
export const EVALUATION_PERIODS_RANGE = { min: 1, max: 1440 } as const;

/** Outage (no server in service): critical, so two minutes — long enough to skip one odd round, short enough to page fast. */
export const DEFAULT_OUTAGE_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 2, datapointsToAlarm: 2 };
/**
 * A make-before-break replacement not healthy in ELB after 5 minutes (AWS: registration and the initial checks can
 * take a few minutes, so less would alarm on ordinary switches): a warning, traffic still flows to the kept server.
 */
export const DEFAULT_REPLACEMENT_NOT_HEALTHY_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 5, datapointsToAlarm: 5 };
/** Redundancy lost (a server down): a warning; a server restarting for a patch should not page within seconds. */
export const DEFAULT_REDUNDANCY_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 3, datapointsToAlarm: 3 };
/** Fail-open (every server fails its probe): critical and already filtered by rise/fall, so the first minute counts. */
export const DEFAULT_FAIL_OPEN_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 1, datapointsToAlarm: 1 };

/** Per real server ProbeSuccess alarms: off by default (the redundancy alarm and `medlb status` already name the server). */
export const DEFAULT_PER_TARGET_ALARMS_ENABLED = false;
/** Per real server: every probe of the minute failed, for this many minutes. */
export const DEFAULT_PER_TARGET_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 3, datapointsToAlarm: 3 };

/** NLB UnHealthyHostCount > 0: the NLB's own TCP check disagrees with the controller for two minutes. */
export const DEFAULT_NLB_UNHEALTHY_HOSTS_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 2, datapointsToAlarm: 2 };
/** NLB UnhealthyRoutingFlowCount > 0: the NLB itself is failing open; any minute of it matters. */
export const DEFAULT_NLB_FAIL_OPEN_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 1, datapointsToAlarm: 1 };
/** NLB PortAllocationErrorCount > 0 (source NAT to on-premises servers out of ports): every refused connection is a lost association. */
export const DEFAULT_NLB_PORT_ALLOCATION_ERRORS_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 1, datapointsToAlarm: 1 };

/** A pin in force (PinnedTargets >= 1): a warning from the first minute, so nobody forgets a check is overruled. */
export const DEFAULT_PINNED_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 1, datapointsToAlarm: 1 };
/** An override in force longer than this many hours raises the old-override alarm: a day, one full shift cycle. */
export const DEFAULT_OLD_OVERRIDE_HOURS = 24;
/** Allowed old-override thresholds: an hour to 30 days. */
export const OLD_OVERRIDE_HOURS_RANGE = { min: 1, max: 720 } as const;
/** Old override: one period over the threshold is enough (the age only grows until someone acts). */
export const DEFAULT_OLD_OVERRIDE_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 1, datapointsToAlarm: 1 };

/** Viewer target 5xx rate (percent of requests) above which the viewer alarm fires. */
export const DEFAULT_ALB_5XX_RATE_PERCENT = 5;
/** Fewer requests than this in a period give no 5xx verdict (one failed request of two is not a 50 % error rate). */
export const DEFAULT_ALB_5XX_MINIMUM_REQUESTS = 10;
/** Viewer 5xx rate: 3 of 5 minutes, so a single burst does not page. */
export const DEFAULT_ALB_5XX_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 5, datapointsToAlarm: 3 };
/** Viewer TargetResponseTime p99 (seconds) above which the latency alarm fires: viewers stream large studies. */
export const DEFAULT_ALB_P99_RESPONSE_TIME_SECONDS = 5;
/** Viewer latency: 3 of 5 minutes. */
export const DEFAULT_ALB_LATENCY_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 5, datapointsToAlarm: 3 };
/** Viewer HealthyHostCount < 1: the ALB's own check sees no healthy server for two minutes. */
export const DEFAULT_ALB_HEALTHY_HOSTS_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 2, datapointsToAlarm: 2 };

/** Controller heartbeat missing: no completed round for three minutes (missing data counts as breaching). */
export const DEFAULT_HEARTBEAT_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 3, datapointsToAlarm: 3 };
/** Controller Lambda errors: an invocation that crashed is worth a look at once. */
export const DEFAULT_CONTROLLER_ERRORS_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 1, datapointsToAlarm: 1 };
/**
 * Controller throttles: sustained only. The post-deploy round can collide once with a scheduled run (reserved
 * concurrency 1) and Lambda retries it; that is not a problem (docs/architecture.md#runtime).
 */
export const DEFAULT_CONTROLLER_THROTTLES_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 5, datapointsToAlarm: 3 };
/** Round duration alarm threshold, as a fraction of the round interval (rounds that nearly overrun it). */
export const DEFAULT_ROUND_DURATION_FRACTION = 0.8;
/** Round duration: 3 of 5 minutes with a slow round. */
export const DEFAULT_ROUND_DURATION_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 5, datapointsToAlarm: 3 };
/** ELB API errors: 2 of 3 minutes (the adapter already retried throttling with backoff). */
export const DEFAULT_ELB_ERRORS_WINDOW: AlarmWindowDefaults = { evaluationPeriods: 3, datapointsToAlarm: 2 };

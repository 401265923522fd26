/**
 * Typed alarm settings of a site (`monitoring` in the site definition): the alarm period, every alarm's
 * "M of N" evaluation window and the thresholds that are a matter of taste. Every field has a default
 * (lib/site/monitoring-defaults.ts), so `monitoring: {}` — or leaving it out — gives sensible alarms.
 * What each alarm means and what to do about it: docs/operating.md.
 */
import { z } from 'zod';
import * as defaults from './monitoring-defaults';

/** An integer within [min, max]; one message for every way of missing it. */
function integerIn(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z.int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

const evaluationPeriodsSchema = integerIn(defaults.EVALUATION_PERIODS_RANGE.min, defaults.EVALUATION_PERIODS_RANGE.max);

/** The two fields of an "M of N" window, defaulted from `window`. */
function windowFields(window: defaults.AlarmWindowDefaults) {
  return {
    /** Periods the alarm looks at (N). */
    evaluationPeriods: evaluationPeriodsSchema
      .default(window.evaluationPeriods)
      .describe(`Periods the alarm looks at (default ${window.evaluationPeriods})`),
    /** Breaching periods among them that raise the alarm (M ≤ N). */
    datapointsToAlarm: evaluationPeriodsSchema
      .default(window.datapointsToAlarm)
      .describe(`Breaching periods among them that raise the alarm, at most evaluationPeriods (default ${window.datapointsToAlarm})`),
  };
}

/** An alarm window, optionally with thresholds of its own; rejects M > N. */
function alarmSchema<Extra extends z.ZodRawShape>(window: defaults.AlarmWindowDefaults, extra: Extra, description: string) {
  const schema = z
    .strictObject({ ...windowFields(window), ...extra })
    .superRefine((settings, ctx) => {
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- windowFields adds both numbers to every alarm schema; TypeScript cannot see them through `Extra`
      const { evaluationPeriods, datapointsToAlarm } = settings as { evaluationPeriods: number; datapointsToAlarm: number };
      if (datapointsToAlarm > evaluationPeriods) {
        ctx.addIssue({
          code: 'custom',
          path: ['datapointsToAlarm'],
          message: `${datapointsToAlarm} is more than evaluationPeriods (${evaluationPeriods}): the alarm could never fire`,
        });
      }
    });
  // Every field has a default, so an empty object is a complete input (TypeScript cannot see that through `Extra`).
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- every field has a default, so {} is a complete input
  return schema.prefault({} as z.input<typeof schema>).describe(description);
}

const percentSchema = z
  .number({ error: 'must be a number' })
  .gt(0, { error: 'must be more than 0 and at most 100' })
  .max(100, { error: 'must be more than 0 and at most 100' });

/** The site's alarm settings. */
export const monitoringSchema = z
  .strictObject({
    /** Length of one alarm period in seconds (whole minutes). @default 60 */
    periodSeconds: integerIn(defaults.ALARM_PERIOD_RANGE_SECONDS.min, defaults.ALARM_PERIOD_RANGE_SECONDS.max)
      .refine((seconds) => seconds % 60 === 0, { error: 'must be a whole number of minutes (60, 120, ...)' })
      .default(defaults.DEFAULT_ALARM_PERIOD_SECONDS)
      .describe(`Alarm period in seconds, whole minutes 60–3600 (default ${defaults.DEFAULT_ALARM_PERIOD_SECONDS})`),
    /** Outage: TargetsRoutable < 1, nothing healthy in ELB takes new connections (critical). @default 2 of 2 */
    outage: alarmSchema(defaults.DEFAULT_OUTAGE_WINDOW, {}, 'Outage alarm (TargetsRoutable < 1), critical'),
    /** A make-before-break replacement not healthy in ELB: TargetsAwaitingHealthy >= 1 (warning). @default 5 of 5 */
    replacementNotHealthy: alarmSchema(
      defaults.DEFAULT_REPLACEMENT_NOT_HEALTHY_WINDOW,
      {},
      'Replacement-not-healthy alarm (TargetsAwaitingHealthy >= 1: a planned switch waits for its replacement), warning',
    ),
    /** Redundancy lost: TargetsUp < TargetsExpected (warning). @default 3 of 3 */
    redundancy: alarmSchema(defaults.DEFAULT_REDUNDANCY_WINDOW, {}, 'Redundancy alarm (TargetsUp < TargetsExpected), warning'),
    /** Fail-open: FailOpen = 1, every server fails its probe (critical). @default 1 of 1 */
    failOpen: alarmSchema(defaults.DEFAULT_FAIL_OPEN_WINDOW, {}, 'Fail-open alarm (FailOpen = 1), critical'),
    /** One alarm per real server on ProbeSuccess (every probe of a period failed). @default off, 3 of 3 */
    perTargetAlarms: alarmSchema(
      defaults.DEFAULT_PER_TARGET_WINDOW,
      {
        /** Create the per real server alarms. @default false */
        enabled: z
          .boolean({ error: 'must be true or false' })
          .default(defaults.DEFAULT_PER_TARGET_ALARMS_ENABLED)
          .describe(`Create one ProbeSuccess alarm per real server (default ${defaults.DEFAULT_PER_TARGET_ALARMS_ENABLED})`),
      },
      'Per real server ProbeSuccess alarms (optional)',
    ),
    /** NLB target group UnHealthyHostCount > 0. @default 2 of 2 */
    nlbUnhealthyHosts: alarmSchema(defaults.DEFAULT_NLB_UNHEALTHY_HOSTS_WINDOW, {}, 'NLB UnHealthyHostCount > 0 per target group'),
    /** NLB UnhealthyRoutingFlowCount > 0 (the NLB fails open). @default 1 of 1 */
    nlbFailOpen: alarmSchema(defaults.DEFAULT_NLB_FAIL_OPEN_WINDOW, {}, 'NLB UnhealthyRoutingFlowCount > 0 (NLB fail-open)'),
    /** NLB PortAllocationErrorCount > 0, for services reaching on-premises servers through source NAT. @default 1 of 1 */
    nlbPortAllocationErrors: alarmSchema(
      defaults.DEFAULT_NLB_PORT_ALLOCATION_ERRORS_WINDOW,
      {},
      'NLB PortAllocationErrorCount > 0 (services with on-premises servers and transparent: false)',
    ),
    /** A `medlb pin` in force: PinnedTargets >= 1 (warning). @default 1 of 1 */
    pinned: alarmSchema(defaults.DEFAULT_PINNED_WINDOW, {}, 'Pinned alarm (PinnedTargets >= 1: a server is kept in service whatever its check says), warning'),
    /** An explicit drain, halt or pin in force too long: OldestOverrideAgeSeconds > thresholdHours (warning). @default 24 h, 1 of 1 */
    oldOverride: alarmSchema(
      defaults.DEFAULT_OLD_OVERRIDE_WINDOW,
      {
        /** Hours an override may stay in force before the alarm fires. @default 24 */
        thresholdHours: integerIn(defaults.OLD_OVERRIDE_HOURS_RANGE.min, defaults.OLD_OVERRIDE_HOURS_RANGE.max)
          .default(defaults.DEFAULT_OLD_OVERRIDE_HOURS)
          .describe(`Hours an explicit drain, halt or pin may stay in force before the alarm fires, 1–720 (default ${defaults.DEFAULT_OLD_OVERRIDE_HOURS})`),
      },
      'Old-override alarm (an explicit drain, halt or pin older than thresholdHours), warning',
    ),
    /** Viewer (ALB) target 5xx rate. @default > 5 % of at least 10 requests, 3 of 5 */
    alb5xxRate: alarmSchema(
      defaults.DEFAULT_ALB_5XX_WINDOW,
      {
        /** 5xx responses from the servers, percent of requests, above which the alarm fires. @default 5 */
        thresholdPercent: percentSchema
          .default(defaults.DEFAULT_ALB_5XX_RATE_PERCENT)
          .describe(`Target 5xx percent of requests that raises the alarm (default ${defaults.DEFAULT_ALB_5XX_RATE_PERCENT})`),
        /** Periods with fewer requests give no verdict. @default 10 */
        minimumRequests: integerIn(1, 1_000_000)
          .default(defaults.DEFAULT_ALB_5XX_MINIMUM_REQUESTS)
          .describe(`Periods with fewer requests give no verdict (default ${defaults.DEFAULT_ALB_5XX_MINIMUM_REQUESTS})`),
      },
      'ALB target 5xx rate alarm',
    ),
    /** Viewer (ALB) TargetResponseTime p99. @default > 5 s, 3 of 5 */
    albResponseTime: alarmSchema(
      defaults.DEFAULT_ALB_LATENCY_WINDOW,
      {
        /** p99 TargetResponseTime in seconds above which the alarm fires. @default 5 */
        p99Seconds: z
          .number({ error: 'must be a number' })
          .gt(0, { error: 'must be more than 0 and at most 3600' })
          .max(3600, { error: 'must be more than 0 and at most 3600' })
          .default(defaults.DEFAULT_ALB_P99_RESPONSE_TIME_SECONDS)
          .describe(`p99 TargetResponseTime in seconds that raises the alarm (default ${defaults.DEFAULT_ALB_P99_RESPONSE_TIME_SECONDS})`),
      },
      'ALB TargetResponseTime p99 alarm',
    ),
    /** Viewer (ALB) HealthyHostCount < 1. @default 2 of 2 */
    albHealthyHosts: alarmSchema(defaults.DEFAULT_ALB_HEALTHY_HOSTS_WINDOW, {}, 'ALB HealthyHostCount < 1'),
    /** Controller heartbeat missing (missing data breaches). @default 3 of 3 */
    heartbeat: alarmSchema(defaults.DEFAULT_HEARTBEAT_WINDOW, {}, 'Controller heartbeat missing'),
    /** Controller Lambda Errors > 0. @default 1 of 1 */
    controllerErrors: alarmSchema(defaults.DEFAULT_CONTROLLER_ERRORS_WINDOW, {}, 'Controller Lambda errors'),
    /** Controller Lambda Throttles > 0, sustained. @default 3 of 5 */
    controllerThrottles: alarmSchema(defaults.DEFAULT_CONTROLLER_THROTTLES_WINDOW, {}, 'Controller Lambda throttles (sustained)'),
    /** RoundDuration (Maximum) near the round interval. @default > 0.8 × interval, 3 of 5 */
    roundDuration: alarmSchema(
      defaults.DEFAULT_ROUND_DURATION_WINDOW,
      {
        /** Fraction of the round interval a round may take before the alarm fires. @default 0.8 */
        fractionOfInterval: z
          .number({ error: 'must be a number' })
          .gt(0, { error: 'must be more than 0 and at most 1' })
          .max(1, { error: 'must be more than 0 and at most 1' })
          .default(defaults.DEFAULT_ROUND_DURATION_FRACTION)
          .describe(`Fraction of the round interval that raises the alarm (default ${defaults.DEFAULT_ROUND_DURATION_FRACTION})`),
      },
      'Controller round duration near the interval',
    ),
    /** ElbErrors > 0 (failed ELB API calls). @default 2 of 3 */
    elbErrors: alarmSchema(defaults.DEFAULT_ELB_ERRORS_WINDOW, {}, 'Controller ELB API errors'),
  })
  .superRefine((settings, ctx) => {
    for (const [name, value] of Object.entries(settings)) {
      if (typeof value !== 'object' || value === null || !('evaluationPeriods' in value)) continue;
      const seconds = value.evaluationPeriods * settings.periodSeconds;
      if (seconds > defaults.MAX_EVALUATION_RANGE_SECONDS) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'evaluationPeriods'],
          message: `${value.evaluationPeriods} periods of ${settings.periodSeconds} s look back ${seconds} s; CloudWatch allows at most one day (86400 s)`,
        });
      }
    }
  })
  .describe('Alarm periods, evaluation windows and thresholds (every field has a default)');

/** Alarm settings as a person writes them (every field optional). */
export type MonitoringSettingsInput = z.input<typeof monitoringSchema>;
/** Alarm settings with every default resolved. */
export type MonitoringSettings = z.output<typeof monitoringSchema>;
/** One resolved "M of N" alarm window. */
export type AlarmWindow = MonitoringSettings['outage'];

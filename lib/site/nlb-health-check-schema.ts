/**
 * A service's NLB health check (`services[].nlbHealthCheck`): the NLB's own TCP check of every target, under the
 * controller's protocol probes. It decides when a newly registered server starts to get connections (after
 * `healthyThresholdCount` passes at `intervalSeconds`), so the controller's make-before-break switch waits for
 * it; and what happens to open connections of a server that fails it (they drain for
 * `unhealthyDrainingIntervalSeconds` instead of being reset). What it costs the real servers: README
 * "NLB health checks". Defaults and AWS ranges: site-defaults.ts.
 */
import { z } from 'zod';
import {
  DEFAULT_NLB_HEALTH_CHECK_SETTINGS,
  NLB_HEALTH_CHECK_INTERVAL_RANGE_SECONDS,
  NLB_HEALTH_CHECK_THRESHOLD_RANGE,
  NLB_HEALTH_CHECK_TIMEOUT_RANGE_SECONDS,
  UNHEALTHY_DRAINING_INTERVAL_RANGE_SECONDS,
} from './site-defaults';

/** An integer within [min, max]; one message for every way of missing it. */
function integerIn(range: { readonly min: number; readonly max: number }, unit = '') {
  const message = `must be an integer from ${range.min} to ${range.max}${unit}`;
  return z.int({ error: message }).min(range.min, { error: message }).max(range.max, { error: message });
}

const defaults = DEFAULT_NLB_HEALTH_CHECK_SETTINGS;

/** The NLB's TCP health check of a service's target groups, and what an unhealthy target's connections do. */
export const nlbHealthCheckSchema = z
  .strictObject({
    /** Seconds between checks (5–300). @default 5 — the fastest AWS allows */
    intervalSeconds: integerIn(NLB_HEALTH_CHECK_INTERVAL_RANGE_SECONDS, ' s')
      .default(defaults.intervalSeconds)
      .describe(`Seconds between the NLB's checks, 5–300 (default ${defaults.intervalSeconds}; 10 halves the checks on the servers)`),
    /** Seconds to wait for the TCP connection (2–120), less than intervalSeconds. @default 4 */
    timeoutSeconds: integerIn(NLB_HEALTH_CHECK_TIMEOUT_RANGE_SECONDS, ' s')
      .default(defaults.timeoutSeconds)
      .describe(`Seconds to wait for the connection, 2–120 and less than intervalSeconds (default ${defaults.timeoutSeconds})`),
    /** Consecutive passes before a target gets connections (2–10). @default 2 */
    healthyThresholdCount: integerIn(NLB_HEALTH_CHECK_THRESHOLD_RANGE)
      .default(defaults.healthyThresholdCount)
      .describe(`Consecutive passes before a new target gets connections, 2–10 (default ${defaults.healthyThresholdCount})`),
    /** Consecutive failures before a target is unhealthy (2–10). @default 3 */
    unhealthyThresholdCount: integerIn(NLB_HEALTH_CHECK_THRESHOLD_RANGE)
      .default(defaults.unhealthyThresholdCount)
      .describe(`Consecutive failures before a target is unhealthy, 2–10 (default ${defaults.unhealthyThresholdCount})`),
    /**
     * How long an unhealthy target keeps its open connections (no new ones) before they are closed (0–360000 s).
     * @default the service's deregistrationDelaySeconds
     */
    unhealthyDrainingIntervalSeconds: integerIn(UNHEALTHY_DRAINING_INTERVAL_RANGE_SECONDS, ' s')
      .optional()
      .describe("Seconds an unhealthy target keeps its open connections, 0–360000 (default: the service's deregistrationDelaySeconds)"),
  })
  .describe("The NLB's own TCP health check of the service's target groups");

/** A problem of a raw `nlbHealthCheck`, its path relative to it. */
interface NlbHealthCheckProblem {
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * The cross-field rule of a raw `nlbHealthCheck` (validate.ts calls it for every service; malformed fields are
 * the schema's and skipped here): CloudFormation rejects a target group whose interval is not greater than its
 * timeout.
 */
export function nlbHealthCheckProblems(raw: unknown): NlbHealthCheckProblem[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const givenTimeout: unknown = Reflect.get(raw, 'timeoutSeconds');
  const givenInterval: unknown = Reflect.get(raw, 'intervalSeconds');
  const timeout = typeof givenTimeout === 'number' ? givenTimeout : defaults.timeoutSeconds;
  const interval = typeof givenInterval === 'number' ? givenInterval : defaults.intervalSeconds;
  if (timeout < interval) return [];
  const intervalText = `${interval} s${givenInterval === undefined ? ', the default' : ''}`;
  return [{
    path: ['timeoutSeconds'],
    message: `${timeout} s is not less than intervalSeconds (${intervalText}): CloudFormation rejects a health check whose interval is not greater than its timeout`,
  }];
}


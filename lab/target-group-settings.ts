/**
 * A TCP target group's settings as ELBv2 holds them: the health check (ModifyTargetGroup) and the attributes
 * (ModifyTargetGroupAttributes), with AWS's defaults and ranges (docs/architecture.md#aws-facts). The lab's data plane
 * reads its delays, intervals, thresholds, stickiness and connection-termination behaviour from here.
 */
import { QueryApiError } from './query-api-server';

/** The NLB's own health check of a TCP target group. */
export interface HealthCheckSettings {
  /** `HealthCheckIntervalSeconds`, 5–300. @default 30 */
  readonly intervalSeconds: number;
  /** `HealthCheckTimeoutSeconds`, 2–120, below the interval. @default 10 */
  readonly timeoutSeconds: number;
  /** `HealthyThresholdCount`, 2–10. @default 5 */
  readonly healthyThresholdCount: number;
  /** `UnhealthyThresholdCount`, 2–10. @default 2 */
  readonly unhealthyThresholdCount: number;
  /** `HealthCheckPort`: a port, or `traffic-port` (the target's own port). @default 'traffic-port' */
  readonly port: number | 'traffic-port';
}

/** AWS's defaults for a TCP target group's health check. */
export const DEFAULT_HEALTH_CHECK: HealthCheckSettings = {
  intervalSeconds: 30,
  timeoutSeconds: 10,
  healthyThresholdCount: 5,
  unhealthyThresholdCount: 2,
  port: 'traffic-port',
};

/** AWS's defaults for the attributes of a TCP target group of type `ip` (values are strings, as in the API). */
export const DEFAULT_TCP_ATTRIBUTES: Readonly<Record<string, string>> = {
  'deregistration_delay.timeout_seconds': '300',
  'deregistration_delay.connection_termination.enabled': 'false',
  'stickiness.enabled': 'false',
  'stickiness.type': 'source_ip',
  'preserve_client_ip.enabled': 'false',
  'proxy_protocol_v2.enabled': 'false',
  'target_health_state.unhealthy.connection_termination.enabled': 'true',
  'target_health_state.unhealthy.draining_interval_seconds': '0',
  'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
};

const BOOLEAN_KEYS = new Set([
  'deregistration_delay.connection_termination.enabled',
  'stickiness.enabled',
  'preserve_client_ip.enabled',
  'proxy_protocol_v2.enabled',
  'target_health_state.unhealthy.connection_termination.enabled',
]);
const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  'deregistration_delay.timeout_seconds': [0, 3600],
  'target_health_state.unhealthy.draining_interval_seconds': [0, 360000],
};

/** What the data plane needs from the attributes, typed. */
export interface DataPlaneAttributes {
  readonly deregistrationDelaySeconds: number;
  readonly terminateAtDeregistration: boolean;
  readonly stickySourceIp: boolean;
  readonly terminateWhenUnhealthy: boolean;
  readonly unhealthyDrainingSeconds: number;
}

/** Reads the typed view of a validated attribute set. */
export function dataPlaneAttributes(attributes: Readonly<Record<string, string>>): DataPlaneAttributes {
  return {
    deregistrationDelaySeconds: Number(attributes['deregistration_delay.timeout_seconds']),
    terminateAtDeregistration: attributes['deregistration_delay.connection_termination.enabled'] === 'true',
    stickySourceIp: attributes['stickiness.enabled'] === 'true',
    terminateWhenUnhealthy: attributes['target_health_state.unhealthy.connection_termination.enabled'] === 'true',
    unhealthyDrainingSeconds: Number(attributes['target_health_state.unhealthy.draining_interval_seconds']),
  };
}

/**
 * The attribute set after applying `changes`, or a ValidationError listing every problem: unknown keys, values
 * out of range, a stickiness type a TCP group cannot have, and a draining interval while unhealthy targets'
 * connections are terminated (AWS allows it only when termination is off).
 */
export function applyAttributes(current: Readonly<Record<string, string>>, changes: Readonly<Record<string, string>>): Record<string, string> {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(changes)) {
    if (!(key in DEFAULT_TCP_ATTRIBUTES)) problems.push(`'${key}' is not a valid attribute key for a TCP target group`);
    else if (BOOLEAN_KEYS.has(key) && value !== 'true' && value !== 'false') problems.push(`${key}: '${value}' must be true or false`);
    else if (INTEGER_RANGES[key] !== undefined) {
      const [min, max] = INTEGER_RANGES[key];
      if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) problems.push(`${key}: '${value}' must be an integer from ${min} to ${max}`);
    } else if (key === 'stickiness.type' && value !== 'source_ip') {
      problems.push(`Stickiness type '${value}' is not supported for target groups with the TCP protocol`);
    }
  }
  const next = { ...current, ...changes };
  if (next['target_health_state.unhealthy.connection_termination.enabled'] === 'true' && next['target_health_state.unhealthy.draining_interval_seconds'] !== '0') {
    problems.push('target_health_state.unhealthy.draining_interval_seconds can only be set when target_health_state.unhealthy.connection_termination.enabled is false');
  }
  if (problems.length > 0) throw new QueryApiError('ValidationError', problems.join('; '));
  return next;
}

/** The health check after applying ModifyTargetGroup's parameters, or a ValidationError listing every problem. */
export function applyHealthCheck(current: HealthCheckSettings, params: Readonly<Record<string, string | undefined>>): HealthCheckSettings {
  const problems: string[] = [];
  const integer = (name: string, min: number, max: number, fallback: number): number => {
    const text = params[name];
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) problems.push(`${name}: '${text}' must be an integer from ${min} to ${max}`);
    return Number(text);
  };
  const portText = params.HealthCheckPort;
  let port = current.port;
  if (portText !== undefined) {
    if (portText === 'traffic-port') port = 'traffic-port';
    else if (/^\d+$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535) port = Number(portText);
    else problems.push(`HealthCheckPort: '${portText}' must be a port from 1 to 65535 or traffic-port`);
  }
  if (params.HealthCheckProtocol !== undefined && params.HealthCheckProtocol !== 'TCP') {
    problems.push(`HealthCheckProtocol: this endpoint models TCP health checks only, not '${params.HealthCheckProtocol}'`);
  }
  const next: HealthCheckSettings = {
    intervalSeconds: integer('HealthCheckIntervalSeconds', 5, 300, current.intervalSeconds),
    timeoutSeconds: integer('HealthCheckTimeoutSeconds', 2, 120, current.timeoutSeconds),
    healthyThresholdCount: integer('HealthyThresholdCount', 2, 10, current.healthyThresholdCount),
    unhealthyThresholdCount: integer('UnhealthyThresholdCount', 2, 10, current.unhealthyThresholdCount),
    port,
  };
  if (problems.length === 0 && next.intervalSeconds <= next.timeoutSeconds) problems.push('Health check interval must be greater than the timeout.');
  if (problems.length > 0) throw new QueryApiError('ValidationError', problems.join('; '));
  return next;
}

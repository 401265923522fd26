/**
 * Every default of the site definition, in one place. The schema (schema.ts) refers to these;
 * the README's appliance → AWS table quotes them. See docs/architecture.md#appliance-mapping.
 * Defaults the runtime shares (check timeout, round interval) are the contract's, named here for the site.
 */
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../../contract/state-table';
import { DEFAULT_CHECK_TIMEOUT_MS } from '../../contract/check';
import { DEFAULT_INTERVAL_SECONDS, DEFAULT_MAX_PIN_HOURS, MAX_PIN_HOURS_LIMIT } from '../../contract/controller-config';

/** Controller round interval within one invocation (the controller config's `intervalSeconds` default). */
export const DEFAULT_CONTROLLER_INTERVAL_SECONDS = DEFAULT_INTERVAL_SECONDS;
/** Bounds of the controller round interval. */
export const CONTROLLER_INTERVAL_RANGE = { min: 5, max: 60 } as const;
/** Longest a `medlb pin` may last (the controller config's `maxPinHours`): 12 h, a night shift. */
export const MAX_PIN_HOURS = DEFAULT_MAX_PIN_HOURS;
/** Bounds of `controller.maxPinHours`: an hour to a week. */
export const MAX_PIN_HOURS_RANGE = { min: 1, max: MAX_PIN_HOURS_LIMIT } as const;

/** Days audit records are kept (table TTL and the append-only copy): 6 years, the usual HIPAA documentation retention. */
export const AUDIT_RETENTION_DAYS = DEFAULT_AUDIT_RETENTION_DAYS;
/** Range of `audit.retentionDays`: CloudWatch Logs keeps at most 3,653 days (10 years) with a fixed retention. */
export const AUDIT_RETENTION_RANGE = { min: 1, max: 3653 } as const;

/** CloudTrail data events of the state table: off unless the site asks (a trail and its storage cost money). */
export const DEFAULT_CLOUDTRAIL_DATA_EVENTS = false;
/** Flow logs of the load balancers' subnets in an existing VPC: off unless the site asks (its owner may log already). */
export const DEFAULT_FLOW_LOGS_ENABLED = false;
/** Days flow logs are kept (CloudWatch Logs keeps them for the next retention it offers at or above). */
export const DEFAULT_FLOW_LOG_RETENTION_DAYS = 365;
/** Range of `flowLogs.retentionDays`. */
export const FLOW_LOG_RETENTION_RANGE = { min: 1, max: 3653 } as const;

/** Whether a service preserves the client IP (appliance: Layer 4 DR/NAT = transparent; SNAT = not). */
export const DEFAULT_TRANSPARENT = false;
/** Proxy protocol v2 is an explicit opt-in: a real server that does not expect it breaks. */
export const DEFAULT_PROXY_PROTOCOL_V2 = false;
/** Guide §6.5: source-IP persistence is used for all protocols. */
export const DEFAULT_PERSISTENCE = 'source-ip' as const;
/** Guide §8.7: client/server timeout 1 h → NLB `tcp.idle_timeout.seconds`. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 3600;
/** NLB `tcp.idle_timeout.seconds` range. */
export const NLB_IDLE_TIMEOUT_RANGE = { min: 60, max: 6000 } as const;
/** Appliance "load balanced" mode. */
export const DEFAULT_MODE = 'balanced' as const;
/** ELB default deregistration delay; open connections may finish within it. */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;
/** ELB `deregistration_delay.timeout_seconds` range. */
export const DEREGISTRATION_DELAY_RANGE = { min: 0, max: 3600 } as const;

/** Guide §6.6: the default check is a TCP connect. */
export const DEFAULT_HEALTH_CHECK_PROTOCOL = 'tcp' as const;
/** The viewer is checked over HTTPS. */
export const DEFAULT_VIEWER_HEALTH_CHECK_PROTOCOL = 'https' as const;
/** Bounds the whole probe, every phase included. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = DEFAULT_CHECK_TIMEOUT_MS;
/** Range of the probe timeout. */
export const HEALTH_CHECK_TIMEOUT_RANGE_MS = { min: 100, max: 60000 } as const;
/** Consecutive passes before a target is up. */
export const DEFAULT_RISE = 2;
/** Consecutive failures before a target is down. */
export const DEFAULT_FALL = 3;
/** Range of rise and fall. */
export const RISE_FALL_RANGE = { min: 1, max: 10 } as const;

/** Real-server weight: 1 = in service; 0 = drained (NLB has no per-target weight). */
export const DEFAULT_WEIGHT = 1;

/** The viewer's fallback page (README: Viewer fallback page): on unless the site turns it off. */
export const DEFAULT_VIEWER_FALLBACK_PAGE_ENABLED = true;
/** The page's text (HTML, at most 1,024 characters: an ALB fixed response's limit). */
export const DEFAULT_VIEWER_FALLBACK_PAGE_BODY =
  '<!doctype html><html><head><title>Image viewer unavailable</title></head><body>' +
  '<h1>The image viewer is unavailable</h1><p>No viewer server is answering. The IT service desk has been alerted; ' +
  'please try again in a few minutes. Urgent images: use the modality console or the PACS workstation.</p></body></html>';

/** The viewer's label when none is given (guide §8.6). */
export const DEFAULT_VIEWER_LABEL = 'HTTPS-Viewer';
/** AWS's current recommended TLS 1.3 + 1.2 restricted policy (docs/architecture.md#aws-facts); never the CloudFormation default. */
export const DEFAULT_VIEWER_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09';
/** ALB target-group health-check path. */
export const DEFAULT_VIEWER_HEALTH_CHECK_PATH = '/';
/** `stickiness.lb_cookie.duration_seconds`: the guide's 1 h persistence. */
export const DEFAULT_VIEWER_COOKIE_STICKINESS_SECONDS = 3600;
/** ALB `stickiness.lb_cookie.duration_seconds` range. */
export const VIEWER_COOKIE_STICKINESS_RANGE = { min: 1, max: 604800 } as const;
/** ALB `idle_timeout.timeout_seconds`: the guide's 1 h. */
export const DEFAULT_VIEWER_IDLE_TIMEOUT_SECONDS = 3600;
/** ALB `idle_timeout.timeout_seconds` range. */
export const ALB_IDLE_TIMEOUT_RANGE = { min: 1, max: 4000 } as const;
/** The viewer's HTTPS listener port. */
export const VIEWER_LISTENER_PORT = 443;
/** The viewer servers' port (guide §8.6.2 "Real Server Port 443"). */
export const DEFAULT_VIEWER_TARGET_PORT = 443;

/** New VPC: Availability Zones used. */
export const DEFAULT_NEW_VPC_MAX_AZS = 2;

/** With cross-zone load balancing on, an NLB holds at most this many targets (a target counts once per target group). */
export const NLB_CROSS_ZONE_TARGET_LIMIT = 500;
/** Listeners per NLB (not adjustable). */
export const NLB_LISTENER_LIMIT = 50;

/**
 * A service's NLB TCP health check (`services[].nlbHealthCheck`): 5 s × 2 is the fastest AWS allows for a new
 * target to get connections (the make-before-break switch waits for it); the timeout stays below the interval;
 * 3 failures mark a target unhealthy (which drains it: lib/constructs/construct-defaults.ts).
 */
export const DEFAULT_NLB_HEALTH_CHECK_SETTINGS = {
  intervalSeconds: 5,
  timeoutSeconds: 4,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 3,
} as const;
/** NLB health-check interval range (`HealthCheckIntervalSeconds`). */
export const NLB_HEALTH_CHECK_INTERVAL_RANGE_SECONDS = { min: 5, max: 300 } as const;
/** NLB health-check timeout range (`HealthCheckTimeoutSeconds`); it must also be less than the interval. */
export const NLB_HEALTH_CHECK_TIMEOUT_RANGE_SECONDS = { min: 2, max: 120 } as const;
/** NLB healthy/unhealthy threshold range. */
export const NLB_HEALTH_CHECK_THRESHOLD_RANGE = { min: 2, max: 10 } as const;
/**
 * Range of `target_health_state.unhealthy.draining_interval_seconds` (ELBv2 API TargetGroupAttribute);
 * it may only be set while unhealthy connection termination is off. Its default is the deregistration delay.
 */
export const UNHEALTHY_DRAINING_INTERVAL_RANGE_SECONDS = { min: 0, max: 360000 } as const;

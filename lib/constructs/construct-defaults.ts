/**
 * Every prescriptive default of the medlb constructs, in one place.
 * Values follow the appliance guide (§8.7: 1 h client/server timeouts, source-IP persistence) and the ELBv2
 * ranges and AWS defaults we deliberately override (docs/architecture.md#appliance-mapping). Where a site file
 * can set the same thing, the value is the site's default (lib/site/site-defaults.ts) in CDK's types.
 */
import { Duration, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_logs as logs } from 'aws-cdk-lib';
import * as site from '../site/site-defaults';

// ---- TCP services (one internal NLB each) -------------------------------------------------------

/** Cross-zone on: a client configured with one VIP address must reach real servers in every AZ. */
export const DEFAULT_CROSS_ZONE_ENABLED = true;
/** Deletion protection on: a deleted NLB loses its static VIPs, which modalities have hard-coded. */
export const DEFAULT_DELETION_PROTECTION = true;
/** NLB listener `tcp.idle_timeout.seconds` (AWS default 350 s); the appliance's 1 h client/server timeout. */
export const DEFAULT_TCP_IDLE_TIMEOUT = Duration.seconds(site.DEFAULT_IDLE_TIMEOUT_SECONDS);
/** Allowed range of `tcp.idle_timeout.seconds` (the site's). */
export const TCP_IDLE_TIMEOUT_RANGE_SECONDS = site.NLB_IDLE_TIMEOUT_RANGE;
/** Target-group deregistration delay: time an open association may finish after drain/halt. */
export const DEFAULT_DEREGISTRATION_DELAY = Duration.seconds(site.DEFAULT_DEREGISTRATION_DELAY_SECONDS);
/** Allowed range of `deregistration_delay.timeout_seconds` (the site's). */
export const DEREGISTRATION_DELAY_RANGE_SECONDS = site.DEREGISTRATION_DELAY_RANGE;
/** Persistence when none is given (the site's: source-IP persistence, as the appliance example everywhere). */
export { DEFAULT_PERSISTENCE } from '../site/site-defaults';

/**
 * The NLB's native TCP health check: a second layer under the controller's protocol probes. A new target gets
 * no connections until it has passed `healthyThresholdCount` checks, so the controller's make-before-break
 * switch waits for it: 5 s × 2 is the fastest AWS allows (interval 5–300 s, thresholds 2–10). The timeout must
 * stay below the interval (CloudFormation rejects a timeout that is not). 3 failures mark a target unhealthy,
 * which now drains it instead of resetting its connections (DEFAULT_UNHEALTHY_CONNECTION_TERMINATION).
 */
export const DEFAULT_NLB_HEALTH_CHECK = {
  interval: Duration.seconds(site.DEFAULT_NLB_HEALTH_CHECK_SETTINGS.intervalSeconds),
  timeout: Duration.seconds(site.DEFAULT_NLB_HEALTH_CHECK_SETTINGS.timeoutSeconds),
  healthyThresholdCount: site.DEFAULT_NLB_HEALTH_CHECK_SETTINGS.healthyThresholdCount,
  unhealthyThresholdCount: site.DEFAULT_NLB_HEALTH_CHECK_SETTINGS.unhealthyThresholdCount,
} as const;
/** The AWS ranges of the NLB health check, as the site file states them. */
export {
  NLB_HEALTH_CHECK_INTERVAL_RANGE_SECONDS,
  NLB_HEALTH_CHECK_THRESHOLD_RANGE,
  NLB_HEALTH_CHECK_TIMEOUT_RANGE_SECONDS,
  UNHEALTHY_DRAINING_INTERVAL_RANGE_SECONDS,
} from '../site/site-defaults';
/**
 * `target_health_state.unhealthy.connection_termination.enabled`: AWS's default `true` resets every open DICOM
 * association and MLLP session of a target the moment it fails the NLB's own TCP check, even a brief failure.
 * `false` moves it to `unhealthy.draining` instead: no new connections, open ones continue for the draining interval.
 */
export const DEFAULT_UNHEALTHY_CONNECTION_TERMINATION = false;

/**
 * Default VPC quota of inbound (and, separately, outbound) rules per security group. More rules fail at
 * deploy time, so the constructs refuse them at synth and ask for aggregated CIDRs instead.
 */
export const SECURITY_GROUP_RULES_PER_DIRECTION = 60;

// ---- HTTPS viewer (internal ALB) ------------------------------------------------------------------

/**
 * The site's default viewer TLS policy (AWS's current recommended TLS 1.3 + 1.2 restricted policy with hybrid
 * post-quantum key exchange) as CDK's enum; never the CloudFormation default (`ELBSecurityPolicy-2016-08`, TLS 1.0).
 */
export const DEFAULT_VIEWER_SSL_POLICY_ENUM = sslPolicyOf(site.DEFAULT_VIEWER_SSL_POLICY);
/** ALB `idle_timeout.timeout_seconds` (AWS default 60 s): long viewer sessions and study downloads. */
export const DEFAULT_VIEWER_IDLE_TIMEOUT = Duration.seconds(site.DEFAULT_VIEWER_IDLE_TIMEOUT_SECONDS);
/** `lb_cookie` stickiness duration: the appliance's 1 h persistence. */
export const DEFAULT_VIEWER_COOKIE_DURATION = Duration.seconds(site.DEFAULT_VIEWER_COOKIE_STICKINESS_SECONDS);
/** HTTP codes that count as healthy for the viewer health check (a login redirect is healthy). */
export const DEFAULT_VIEWER_HEALTHY_HTTP_CODES = '200-399';
/** ALB health check of the viewer servers (the controller's `https` probe is the primary check). */
export const DEFAULT_ALB_HEALTH_CHECK = {
  interval: Duration.seconds(15),
  timeout: Duration.seconds(5),
  healthyThresholdCount: 3,
  unhealthyThresholdCount: 3,
} as const;

// ---- Access logs bucket ---------------------------------------------------------------------------

/** How long ELB access logs are kept before S3 expires them. */
export const DEFAULT_ACCESS_LOG_RETENTION = Duration.days(365);
/** How long a superseded (non-current) log object version is kept; versioning protects against overwrite. */
export const DEFAULT_ACCESS_LOG_NONCURRENT_RETENTION = Duration.days(30);
/** Key prefix of the viewer ALB's access logs in the bucket. */
export const DEFAULT_VIEWER_ACCESS_LOG_PREFIX = 'viewer-alb';

// ---- Site network (new VPC) -----------------------------------------------------------------------

/** Flow-log retention (CloudWatch Logs). */
export const DEFAULT_FLOW_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;
/** Subnet size of each private subnet of a new VPC. */
export const DEFAULT_NEW_VPC_SUBNET_CIDR_MASK = 24;
/**
 * Interface endpoints of a new (isolated) VPC, so the controller reaches the ELB API without a NAT
 * gateway. DynamoDB is reached through a (free) gateway endpoint.
 */
export const DEFAULT_NEW_VPC_INTERFACE_ENDPOINTS: readonly ec2.InterfaceVpcEndpointAwsService[] = [
  ec2.InterfaceVpcEndpointAwsService.ELASTIC_LOAD_BALANCING,
];

/** The CDK enum member whose value is `policy`; a policy CDK does not know is a bug in the defaults. */
function sslPolicyOf(policy: string): elbv2.SslPolicy {
  const known = Object.values(elbv2.SslPolicy).find((value) => String(value) === policy);
  if (known === undefined) throw new Error(`aws-cdk-lib knows no SslPolicy ${policy}`);
  return known;
}

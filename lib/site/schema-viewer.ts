/** The site schema's HTTPS viewer on an internal ALB. */
import { z } from 'zod';
import { FALLBACK_MAX_LENGTH } from '../../contract/viewer-fallback';
import * as defaults from './site-defaults';
import { resourceIdSchema } from './resource-id-schema';
import {
  ACM_CERTIFICATE_ARN_PATTERN,
  integerIn,
  resourceName,
  tcpPortSchema,
  TLS13_POLICY_PATTERN,
  vipListSchema,
} from './schema-common';
import { viewerHealthCheckSchema } from './schema-health-check';
import {
  allowedClientCidrsSchema,
  deregistrationDelaySchema,
  discoverSchema,
  modeSchema,
  realServersSchema,
} from './schema-services';

/** The HTTPS viewer on an internal ALB (guide §8.6). The controller treats it as one more service (check https). */
export const viewerSchema = z
  .strictObject({
    /** Label, unique among services. @default 'HTTPS-Viewer' */
    label: resourceName('the viewer label').default(defaults.DEFAULT_VIEWER_LABEL).describe('Label (default HTTPS-Viewer)'),
    /** Identity of the viewer's AWS resources (logical ids). @default the label */
    id: resourceIdSchema.optional(),
    /** ACM certificate ARN, in the site's region. */
    certificateArn: z
      .string({ error: 'must be a string' })
      .regex(ACM_CERTIFICATE_ARN_PATTERN, { error: 'is not an ACM certificate ARN like arn:aws:acm:eu-west-2:111122223333:certificate/<id>' })
      .describe('ACM certificate ARN in the site region'),
    /** TLS 1.3 security policy (minimum TLS 1.2). @default 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09' */
    sslPolicy: z
      .string({ error: 'must be a string' })
      .regex(TLS13_POLICY_PATTERN, {
        error: `is not a TLS 1.3 policy with TLS 1.2 or 1.3 as its minimum; older policies such as the CloudFormation default ELBSecurityPolicy-2016-08 allow TLS 1.0. Use e.g. ${defaults.DEFAULT_VIEWER_SSL_POLICY}`,
      })
      .default(defaults.DEFAULT_VIEWER_SSL_POLICY)
      .describe(`ELB TLS 1.3 policy (default ${defaults.DEFAULT_VIEWER_SSL_POLICY})`),
    /** ALB target-group health-check path. @default '/' */
    healthCheckPath: z
      .string()
      .regex(/^\/[\x21-\x7e]*$/, { error: 'must start with "/" and contain no spaces' })
      .default(defaults.DEFAULT_VIEWER_HEALTH_CHECK_PATH)
      .describe('ALB health-check path (default /)'),
    /** lb_cookie stickiness duration. @default 3600 */
    cookieStickinessSeconds: integerIn(defaults.VIEWER_COOKIE_STICKINESS_RANGE.min, defaults.VIEWER_COOKIE_STICKINESS_RANGE.max, ' s')
      .default(defaults.DEFAULT_VIEWER_COOKIE_STICKINESS_SECONDS)
      .describe('lb_cookie duration, 1–604800 s (default 3600)'),
    /** ALB idle timeout. @default 3600 */
    idleTimeoutSeconds: integerIn(defaults.ALB_IDLE_TIMEOUT_RANGE.min, defaults.ALB_IDLE_TIMEOUT_RANGE.max, ' s')
      .default(defaults.DEFAULT_VIEWER_IDLE_TIMEOUT_SECONDS)
      .describe('ALB idle timeout, 1–4000 s (default 3600)'),
    /** The viewer servers' HTTPS port. @default 443 */
    targetPort: tcpPortSchema.default(defaults.DEFAULT_VIEWER_TARGET_PORT).describe("Viewer servers' port (default 443)"),
    /** Optional static IP(s) (an NLB in front of the ALB), one per subnet. @default none */
    staticVip: vipListSchema.optional().describe('Optional static IP(s) via an NLB in front of the ALB, one per subnet'),
    /** Overrides the site-wide allowed client CIDRs. @default the site's allowedClientCidrs */
    allowedClientCidrs: allowedClientCidrsSchema.optional().describe("Client CIDRs allowed in (default: the site's)"),
    /** balanced or failover. @default 'balanced' */
    mode: modeSchema.default(defaults.DEFAULT_MODE).describe('balanced or failover (default balanced)'),
    /** Time open connections may finish after a server leaves. @default 300 */
    deregistrationDelaySeconds: deregistrationDelaySchema.default(defaults.DEFAULT_DEREGISTRATION_DELAY_SECONDS).describe('0–3600 s (default 300)'),
    /** Controller probe. @default https on targetPort, path healthCheckPath */
    healthCheck: viewerHealthCheckSchema.prefault({}).describe('Controller probe (default https on targetPort)'),
    /** Viewer servers. @default [] (then `discover` is needed) */
    realServers: realServersSchema.describe('Static viewer servers (may be left out when discover is given)'),
    /** Viewer servers discovered from EC2 every round. @default none */
    discover: discoverSchema.optional(),
    /**
     * The page the viewer listener answers with (HTTP 503) while no viewer server passes its check and none is
     * healthy in ELB, instead of failing open. @default { enabled: true, body: a short HTML notice }
     */
    fallbackPage: z
      .strictObject({
        /** Serve the page in that case. @default true */
        enabled: z.boolean({ error: 'must be true or false' }).default(defaults.DEFAULT_VIEWER_FALLBACK_PAGE_ENABLED).describe('Serve the fallback page (default true)'),
        /** The page (text/html), 1–1,024 characters. @default a short notice */
        body: z
          .string({ error: 'must be a string' })
          .min(1, { error: 'must not be empty' })
          .max(FALLBACK_MAX_LENGTH, { error: `is longer than ${FALLBACK_MAX_LENGTH} characters (an ALB fixed response holds at most ${FALLBACK_MAX_LENGTH})` })
          .default(defaults.DEFAULT_VIEWER_FALLBACK_PAGE_BODY)
          .describe(`The page as text/html, at most ${FALLBACK_MAX_LENGTH} characters`),
      })
      .prefault({})
      .describe('Maintenance page (HTTP 503) served when every viewer server is down'),
  })
  .transform((viewer) => {
    const probesHttp = viewer.healthCheck.protocol === 'http' || viewer.healthCheck.protocol === 'https';
    return {
      ...viewer,
      healthCheck: {
        ...viewer.healthCheck,
        port: viewer.healthCheck.port ?? viewer.targetPort,
        path: viewer.healthCheck.path ?? (probesHttp ? viewer.healthCheckPath : undefined),
      },
    };
  });

/** The site schema's TCP services: real servers, port mappings, EC2 discovery, the service itself. */
import { z } from 'zod';
import { INSTANCE_ID_PATTERN } from '../../contract/check';
import * as defaults from './site-defaults';
import { nlbHealthCheckSchema } from './nlb-health-check-schema';
import { resourceIdSchema } from './resource-id-schema';
import {
  AVAILABILITY_ZONE_PATTERN,
  cidrSchema,
  integerIn,
  ipv4AddressSchema,
  resourceName,
  serverNameSchema,
  tcpPortSchema,
  vipListSchema,
} from './schema-common';
import { healthCheckSchema } from './schema-health-check';

// ---------------------------------------------------------------------------------------------------------
// Real servers and services
// ---------------------------------------------------------------------------------------------------------

/** A real server (appliance "RIP"). Its port is the service's ports[].targetPort unless it has its own (single-port services). */
export const realServerSchema = z.strictObject({
  /** Label, unique in the service (appliance "Label"), e.g. DICOM1. */
  label: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be 1–64 letters, digits, ".", "_" or "-"' })
    .describe('Label, unique in the service, e.g. DICOM1'),
  /** Real server IP address. */
  ip: ipv4AddressSchema.describe('Real server IP address'),
  /** 1 = in service, 0 = drained. NLB has no per-target weight: non-zero weights must be equal. @default 1 */
  weight: integerIn(0, 65535).default(defaults.DEFAULT_WEIGHT).describe('1 = in service, 0 = drained; non-zero weights must be equal (default 1)'),
  /** On-premises (outside the VPC). @default inferred: true when the IP is outside the VPC CIDR */
  onPremises: z.boolean().optional().describe('Outside the VPC (default: inferred from the VPC CIDR)'),
  /** TLS checks: the name this server's certificate holds, instead of the check's serverName. @default the check's */
  serverName: serverNameSchema.optional(),
  /**
   * The port this server listens on when it is not the service's (appliance "real server port"): registered and
   * checked there. Single-port TCP services only. @default the service's ports[0].targetPort
   */
  port: tcpPortSchema.optional().describe("This server's own port (single-port services; default: the service's targetPort)"),
});

/** One listener port and the real servers' port behind it. */
const portMappingSchema = z
  .strictObject({
    /** Listener port on the VIP (appliance "Ports"). */
    port: tcpPortSchema.describe('Listener port on the VIP'),
    /** Port on the real servers. @default port */
    targetPort: tcpPortSchema.optional().describe('Port on the real servers (default: port)'),
  })
  .transform((mapping) => ({ port: mapping.port, targetPort: mapping.targetPort ?? mapping.port }));

const NEVER_MATCHES = 'must not be empty: a selector that can never match';

/**
 * Real servers discovered from EC2 every round (docs/architecture.md#discovery), alongside the static ones: running instances
 * in the site's VPC that carry the tags (every key, any of its values) or are listed by id. Each becomes a
 * target at its private IP, named by its Name tag.
 */
export const discoverSchema = z
  .strictObject({
    /** Tag key → accepted values, e.g. { Role: ['pacs-dicom'] }; every key must match, any of its values. */
    tags: z
      .record(
        z.string().min(1, { error: 'tag keys must not be empty' }).max(128, { error: 'tag keys are at most 128 characters' }),
        z.array(z.string().max(256, { error: 'tag values are at most 256 characters' })).min(1, { error: NEVER_MATCHES }),
      )
      .refine((tags) => Object.keys(tags).length > 0, { error: 'needs at least one tag key: a selector that can never match' })
      .optional()
      .describe('Tag key → accepted values; every key must match, any of its values'),
    /** Instances by id (a terminated one simply drops out). */
    instanceIds: z
      .array(z.string().regex(INSTANCE_ID_PATTERN, { error: 'is not an EC2 instance id like i-0123456789abcdef0' }))
      .min(1, { error: NEVER_MATCHES })
      .optional()
      .describe('EC2 instance ids'),
    /** Only instances in these subnets (existing VPC: listed subnets). @default every subnet of the VPC */
    subnetIds: z
      .array(z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'is not a subnet id like subnet-0123456789abcdef0' }))
      .min(1, { error: NEVER_MATCHES })
      .optional()
      .describe('Only instances in these subnets (default: the whole VPC)'),
    /** Only instances in these Availability Zones. @default every zone */
    availabilityZones: z
      .array(z.string().regex(AVAILABILITY_ZONE_PATTERN, { error: 'is not an Availability Zone name like eu-west-2a' }))
      .min(1, { error: NEVER_MATCHES })
      .optional()
      .describe('Only instances in these Availability Zones (default: all)'),
  })
  .superRefine((discover, ctx) => {
    if (discover.tags === undefined && discover.instanceIds === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give tags or instanceIds (or both): without them nothing is selected' });
    }
  })
  .describe('EC2 instances resolved every round: by tags and/or instance ids');

/** The first port of a service; `ports` is validated to have at least one before the transform runs. */
function firstPortOf<T>(ports: readonly T[]): T {
  const [first] = ports;
  if (first === undefined) throw new Error('a service without ports reached the transform: .min(1) must reject it first');
  return first;
}

export const modeSchema = z.enum(['balanced', 'failover'], { error: 'must be balanced or failover' });
/** Static real servers; may be empty (or left out) when `discover` is given: validate.ts checks that. */
export const realServersSchema = z.array(realServerSchema).default([]);
export const deregistrationDelaySchema = integerIn(defaults.DEREGISTRATION_DELAY_RANGE.min, defaults.DEREGISTRATION_DELAY_RANGE.max, ' s');
export const allowedClientCidrsSchema = z.array(cidrSchema).min(1, { error: 'needs at least one CIDR' });

/** A TCP virtual service on its own internal NLB (appliance "Virtual Service"). */
export const serviceSchema = z
  .strictObject({
    /** The appliance's label, e.g. DICOM-Modalities; unique in the site. */
    label: resourceName('a service label').describe('Service label, e.g. DICOM-Modalities (letters, digits, "-"; unique)'),
    /** Identity of the service's AWS resources (logical ids). @default the label */
    id: resourceIdSchema.optional(),
    /** Listener ports, each with an optional real-server port. */
    ports: z
      .array(portMappingSchema)
      .min(1, { error: 'needs at least one port' })
      .max(defaults.NLB_LISTENER_LIMIT, { error: `at most ${defaults.NLB_LISTENER_LIMIT} ports (listeners per NLB)` })
      .describe('Listener ports; targetPort defaults to port'),
    /**
     * Static private IPs, one per subnet; the guide's IP is the first. The NLB spans only the subnets that hold
     * a VIP, so give one per subnet to use every Availability Zone.
     */
    vip: vipListSchema.describe('Static private IP(s), one per subnet; the NLB spans only the subnets holding a VIP'),
    /** Preserve the client IP (appliance Layer 4 DR/NAT). @default false */
    transparent: z.boolean().default(defaults.DEFAULT_TRANSPARENT).describe('Preserve the client IP (default false)'),
    /** Prepend a proxy protocol v2 header (explicit opt-in). @default false */
    proxyProtocolV2: z.boolean().default(defaults.DEFAULT_PROXY_PROTOCOL_V2).describe('Proxy protocol v2 header (default false)'),
    /** Source-IP affinity (no duration on AWS) or none. @default 'source-ip' */
    persistence: z.enum(['source-ip', 'none'], { error: 'must be source-ip or none' }).default(defaults.DEFAULT_PERSISTENCE).describe('source-ip or none (default source-ip)'),
    /** NLB listener idle timeout. @default 3600 */
    idleTimeoutSeconds: integerIn(defaults.NLB_IDLE_TIMEOUT_RANGE.min, defaults.NLB_IDLE_TIMEOUT_RANGE.max, ' s')
      .default(defaults.DEFAULT_IDLE_TIMEOUT_SECONDS)
      .describe('NLB idle timeout, 60–6000 s (default 3600)'),
    /** balanced: every healthy server; failover: the first healthy one. @default 'balanced' */
    mode: modeSchema.default(defaults.DEFAULT_MODE).describe('balanced or failover (default balanced)'),
    /**
     * failover only: `automatic` returns to the first server as soon as it is up again; `manual` stays on the
     * standby until `medlb failback <service>` (many HL7 teams fail back by hand, at a quiet time). @default 'automatic'
     */
    failback: z
      .enum(['automatic', 'manual'], { error: 'must be automatic or manual' })
      .optional()
      .describe('failover only: automatic (default) or manual (stay on the standby until `medlb failback`)'),
    /** Time open connections may finish after a server leaves. @default 300 */
    deregistrationDelaySeconds: deregistrationDelaySchema.default(defaults.DEFAULT_DEREGISTRATION_DELAY_SECONDS).describe('0–3600 s (default 300)'),
    /** Overrides the site-wide allowed client CIDRs. @default the site's allowedClientCidrs */
    allowedClientCidrs: allowedClientCidrsSchema.optional().describe("Client CIDRs allowed in (default: the site's)"),
    /** Controller probe. @default a tcp connect to the first port's targetPort */
    healthCheck: healthCheckSchema.prefault({}).describe('Controller probe (default tcp on the first targetPort)'),
    /** The NLB's own TCP check and what a target failing it does to open connections. @default 5 s × 2, drain */
    nlbHealthCheck: nlbHealthCheckSchema.prefault({}),
    /** Real servers (appliance "RIPs"). @default [] (then `discover` is needed) */
    realServers: realServersSchema.describe('Static real servers (may be left out when discover is given)'),
    /** Real servers discovered from EC2 every round. @default none */
    discover: discoverSchema.optional(),
  })
  .transform((service) => ({
    ...service,
    healthCheck: { ...service.healthCheck, port: service.healthCheck.port ?? firstPortOf(service.ports).targetPort },
  }));

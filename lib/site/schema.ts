/**
 * The site definition: what an imaging administrator used to click into the appliance (guide §6, §8),
 * as a typed zod schema. `SiteInput` is what a person writes (optional fields allowed); `Site` is the
 * same with every default resolved. The meaning of each field on AWS is the README's appliance table (docs/architecture.md#appliance-mapping).
 *
 * Field-local rules live here (formats, ranges, required fields); rules that relate fields to each other
 * (VIPs in subnets, collisions, weights, transparency vs. on-premises servers...) live in validate.ts,
 * so that both kinds are collected and reported together by parseSite (load.ts).
 *
 * Appliance settings that AWS does not offer (real-server min/max connections, a real-server port of its
 * own, a persistence timeout) are deliberately NOT part of the types: the editor flags them, and
 * parseSite explains why each one is refused (see REJECTED_SETTINGS).
 */
import { z } from 'zod';
import {
  AE_TITLE_RULE,
  caCertificatesProblem,
  HL7_ACK_CODES,
  INSTANCE_ID_PATTERN,
  isAeTitle,
  messageTypeProblem,
  PROBE_PROTOCOLS,
  XDS_TRANSACTIONS,
} from '../../contract/check';
import { cidrProblem, cidrContains, isIpv4, parseCidr } from './ipv4';
import * as defaults from './site-defaults';
import { monitoringSchema } from './monitoring-schema';
import { nlbHealthCheckSchema } from './nlb-health-check-schema';
import { resourceIdSchema } from './resource-id-schema';

// ---------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------

/** An integer within [min, max]; one message for every way of missing it. */
function integerIn(min: number, max: number, unit = '') {
  const message = `must be an integer from ${min} to ${max}${unit}`;
  return z.int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

const NAME_PATTERN = /^[A-Za-z0-9-]+$/;

/** A name used in AWS resource names and metric dimensions. */
function resourceName(what: string) {
  return z
    .string({ error: `${what} must be a string` })
    .min(1, { error: `${what} must not be empty`, abort: true })
    .max(32, { error: `${what} must be at most 32 characters`, abort: true })
    .regex(NAME_PATTERN, { error: `${what} may contain only letters, digits and "-"` });
}

/** A strict dotted-quad IPv4 address. */
export const ipv4AddressSchema = z
  .string({ error: 'must be an IPv4 address string' })
  .refine(isIpv4, { error: 'is not an IPv4 address like 10.12.1.100' })
  .describe('IPv4 address, dotted quad');

/** An IPv4 CIDR block whose host bits are zero. */
export const cidrSchema = z
  .string({ error: 'must be a CIDR block string' })
  .superRefine((text, ctx) => {
    const problem = cidrProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('IPv4 CIDR block, e.g. 10.12.0.0/16');

/** A VPC or subnet CIDR: AWS allows prefix lengths /16 to /28. */
const vpcCidrSchema = cidrSchema.refine((text) => {
  const cidr = parseCidr(text);
  return cidr === undefined || (cidr.prefixLength >= 16 && cidr.prefixLength <= 28);
}, { error: 'must have a prefix length from /16 to /28 (AWS VPC and subnet limits)' });

const tcpPortSchema = integerIn(1, 65535);

/** One address or a list (one per subnet); always a list once parsed. */
const vipListSchema = z
  .union([ipv4AddressSchema, z.array(ipv4AddressSchema).min(1, { error: 'needs at least one address' })])
  .transform((value) => (typeof value === 'string' ? [value] : value));

/** AWS region name, e.g. eu-west-2. */
export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const AVAILABILITY_ZONE_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}[a-z]$/;
/** ACM certificate ARN; group 1 = region, group 2 = account. */
export const ACM_CERTIFICATE_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:acm:([a-z0-9-]+):(\d{12}):certificate\/[A-Za-z0-9-]+$/;
/** SNS topic ARN; group 1 = region, group 2 = account. */
export const SNS_TOPIC_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;
/** ELB security policies that offer TLS 1.3 and accept nothing older than TLS 1.2. */
export const TLS13_POLICY_PATTERN = /^ELBSecurityPolicy-TLS13-1-[23]-[A-Za-z0-9-]+$/;

/**
 * DICOM AE title (PS3.5 AE value representation): 1–16 characters, printable ASCII (space included),
 * no backslash, not only spaces (leading/trailing spaces are not significant).
 */
export const aeTitleSchema = z
  .string({ error: 'must be a string' })
  .refine(isAeTitle, { error: `is not a DICOM AE title: ${AE_TITLE_RULE}` })
  .describe(`DICOM AE title: ${AE_TITLE_RULE}`);

// ---------------------------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------------------------

/** A subnet of an existing VPC, given by attributes (no context lookups: synth stays offline). */
export const subnetSchema = z.strictObject({
  /** Subnet id, e.g. subnet-0123456789abcdef0. */
  subnetId: z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'is not a subnet id like subnet-0123456789abcdef0' }).describe('Subnet id'),
  /** Availability Zone of the subnet, e.g. eu-west-2a. */
  availabilityZone: z.string().regex(AVAILABILITY_ZONE_PATTERN, { error: 'is not an Availability Zone name like eu-west-2a' }).describe('Availability Zone, e.g. eu-west-2a'),
  /** The subnet's CIDR block (inside the VPC CIDR). */
  cidr: vpcCidrSchema.describe("The subnet's CIDR block, inside the VPC CIDR"),
  /** Route table id, when the stack needs it (e.g. for gateway endpoints). */
  routeTableId: z.string().regex(/^rtb-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'is not a route table id like rtb-0123456789abcdef0' }).optional().describe('Route table id (optional)'),
});

/** An existing VPC imported by attributes. */
export const existingVpcSchema = z.strictObject({
  /** VPC id, e.g. vpc-0123456789abcdef0. */
  vpcId: z.string().regex(/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'is not a VPC id like vpc-0123456789abcdef0' }).describe('VPC id'),
  /** The VPC's (primary) CIDR block; an IP outside it is on-premises. */
  cidr: vpcCidrSchema.describe("The VPC's CIDR block; real servers outside it are on-premises"),
  /** Subnets the load balancers may use; VIPs must lie in them (one VIP per subnet). */
  subnets: z.array(subnetSchema).min(1, { error: 'needs at least one subnet' }).describe('Subnets for the load balancers; VIPs must lie in them'),
});

/** A new VPC created by the stack. */
export const newVpcSchema = z.strictObject({
  /** CIDR of the new VPC. */
  cidr: vpcCidrSchema.describe('CIDR block of the new VPC'),
  /** Number of Availability Zones to span. @default 2 */
  maxAzs: integerIn(1, 6).default(defaults.DEFAULT_NEW_VPC_MAX_AZS).describe('Availability Zones to span (default 2)'),
});

type ExistingVpcDefinitionShape = z.output<typeof existingVpcSchema>;
type NewVpcDefinitionShape = z.output<typeof newVpcSchema>;

/** Network: exactly one of `existingVpc` or `newVpc`. */
export const networkSchema = z
  .strictObject({
    /** Import an existing VPC by attributes. */
    existingVpc: existingVpcSchema.optional().describe('Import an existing VPC by attributes (no lookups)'),
    /** Create a new VPC. */
    newVpc: newVpcSchema.optional().describe('Create a new VPC'),
  })
  .superRefine((network, ctx) => {
    const given = [network.existingVpc, network.newVpc].filter((part) => part !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: given === 0 ? 'give either existingVpc or newVpc' : 'give either existingVpc or newVpc, not both',
      });
    }
  })
  .transform(
    (network): { existingVpc: ExistingVpcDefinitionShape; newVpc?: undefined } | { newVpc: NewVpcDefinitionShape; existingVpc?: undefined } =>
      network.existingVpc ? { existingVpc: network.existingVpc } : { newVpc: network.newVpc! },
  )
  .describe('Exactly one of existingVpc or newVpc');

// ---------------------------------------------------------------------------------------------------------
// Health checks (the controller's protocol probes; docs/architecture.md#controller-config)
// ---------------------------------------------------------------------------------------------------------

function healthCheckSchemaWith(defaultProtocol: (typeof PROBE_PROTOCOLS)[number]) {
  return z.strictObject({
    /** Probe protocol. @default 'tcp' (viewer: 'https') */
    protocol: z.enum(PROBE_PROTOCOLS, { error: `must be one of ${PROBE_PROTOCOLS.join(', ')}` }).default(defaultProtocol).describe(`Probe protocol (default ${defaultProtocol})`),
    /** Port probed on each real server. @default the first port's targetPort */
    port: tcpPortSchema.optional().describe("Port probed on each real server (default: the first port's targetPort)"),
    /** Bounds the whole probe. @default 3000 */
    timeoutMs: integerIn(defaults.HEALTH_CHECK_TIMEOUT_RANGE_MS.min, defaults.HEALTH_CHECK_TIMEOUT_RANGE_MS.max, ' ms')
      .default(defaults.DEFAULT_HEALTH_CHECK_TIMEOUT_MS)
      .describe('Bounds the whole probe, in ms (default 3000)'),
    /** Consecutive passes before a server is up. @default 2 */
    rise: integerIn(defaults.RISE_FALL_RANGE.min, defaults.RISE_FALL_RANGE.max).default(defaults.DEFAULT_RISE).describe('Consecutive passes before up (default 2)'),
    /** Consecutive failures before a server is down. @default 3 */
    fall: integerIn(defaults.RISE_FALL_RANGE.min, defaults.RISE_FALL_RANGE.max).default(defaults.DEFAULT_FALL).describe('Consecutive failures before down (default 3)'),
    /** Wrap tcp/dicom/hl7/xds in TLS. @default false */
    tls: z.boolean().optional().describe('Wrap tcp/dicom/hl7/xds in TLS'),
    /** Skip certificate verification (TLS or https only). @default false */
    insecure: z.boolean().optional().describe('Skip certificate verification (TLS or https only)'),
    /**
     * PEM certificates of the CAs that sign the real servers' certificates (a hospital's internal PKI, or a pinned
     * self-signed certificate), trusted instead of the public CAs (TLS or https only). @default the public CAs
     */
    caCertificates: z
      .string({ error: 'must be PEM text' })
      .refine((pem) => caCertificatesProblem(pem) === undefined, { error: (issue) => caCertificatesProblem(String(issue.input)) })
      .optional()
      .describe("PEM CA certificates trusted for the servers' certificates (TLS or https only)"),
    /** dicom: our AE title. @default the probe's default ("MEDLB") */
    callingAeTitle: aeTitleSchema.optional().describe('dicom: calling AE title'),
    /** dicom: the server's AE title. @default the probe's default */
    calledAeTitle: aeTitleSchema.optional().describe('dicom: called AE title'),
    /** hl7: message type sent, e.g. "QRY^A19". @default the probe's default */
    messageType: z
      .string()
      .refine((type) => messageTypeProblem(type) === undefined, { error: 'is not an HL7 message type with a trigger event, like ADT^A01 or QRY^A19' })
      .optional()
      .describe('hl7: message type, e.g. QRY^A19'),
    /** hl7: MSA-1 codes counted as healthy. @default ["AA","CA"] */
    acceptCodes: z.array(z.enum(HL7_ACK_CODES, { error: `must be one of ${HL7_ACK_CODES.join(', ')}` })).min(1, { error: 'needs at least one code' }).optional().describe('hl7: accepted MSA-1 codes (default AA, CA)'),
    /** xds: registry (ITI-18) or repository (ITI-43). @default 'registry' */
    transaction: z.enum(XDS_TRANSACTIONS, { error: 'must be registry or repository' }).optional().describe('xds: registry (ITI-18) or repository (ITI-43)'),
    /** xds/http/https: request path, e.g. /. */
    path: z.string().regex(/^\/[\x21-\x7e]*$/, { error: 'must start with "/" and contain no spaces' }).optional().describe('xds/http/https: request path'),
    /** http/https: substring the body must contain. */
    expect: z.string().min(1, { error: 'must not be empty' }).optional().describe('http/https: expected substring of the body'),
    /** xds registry: sentinel patient id for the stored query. */
    patientId: z.string().min(1, { error: 'must not be empty' }).optional().describe('xds registry: sentinel patient id'),
    /** xds repository: sentinel document unique id. */
    documentUniqueId: z.string().min(1, { error: 'must not be empty' }).optional().describe('xds repository: sentinel document unique id'),
    /** xds repository: repository unique id. */
    repositoryUniqueId: z.string().min(1, { error: 'must not be empty' }).optional().describe('xds repository: repository unique id'),
  });
}

/** A service's health check (controller probe); protocol defaults to tcp. */
export const healthCheckSchema = healthCheckSchemaWith(defaults.DEFAULT_HEALTH_CHECK_PROTOCOL);
/** The viewer's health check; protocol defaults to https. */
export const viewerHealthCheckSchema = healthCheckSchemaWith(defaults.DEFAULT_VIEWER_HEALTH_CHECK_PROTOCOL);

// ---------------------------------------------------------------------------------------------------------
// Real servers and services
// ---------------------------------------------------------------------------------------------------------

/** A real server (appliance "RIP"). Its port comes from the service's ports[].targetPort. */
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
});

/** One listener port and the real servers' port behind it. */
export const portMappingSchema = z
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

const modeSchema = z.enum(['balanced', 'failover'], { error: 'must be balanced or failover' });
/** Static real servers; may be empty (or left out) when `discover` is given: validate.ts checks that. */
const realServersSchema = z.array(realServerSchema).default([]);
const deregistrationDelaySchema = integerIn(defaults.DEREGISTRATION_DELAY_RANGE.min, defaults.DEREGISTRATION_DELAY_RANGE.max, ' s');
const allowedClientCidrsSchema = z.array(cidrSchema).min(1, { error: 'needs at least one CIDR' });

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
    healthCheck: { ...service.healthCheck, port: service.healthCheck.port ?? service.ports[0].targetPort },
  }));

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

// ---------------------------------------------------------------------------------------------------------
// Site
// ---------------------------------------------------------------------------------------------------------

/** Where the stack is deployed. */
export const environmentSchema = z.strictObject({
  /** AWS account id (12 digits). @default the CLI's account */
  account: z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id' }).optional().describe('AWS account id (optional)'),
  /** AWS region, e.g. eu-west-2 (ALB access logs need one). */
  region: z.string({ error: 'is required (e.g. eu-west-2)' }).regex(REGION_PATTERN, { error: 'is not an AWS region like eu-west-2' }).describe('AWS region, e.g. eu-west-2'),
});

/** Site-wide controller settings. */
export const controllerSchema = z.strictObject({
  /** Seconds between rounds inside one controller invocation. @default 10 */
  intervalSeconds: integerIn(defaults.CONTROLLER_INTERVAL_RANGE.min, defaults.CONTROLLER_INTERVAL_RANGE.max, ' s')
    .default(defaults.DEFAULT_CONTROLLER_INTERVAL_SECONDS)
    .describe('Seconds between controller rounds, 5–60 (default 10)'),
  /**
   * How the controller (in the VPC) reaches the ELBv2, EC2 and DynamoDB APIs: `create-endpoints` (medlb creates
   * interface endpoints and a DynamoDB gateway endpoint; an existing VPC must give every subnet's routeTableId),
   * `existing-endpoints` (the VPC already has them, with private DNS) or `nat` (a NAT gateway routes them).
   * @default 'create-endpoints'
   */
  awsApiAccess: z
    .enum(['create-endpoints', 'existing-endpoints', 'nat'], { error: 'must be create-endpoints, existing-endpoints or nat' })
    .default('create-endpoints')
    .describe('How the controller reaches AWS APIs: create-endpoints (default), existing-endpoints or nat'),
});

/** Who hears about alarms. */
export const notificationsSchema = z.strictObject({
  /** E-mail addresses subscribed to the alarm topic. @default [] */
  emails: z.array(z.email({ error: 'is not an e-mail address' })).default([]).describe('E-mail addresses for alarms'),
  /** Use this SNS topic instead of creating one. @default a new topic */
  existingTopicArn: z
    .string()
    .regex(SNS_TOPIC_ARN_PATTERN, { error: 'is not an SNS topic ARN like arn:aws:sns:eu-west-2:111122223333:pacs-alarms' })
    .optional()
    .describe('Existing SNS topic ARN (optional)'),
});

const siteObjectSchema = z.strictObject({
  /** JSON Schema reference for editors; ignored. */
  $schema: z.string().optional().describe('JSON Schema reference for editors; ignored'),
  /** Free text for people (e.g. what the placeholders are); ignored. */
  description: z.string().optional().describe('Free text for people; ignored'),
  /** Site name: resource names and the `Site` metric dimension. */
  name: resourceName('the site name').describe('Site name (letters, digits, "-"; 1–32)'),
  /** Tags applied to every resource. @default {} */
  tags: z
    .record(
      z
        .string()
        .min(1, { error: 'tag keys must not be empty' })
        .max(128, { error: 'tag keys are at most 128 characters' })
        .refine((key) => !key.toLowerCase().startsWith('aws:'), { error: 'tag keys starting with "aws:" are reserved by AWS' }),
      z.string({ error: 'tag values must be strings' }).max(256, { error: 'tag values are at most 256 characters' }),
    )
    .default({})
    .describe('Tags for every resource'),
  /** Account and region of the stack. */
  env: environmentSchema.describe('Account (optional) and region'),
  /** The VPC: existing (by attributes) or new. */
  network: networkSchema,
  /** Client networks allowed to reach every service unless a service overrides it. */
  allowedClientCidrs: allowedClientCidrsSchema.describe('Client CIDRs allowed to reach the services (site-wide)'),
  /** Controller settings. @default { intervalSeconds: 10 } */
  controller: controllerSchema.prefault({}).describe('Controller settings'),
  /** TCP virtual services, one internal NLB each. @default [] */
  services: z.array(serviceSchema).default([]).describe('TCP virtual services (one NLB each)'),
  /** The HTTPS viewer on an ALB. @default none */
  viewer: viewerSchema.optional().describe('HTTPS viewer on an internal ALB (optional)'),
  /** Alarm notifications. @default { emails: [] } */
  notifications: notificationsSchema.prefault({}).describe('Alarm notifications'),
  /** Alarm periods, evaluation windows and thresholds (docs/operating.md). @default every default of monitoring-defaults.ts */
  monitoring: monitoringSchema.prefault({}).describe('Alarm periods, windows and thresholds (every field has a default)'),
});

/** The VPC CIDR (primary) of either network kind. */
function vpcCidrTextOf(network: z.output<typeof networkSchema>): string {
  return network.existingVpc ? network.existingVpc.cidr : network.newVpc.cidr;
}

type RealServerShape = z.output<typeof realServerSchema>;

/** Resolves onPremises from the VPC CIDR where it was not given. */
function withOnPremisesResolved<T extends RealServerShape>(server: T, vpcCidrText: string): T & { onPremises: boolean } {
  const vpcCidr = parseCidr(vpcCidrText);
  return { ...server, onPremises: server.onPremises ?? (vpcCidr !== undefined && !cidrContains(vpcCidr, server.ip)) };
}

/** The whole site definition. Parse it with parseSite (load.ts) to get the cross-field rules too. */
export const siteSchema = siteObjectSchema
  .transform(({ $schema: _editorSchemaReference, ...site }) => {
    const vpcCidr = vpcCidrTextOf(site.network);
    return {
      ...site,
      services: site.services.map((service) => ({
        ...service,
        realServers: service.realServers.map((server) => withOnPremisesResolved(server, vpcCidr)),
      })),
      viewer: site.viewer && {
        ...site.viewer,
        realServers: site.viewer.realServers.map((server) => withOnPremisesResolved(server, vpcCidr)),
      },
    };
  })
  .describe('medlb site definition');

// ---------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------

/** A site as a person writes it (optional fields may be left out). */
export type SiteInput = z.input<typeof siteSchema>;
/** A parsed site: every default resolved, VIPs as lists, onPremises inferred. */
export type Site = z.output<typeof siteSchema>;

/** A service as written. */
export type ServiceInput = z.input<typeof serviceSchema>;
/** A parsed service. */
export type ServiceDefinition = Site['services'][number];
/** A real server as written. */
export type RealServerInput = z.input<typeof realServerSchema>;
/** A parsed real server (weight and onPremises resolved). */
export type RealServer = ServiceDefinition['realServers'][number];
/** An EC2 discovery selector as written (and parsed: it has no defaults). */
export type DiscoverDefinition = z.output<typeof discoverSchema>;
/** A health check as written. */
export type HealthCheckInput = z.input<typeof healthCheckSchema>;
/** A parsed health check (protocol, port, timeoutMs, rise, fall resolved). */
export type HealthCheck = ServiceDefinition['healthCheck'];
/** A port mapping as written. */
export type PortMappingInput = z.input<typeof portMappingSchema>;
/** A parsed port mapping (targetPort resolved). */
export type PortMapping = ServiceDefinition['ports'][number];
/** The viewer as written. */
export type ViewerInput = z.input<typeof viewerSchema>;
/** The parsed viewer. */
export type ViewerDefinition = NonNullable<Site['viewer']>;
/** The network as written. */
export type NetworkInput = z.input<typeof networkSchema>;
/** The parsed network: exactly one of existingVpc / newVpc. */
export type NetworkDefinition = Site['network'];
/** An existing VPC by attributes. */
export type ExistingVpcDefinition = z.output<typeof existingVpcSchema>;
/** A new VPC. */
export type NewVpcDefinition = z.output<typeof newVpcSchema>;
/** A subnet of an existing VPC. */
export type SubnetDefinition = z.output<typeof subnetSchema>;
/** Account and region. */
export type SiteEnvironment = z.output<typeof environmentSchema>;
/** Controller settings. */
export type ControllerSettings = z.output<typeof controllerSchema>;
/** Alarm notifications. */
export type NotificationsDefinition = z.output<typeof notificationsSchema>;
/** Health-check protocols. */
export type HealthCheckProtocol = HealthCheck['protocol'];

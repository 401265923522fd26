/**
 * The site definition: what an imaging administrator used to click into the appliance (guide §6, §8),
 * as a typed zod schema. `SiteInput` is what a person writes (optional fields allowed); `Site` is the
 * same with every default resolved. The meaning of each field on AWS is the README's appliance table (docs/architecture.md#appliance-mapping).
 *
 * One file per section (schema-common, -network, -health-check, -services, -viewer); this one holds the site
 * itself and the types, and re-exports every section, so `./schema` stays the one import.
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
import { cidrContains, parseCidr } from './ipv4';
import * as defaults from './site-defaults';
import { monitoringSchema } from './monitoring-schema';
import { integerIn, REGION_PATTERN, resourceName, SNS_TOPIC_ARN_PATTERN } from './schema-common';
import { networkSchema, subnetSchema } from './schema-network';
import { allowedClientCidrsSchema, discoverSchema, realServerSchema, serviceSchema } from './schema-services';
import { viewerSchema } from './schema-viewer';

export * from './schema-common';
export * from './schema-network';
export * from './schema-health-check';
export * from './schema-services';
export * from './schema-viewer';

// ---------------------------------------------------------------------------------------------------------
// Site
// ---------------------------------------------------------------------------------------------------------

/** Where the stack is deployed. */
const environmentSchema = z.strictObject({
  /** AWS account id (12 digits). @default the CLI's account */
  account: z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id' }).optional().describe('AWS account id (optional)'),
  /** AWS region, e.g. eu-west-2 (ALB access logs need one). */
  region: z.string({ error: 'is required (e.g. eu-west-2)' }).regex(REGION_PATTERN, { error: 'is not an AWS region like eu-west-2' }).describe('AWS region, e.g. eu-west-2'),
});

/** Site-wide controller settings. */
const controllerSchema = z.strictObject({
  /** Seconds between rounds inside one controller invocation. @default 10 */
  intervalSeconds: integerIn(defaults.CONTROLLER_INTERVAL_RANGE.min, defaults.CONTROLLER_INTERVAL_RANGE.max, ' s')
    .default(defaults.DEFAULT_CONTROLLER_INTERVAL_SECONDS)
    .describe('Seconds between controller rounds, 5–60 (default 10)'),
  /** Longest a `medlb pin` may last, in hours; a longer `--until` is refused. @default 12 */
  maxPinHours: integerIn(defaults.MAX_PIN_HOURS_RANGE.min, defaults.MAX_PIN_HOURS_RANGE.max, ' h')
    .default(defaults.MAX_PIN_HOURS)
    .describe('Longest a `medlb pin` may last, in hours, 1–168 (default 12)'),
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

/** The audit trail (README § Audit trail and trust). */
const auditSchema = z.strictObject({
  /**
   * Days every audit record is kept: the table's TTL, and the retention of the append-only CloudWatch Logs copy
   * (the next retention CloudWatch offers at or above it, e.g. 2190 → 2192). @default 2190 (6 years)
   */
  retentionDays: integerIn(defaults.AUDIT_RETENTION_RANGE.min, defaults.AUDIT_RETENTION_RANGE.max, ' days')
    .default(defaults.AUDIT_RETENTION_DAYS)
    .describe('Days audit records are kept, 1–3653 (default 2190 = 6 years)'),
  /**
   * Record every DynamoDB data event on the state table with CloudTrail (a trail for exactly that table, to a
   * KMS-encrypted bucket and log group kept `retentionDays`): the record that the table's writers cannot alter.
   * @default false
   */
  cloudTrailDataEvents: z
    .boolean({ error: 'must be true or false' })
    .default(defaults.DEFAULT_CLOUDTRAIL_DATA_EVENTS)
    .describe('CloudTrail data events of the state table, the independent record of who wrote it (default false)'),
});

/** Connection logs: VPC flow logs of the load balancers' subnets (README § Connection logs). */
const flowLogsSchema = z.strictObject({
  /**
   * Turn on flow logs for the subnets that hold a load balancer (an existing VPC; a new VPC always has flow logs
   * of the whole VPC). @default false
   */
  enabled: z
    .boolean({ error: 'must be true or false' })
    .default(defaults.DEFAULT_FLOW_LOGS_ENABLED)
    .describe("Flow logs of the load balancers' subnets (an existing VPC; a new VPC always has them) (default false)"),
  /** Days the flow logs are kept (the next CloudWatch Logs retention at or above). @default 365 */
  retentionDays: integerIn(defaults.FLOW_LOG_RETENTION_RANGE.min, defaults.FLOW_LOG_RETENTION_RANGE.max, ' days')
    .default(defaults.DEFAULT_FLOW_LOG_RETENTION_DAYS)
    .describe('Days flow logs are kept, 1–3653 (default 365)'),
});

/** Who hears about alarms. */
const notificationsSchema = z.strictObject({
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
  /** The audit trail's retention. @default { retentionDays: 2190 } */
  audit: auditSchema.prefault({}).describe('Audit trail settings'),
  /** Connection logs (VPC flow logs). @default { enabled: false, retentionDays: 365 } */
  flowLogs: flowLogsSchema.prefault({}).describe("Connection logs: VPC flow logs of the load balancers' subnets"),
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
/** A parsed real server (weight and onPremises resolved). */
export type RealServer = ServiceDefinition['realServers'][number];
/** An EC2 discovery selector as written (and parsed: it has no defaults). */
export type DiscoverDefinition = z.output<typeof discoverSchema>;
/** A parsed health check (protocol, port, timeoutMs, rise, fall resolved). */
export type HealthCheck = ServiceDefinition['healthCheck'];
/** The parsed viewer. */
export type ViewerDefinition = NonNullable<Site['viewer']>;
/** The parsed network: exactly one of existingVpc / newVpc. */
export type NetworkDefinition = Site['network'];
/** A subnet of an existing VPC. */
export type SubnetDefinition = z.output<typeof subnetSchema>;

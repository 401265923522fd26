/**
 * Controller config, version 1 (docs/architecture.md#controller-config): the JSON the CDK app derives from the
 * site definition and the controller (Lambda or `medlb` CLI) reads. This module is pure: it validates, it does no I/O.
 *
 * Extra fields are allowed everywhere (loose objects) so newer writers can add information older readers
 * ignore; the fields below are required to mean what they say. The published JSON Schema
 * (schema/controller-config.v1.schema.json) is generated from `ControllerConfigSchema` by
 * scripts/generate-config-schema.ts.
 */
import { z } from 'zod';
import {
  AE_TITLE_RULE,
  caCertificatesProblem,
  clientCertificateReferenceProblems,
  HL7_ACK_CODES,
  HL7_HD_RULE,
  HL7_PROCESSING_IDS,
  hl7HierarchicDesignatorProblem,
  INSTANCE_ID_PATTERN,
  isAeTitle,
  messageTypeProblem,
  PROBE_PROTOCOLS,
  SERVER_NAME_RULE,
  serverNameProblem,
  XDS_TRANSACTIONS,
} from './check';
import { messageOf } from './thrown';

/** Default time between rounds inside one controller invocation, in seconds. */
export const DEFAULT_INTERVAL_SECONDS = 10;

/** Longest a `medlb pin` may last when the site does not say (`controller.maxPinHours`): a night shift. */
export const DEFAULT_MAX_PIN_HOURS = 12;
/** The most a site may allow for a pin: a week (a pin is an emergency measure, not a configuration). */
export const MAX_PIN_HOURS_LIMIT = 168;

const port = z.int().min(1).max(65535);
const nonEmpty = z.string().min(1);
const aeTitle = z.string().refine(isAeTitle, { message: `is not a DICOM AE title: ${AE_TITLE_RULE}` });
const serverName = z.string().refine((name) => serverNameProblem(name) === undefined, { message: `must be ${SERVER_NAME_RULE}` });
const hl7HierarchicDesignator = z.string().refine((value) => hl7HierarchicDesignatorProblem(value) === undefined, { message: `must be ${HL7_HD_RULE}` });

/** ELBv2 target-group ARN (`arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>`). */
const targetGroupArn = z
  .string()
  .regex(/^arn:[a-z0-9-]+:elasticloadbalancing:[a-z0-9-]*:\d*:targetgroup\/[^/]+\/[^/]+$/, {
    message: 'expected an ELBv2 target-group ARN (arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)',
  });

/**
 * Where a TLS check's client certificate is: a Secrets Manager secret by full ARN (and its customer-managed KMS key).
 * Only the reference travels in the config; the controller reads the certificate and key at run time.
 */
const ClientCertificateConfigSchema = z
  .looseObject({
    secretArn: z.string().describe('Secrets Manager secret holding {"certificateChain": "<PEM>", "privateKey": "<PEM>"}'),
    kmsKeyArn: z.string().optional().describe('Customer-managed KMS key encrypting the secret (default: aws/secretsmanager)'),
  })
  .superRefine((reference, ctx) => {
    for (const problem of clientCertificateReferenceProblems(reference)) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  })
  .describe('TLS client certificate (mutual TLS) presented by the check');

/** The protocol check run against every target of a service: a probe's `CheckSpec` plus `port`. */
export const CheckConfigSchema = z
  .looseObject({
    protocol: z.enum(PROBE_PROTOCOLS).describe('tcp | dicom | hl7 | xds | http | https'),
    port: port.describe("Port probed on each target's ip"),
    timeoutMs: z.int().min(1).max(120_000).describe('Bounds the whole probe, every phase included'),
    tls: z.boolean().optional().describe('Wrap the protocol in TLS (tcp, dicom, hl7, xds)'),
    insecure: z.boolean().optional().describe('Skip certificate verification'),
    caCertificates: z
      .string()
      .refine((pem) => caCertificatesProblem(pem) === undefined, { error: (issue) => caCertificatesProblem(String(issue.input)) })
      .optional()
      .describe('PEM certificates of the CAs trusted to sign the targets\' certificates (instead of the public CAs)'),
    serverName: serverName.optional().describe('TLS: the name verified in the certificate and sent as SNI (default: the target ip, no SNI)'),
    clientCertificate: ClientCertificateConfigSchema.optional(),
    callingAeTitle: aeTitle.optional().describe('dicom: our AE title'),
    calledAeTitle: aeTitle.optional().describe("dicom: the server's AE title"),
    messageType: z
      .string()
      .refine((type) => messageTypeProblem(type) === undefined, { error: (issue) => messageTypeProblem(String(issue.input)) })
      .optional()
      .describe('hl7: message type of the probe message, e.g. QRY^A19'),
    acceptCodes: z.array(z.enum(HL7_ACK_CODES)).min(1).optional().describe('hl7: MSA-1 codes that count as accepted (default ["AA","CA"])'),
    sendingApplication: hl7HierarchicDesignator.optional().describe('hl7: MSH-3 (default MEDLB)'),
    sendingFacility: hl7HierarchicDesignator.optional().describe('hl7: MSH-4 (default MEDLB)'),
    receivingApplication: hl7HierarchicDesignator.optional().describe('hl7: MSH-5 (default empty)'),
    receivingFacility: hl7HierarchicDesignator.optional().describe('hl7: MSH-6 (default empty)'),
    processingId: z.enum(HL7_PROCESSING_IDS).optional().describe('hl7: MSH-11 processing id P, T or D (default P)'),
    transaction: z.enum(XDS_TRANSACTIONS).optional().describe('xds: registry → ITI-18 (default), repository → ITI-43'),
    path: z.string().startsWith('/').optional().describe('http/https/xds: request path'),
    expect: z.string().optional().describe('http/https: substring the response body must contain'),
    patientId: z.string().min(1).optional().describe('xds ITI-18: sentinel patient id'),
    documentUniqueId: z.string().min(1).optional().describe('xds ITI-43: sentinel document unique id'),
    repositoryUniqueId: z.string().min(1).optional().describe('xds ITI-43: repository unique id'),
  })
  .describe('Protocol check of a service');

/** A target group the controller owns; every desired target of the service is registered in it at `port`. */
const TargetGroupConfigSchema = z.looseObject({
  arn: targetGroupArn,
  port: port.describe('Port targets are registered with in this target group'),
});

/** One real server. */
export const TargetConfigSchema = z.looseObject({
  name: nonEmpty.describe("Real server's label; unique within its service; used in overrides and metrics"),
  ip: z.ipv4().describe('IPv4 address (any: ranges are the site validation’s business)'),
  availabilityZone: z.literal('all').optional().describe('"all" for an IP outside the VPC (set by the CDK app)'),
  drained: z.boolean().optional().describe('true for a real server the site gives weight 0: never registered'),
  serverName: serverName.optional().describe("TLS checks: this server's certificate name and SNI, instead of the check's serverName"),
  port: port
    .optional()
    .describe("This server's own port (appliance real server port): registered with it instead of the target group's port, and checked on it instead of check.port; services with one target group only"),
});

/**
 * EC2 discovery of a service's real servers (docs/architecture.md#discovery), resolved every round with DescribeInstances and
 * server-side filters. An instance qualifies when it is running, in `vpcId` (and `subnetIds`/`availabilityZones`
 * when given) and either carries the tags (every key, any of its values) or is listed in `instanceIds`.
 */
const DiscoveryConfigSchema = z
  .looseObject({
    tags: z
      .record(nonEmpty, z.array(z.string()).min(1, { message: 'needs at least one value (an empty list can never match)' }))
      .refine((tags) => Object.keys(tags).length > 0, { message: 'needs at least one tag key' })
      .optional()
      .describe('Tag key → accepted values; every key must match (any of its values)'),
    instanceIds: z
      .array(z.string().regex(INSTANCE_ID_PATTERN, { message: 'expected an EC2 instance id like i-0123456789abcdef0' }))
      .min(1)
      .optional()
      .describe('Instances by id (filtered server-side: a purged id is simply absent)'),
    vpcId: nonEmpty.optional().describe('Only instances in this VPC'),
    subnetIds: z.array(nonEmpty).min(1).optional().describe('Only instances in these subnets'),
    availabilityZones: z.array(nonEmpty).min(1).optional().describe('Only instances in these Availability Zones'),
  })
  .refine((discovery) => discovery.tags !== undefined || discovery.instanceIds !== undefined, {
    message: 'give tags or instanceIds (or both)',
  })
  .describe('EC2 instances resolved every round, alongside the static targets (docs/architecture.md#discovery)');

/** One load-balanced service (an appliance virtual service). */
export const ServiceConfigSchema = z.looseObject({
  name: nonEmpty.describe('Service name; unique in the config'),
  mode: z.enum(['balanced', 'failover']).describe('balanced: every up target; failover: the first up target in order'),
  failback: z
    .enum(['automatic', 'manual'])
    .optional()
    .describe('failover only: automatic (default) returns to the first server once it is up; manual stays on the standby until `medlb failback`'),
  rise: z.int().min(1).max(100).describe('Consecutive passes that bring a target up'),
  fall: z.int().min(1).max(100).describe('Consecutive failures that take a target down'),
  check: CheckConfigSchema,
  targetGroups: z.array(TargetGroupConfigSchema).min(1),
  targets: z.array(TargetConfigSchema).describe('Static real servers; in failover mode, in priority order (may be empty only with discovery)'),
  discovery: DiscoveryConfigSchema.optional(),
  vips: z.array(nonEmpty).optional().describe('Informational: VIP addresses for `medlb status`'),
  ports: z.array(port).optional().describe('Informational: listener ports for `medlb status`'),
  fallbackRuleArn: nonEmpty
    .optional()
    .describe("The viewer's fallback-page listener rule (contract/viewer-fallback.ts): served when no target passes its check and none is healthy in ELB"),
});

/** Controller config v1. */
export const ControllerConfigSchema = z
  .looseObject({
    version: z.literal(1),
    intervalSeconds: z
      .int()
      .min(1)
      .max(60)
      .default(DEFAULT_INTERVAL_SECONDS)
      .describe('Time between rounds inside one controller invocation'),
    services: z.array(ServiceConfigSchema),
    maxPinHours: z
      .number()
      .gt(0)
      .max(MAX_PIN_HOURS_LIMIT)
      .optional()
      .describe(`Longest a \`medlb pin\` may last, in hours (default ${DEFAULT_MAX_PIN_HOURS}; absent in configs written before pins)`),
  })
  .superRefine((config, ctx) => {
    const serviceNames = new Set<string>();
    const arnOwners = new Map<string, string>();
    config.services.forEach((service, s) => {
      if (serviceNames.has(service.name)) {
        ctx.addIssue({ code: 'custom', path: ['services', s, 'name'], message: `duplicate service name '${service.name}'` });
      }
      serviceNames.add(service.name);
      service.targetGroups.forEach((tg, t) => {
        const owner = arnOwners.get(tg.arn);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', s, 'targetGroups', t, 'arn'],
            message: `target group already belongs to service '${owner}' (the controller owns each target group for one service)`,
          });
        } else {
          arnOwners.set(tg.arn, service.name);
        }
      });
      if (service.targets.length === 0 && service.discovery === undefined) {
        ctx.addIssue({ code: 'custom', path: ['services', s, 'targets'], message: 'needs at least one target (or a discovery block)' });
      }
      const targetNames = new Set<string>();
      const targetIps = new Set<string>();
      service.targets.forEach((target, t) => {
        if (targetNames.has(target.name)) {
          ctx.addIssue({ code: 'custom', path: ['services', s, 'targets', t, 'name'], message: `duplicate target name '${target.name}' in service '${service.name}'` });
        }
        targetNames.add(target.name);
        if (targetIps.has(target.ip)) {
          ctx.addIssue({ code: 'custom', path: ['services', s, 'targets', t, 'ip'], message: `duplicate target ip ${target.ip} in service '${service.name}' (ELB knows a target by ip and port)` });
        }
        targetIps.add(target.ip);
        if (target.port !== undefined && service.targetGroups.length > 1) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', s, 'targets', t, 'port'],
            message: `a target's own port needs a service with one target group; '${service.name}' has ${service.targetGroups.length} (ports ${service.targetGroups.map((tg) => tg.port).join(', ')}), and one port cannot replace all of them`,
          });
        }
      });
    });
  });

/** Controller config v1 after parsing (defaults applied). */
export type ControllerConfig = z.output<typeof ControllerConfigSchema>;
/** Controller config v1 as written (defaults optional). */
export type ControllerConfigInput = z.input<typeof ControllerConfigSchema>;
export type ServiceConfig = z.output<typeof ServiceConfigSchema>;
export type TargetConfig = z.output<typeof TargetConfigSchema>;
export type ServiceMode = ServiceConfig['mode'];

/** One validation problem, with a JSON path such as `services[0].targets[1].ip`. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** The controller config is unreadable or invalid; `problems` lists every problem found (not just the first). */
export class ControllerConfigError extends Error {
  constructor(
    /** Where the config came from, e.g. a file name. */
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`invalid controller config (${source}):\n${problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n')}`);
    this.name = 'ControllerConfigError';
  }
}

/** Formats a zod issue path as `services[0].targets[1].ip`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/**
 * Validates a controller config and applies defaults.
 * @param input the JSON text, or the already-parsed value
 * @param source names the origin in error messages (a file name, "environment", ...)
 * @throws ControllerConfigError listing every problem with its path
 */
export function parseControllerConfig(input: unknown, source = 'controller config'): ControllerConfig {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new ControllerConfigError(source, [{ path: '', message: `not valid JSON: ${messageOf(err)}` }]);
    }
  }
  const result = ControllerConfigSchema.safeParse(value);
  if (!result.success) {
    throw new ControllerConfigError(
      source,
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  return result.data;
}

/** Finds a service by name. */
export function findService(config: ControllerConfig, name: string): ServiceConfig | undefined {
  return config.services.find((service) => service.name === name);
}

/** The site schema's health checks: the controller's protocol probe of a service or the viewer. */
import { z } from 'zod';
import {
  caCertificatesProblem,
  clientCertificateReferenceProblems,
  HL7_ACK_CODES,
  HL7_HD_RULE,
  HL7_PROCESSING_IDS,
  hl7HierarchicDesignatorProblem,
  messageTypeProblem,
  PROBE_PROTOCOLS,
  XDS_PATIENT_ID_RULE,
  XDS_TRANSACTIONS,
  xdsPatientIdProblem,
} from '../../contract/check';
import * as defaults from './site-defaults';
import { aeTitleSchema, integerIn, serverNameSchema, tcpPortSchema } from './schema-common';

/** An HL7 application or facility as MSH-3..6 carry it. */
const hl7HierarchicDesignatorSchema = z
  .string({ error: 'must be a string' })
  .superRefine((value, ctx) => {
    const problem = hl7HierarchicDesignatorProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}: must be ${HL7_HD_RULE}` });
  });

/**
 * A TLS client certificate by reference: the Secrets Manager secret holding `{"certificateChain": "<PEM>",
 * "privateKey": "<PEM>"}` and, when it is encrypted with a customer-managed key, that key. Only the ARNs reach the
 * template; the controller reads the secret at run time.
 */
const clientCertificateSchema = z
  .strictObject({
    /** Full secret ARN, suffix included: arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>. */
    secretArn: z.string({ error: 'must be a string' }).describe('Full ARN of the Secrets Manager secret'),
    /** The customer-managed KMS key that encrypts the secret. @default the AWS-managed key aws/secretsmanager */
    kmsKeyArn: z.string({ error: 'must be a string' }).optional().describe('ARN of the customer-managed KMS key encrypting the secret'),
  })
  .superRefine((reference, ctx) => {
    for (const problem of clientCertificateReferenceProblems(reference)) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  });

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
    /**
     * TLS: the DNS name the real servers' certificates hold, verified and sent as SNI, since servers are probed by
     * IP. A real server's own `serverName` overrides it. @default none: the certificate must name the server's IP
     */
    serverName: serverNameSchema.optional(),
    /**
     * TLS: the client certificate presented to servers that require one (mutual TLS: DICOM TLS, MLLP/TLS, XDS secure
     * nodes, HTTPS), as a Secrets Manager secret holding {"certificateChain": "<PEM>", "privateKey": "<PEM>"}.
     * @default none: no client certificate is presented
     */
    clientCertificate: clientCertificateSchema.optional().describe('TLS: client certificate from Secrets Manager, { secretArn, kmsKeyArn? }'),
    /** dicom: our AE title. @default the probe's default ("MEDLB") */
    callingAeTitle: aeTitleSchema.optional().describe('dicom: calling AE title'),
    /** dicom: the PACS's AE title, required for a dicom check (validate.ts says who provides it). */
    calledAeTitle: aeTitleSchema.optional().describe('dicom: called AE title'),
    /** hl7: message type sent, e.g. "QRY^A19". @default the probe's default */
    messageType: z
      .string()
      .refine((type) => messageTypeProblem(type) === undefined, { error: 'is not an HL7 message type with a trigger event, like NMD^N02 or QRY^A19' })
      .optional()
      .describe('hl7: message type, e.g. QRY^A19'),
    /** hl7: MSA-1 codes counted as healthy. @default ["AA","CA"] */
    acceptCodes: z.array(z.enum(HL7_ACK_CODES, { error: `must be one of ${HL7_ACK_CODES.join(', ')}` })).min(1, { error: 'needs at least one code' }).optional().describe('hl7: accepted MSA-1 codes (default AA, CA)'),
    /** hl7: MSH-3 sending application, what the engine sees as sender (e.g. MEDLB). @default "MEDLB" */
    sendingApplication: hl7HierarchicDesignatorSchema.optional().describe('hl7: MSH-3 sending application (default MEDLB)'),
    /** hl7: MSH-4 sending facility. @default "MEDLB" */
    sendingFacility: hl7HierarchicDesignatorSchema.optional().describe('hl7: MSH-4 sending facility (default MEDLB)'),
    /** hl7: MSH-5 receiving application, for engines that route on it. @default empty */
    receivingApplication: hl7HierarchicDesignatorSchema.optional().describe('hl7: MSH-5 receiving application (default empty)'),
    /** hl7: MSH-6 receiving facility. @default empty */
    receivingFacility: hl7HierarchicDesignatorSchema.optional().describe('hl7: MSH-6 receiving facility (default empty)'),
    /** hl7: MSH-11 processing id: P production, T training, D debugging. @default 'P' */
    processingId: z.enum(HL7_PROCESSING_IDS, { error: `must be one of ${HL7_PROCESSING_IDS.join(', ')}` }).optional().describe('hl7: MSH-11 processing id P, T or D (default P)'),
    /** xds: registry (ITI-18) or repository (ITI-43). @default 'registry' */
    transaction: z.enum(XDS_TRANSACTIONS, { error: 'must be registry or repository' }).optional().describe('xds: registry (ITI-18) or repository (ITI-43)'),
    /** xds/http/https: request path, e.g. /. */
    path: z.string().regex(/^\/[\x21-\x7e]*$/, { error: 'must start with "/" and contain no spaces' }).optional().describe('xds/http/https: request path'),
    /** http/https: substring the body must contain. */
    expect: z.string().min(1, { error: 'must not be empty' }).optional().describe('http/https: expected substring of the body'),
    /** xds registry: sentinel patient id for the stored query, in CX form with the domain's ISO assigning authority; required. */
    patientId: z
      .string({ error: 'must be a string' })
      .superRefine((id, ctx) => {
        if (xdsPatientIdProblem(id) !== undefined) ctx.addIssue({ code: 'custom', message: `is not ${XDS_PATIENT_ID_RULE}` });
      })
      .optional()
      .describe(`xds registry: sentinel patient id, ${XDS_PATIENT_ID_RULE}`),
    /** xds repository: a document unique id the repository does not hold; required. */
    documentUniqueId: z.string().min(1, { error: 'must not be empty' }).optional().describe('xds repository: sentinel document unique id'),
    /** xds repository: the repository's unique id (OID); required. */
    repositoryUniqueId: z.string().min(1, { error: 'must not be empty' }).optional().describe('xds repository: repository unique id'),
  });
}

/** A service's health check (controller probe); protocol defaults to tcp. */
export const healthCheckSchema = healthCheckSchemaWith(defaults.DEFAULT_HEALTH_CHECK_PROTOCOL);
/** The viewer's health check; protocol defaults to https. */
export const viewerHealthCheckSchema = healthCheckSchemaWith(defaults.DEFAULT_VIEWER_HEALTH_CHECK_PROTOCOL);

/**
 * A check as a `medlb probe` command line: the flag of every check option, and the rendering the alarm
 * descriptions and the dashboard print (docs/architecture.md#cli). The CLI parses these same flags
 * (lambda/cli/probe.ts); a test parses every rendered command back into the check it came from.
 */
import { DEFAULT_CHECK_TIMEOUT_MS, type Hl7ProcessingId, type ProbeProtocol, type XdsTransaction } from './check';

/** The `medlb probe` flag (without `--`) of every check option besides protocol and port. */
export const PROBE_FLAGS = {
  timeoutMs: 'timeout-ms',
  tls: 'tls',
  insecure: 'insecure',
  caCertificates: 'ca-file',
  serverName: 'server-name',
  clientCertificate: 'cert',
  clientKey: 'key',
  callingAeTitle: 'calling-ae',
  calledAeTitle: 'called-ae',
  messageType: 'hl7-message-type',
  acceptCodes: 'hl7-accept-codes',
  sendingApplication: 'hl7-sending-application',
  sendingFacility: 'hl7-sending-facility',
  receivingApplication: 'hl7-receiving-application',
  receivingFacility: 'hl7-receiving-facility',
  processingId: 'hl7-processing-id',
  transaction: 'xds-transaction',
  patientId: 'xds-patient-id',
  documentUniqueId: 'xds-document-id',
  repositoryUniqueId: 'xds-repository-id',
  path: 'path',
  expect: 'expect',
} as const;
export type ProbeFlag = (typeof PROBE_FLAGS)[keyof typeof PROBE_FLAGS];

/** Placeholder for the server's address in a rendered command. */
export const SERVER_IP_PLACEHOLDER = '<server-ip>';
/**
 * Placeholder for the CA file: certificates never appear inline (an alarm description holds 1,024 characters);
 * the operator saves the site's `healthCheck.caCertificates` to a file and names it here.
 */
export const CA_FILE_PLACEHOLDER = '<file>';

/**
 * A check and its options as `medlb probe` takes them (the controller config's check, or a site's health check).
 * The probe library's check (lambda/probes/types.ts `CheckSpec`) is this type with a resolved timeout and the
 * client certificate as data: the options are defined here once.
 */
export interface ProbeCommandCheck {
  readonly protocol: ProbeProtocol;
  /** Port probed on each real server. @default - a `<port>` placeholder */
  readonly port?: number;
  /** Bounds the whole probe, every phase included. @default DEFAULT_CHECK_TIMEOUT_MS (not rendered) */
  readonly timeoutMs?: number;
  /** Wrap the protocol in TLS (tcp, dicom, hl7, xds). http/https decide by protocol. */
  readonly tls?: boolean;
  /** Skip certificate verification (TLS variants and https). */
  readonly insecure?: boolean;
  /**
   * PEM certificates of the CAs that sign the real servers' certificates (a hospital's internal PKI), trusted
   * instead of the public CAs when the certificate is verified.
   */
  readonly caCertificates?: string;
  /**
   * The name the server's certificate must hold, also sent as SNI: servers are probed by IP, certificates name
   * hosts. @default the target's address (verified against the certificate's IP names; no SNI)
   */
  readonly serverName?: string;
  /** A client certificate (any reference: only its presence is rendered, as file placeholders). */
  readonly clientCertificate?: object;
  // dicom
  readonly callingAeTitle?: string;
  readonly calledAeTitle?: string;
  // hl7
  readonly messageType?: string;
  readonly acceptCodes?: readonly string[];
  /** MSH-3, MSH-4: who the engine sees as sender. @default DEFAULT_HL7_SENDING_APPLICATION / _FACILITY */
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
  /** MSH-5, MSH-6: the receiving application and facility the engine routes on. @default empty */
  readonly receivingApplication?: string;
  readonly receivingFacility?: string;
  /** MSH-11. @default DEFAULT_HL7_PROCESSING_ID (P) */
  readonly processingId?: Hl7ProcessingId;
  // xds
  /** @default DEFAULT_XDS_TRANSACTION (registry) */
  readonly transaction?: XdsTransaction;
  readonly patientId?: string;
  readonly documentUniqueId?: string;
  readonly repositoryUniqueId?: string;
  // http, https, xds
  readonly path?: string;
  readonly expect?: string;
}

/** Quotes a value for a POSIX shell when it needs it. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9._/^:,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The `npx medlb probe` command that runs a check against one server (`<server-ip>` left to fill in). */
export function medlbProbeCommand(check: ProbeCommandCheck): string {
  const valued: Array<[ProbeFlag, string | undefined]> = [
    [PROBE_FLAGS.timeoutMs, check.timeoutMs !== undefined && check.timeoutMs !== DEFAULT_CHECK_TIMEOUT_MS ? String(check.timeoutMs) : undefined],
    [PROBE_FLAGS.serverName, check.serverName],
    [PROBE_FLAGS.callingAeTitle, check.callingAeTitle],
    [PROBE_FLAGS.calledAeTitle, check.calledAeTitle],
    [PROBE_FLAGS.messageType, check.messageType],
    [PROBE_FLAGS.acceptCodes, check.acceptCodes?.join(',')],
    [PROBE_FLAGS.sendingApplication, check.sendingApplication],
    [PROBE_FLAGS.sendingFacility, check.sendingFacility],
    [PROBE_FLAGS.receivingApplication, check.receivingApplication],
    [PROBE_FLAGS.receivingFacility, check.receivingFacility],
    [PROBE_FLAGS.processingId, check.processingId],
    [PROBE_FLAGS.transaction, check.transaction],
    [PROBE_FLAGS.patientId, check.patientId],
    [PROBE_FLAGS.documentUniqueId, check.documentUniqueId],
    [PROBE_FLAGS.repositoryUniqueId, check.repositoryUniqueId],
    [PROBE_FLAGS.path, check.path],
    [PROBE_FLAGS.expect, check.expect],
  ];
  const parts = [`npx medlb probe ${check.protocol} ${SERVER_IP_PLACEHOLDER}:${check.port ?? '<port>'}`];
  for (const [flag, value] of valued) if (value !== undefined) parts.push(`--${flag} ${shellQuote(value)}`);
  if (check.tls) parts.push(`--${PROBE_FLAGS.tls}`);
  if (check.insecure) parts.push(`--${PROBE_FLAGS.insecure}`);
  if (check.caCertificates !== undefined) parts.push(`--${PROBE_FLAGS.caCertificates} ${CA_FILE_PLACEHOLDER}`);
  if (check.clientCertificate !== undefined) {
    // The same placeholder: the key lives in a Secrets Manager secret and never appears in a command; the operator
    // saves the secret's two fields (certificateChain, privateKey) to files and names them here.
    parts.push(`--${PROBE_FLAGS.clientCertificate} ${CA_FILE_PLACEHOLDER} --${PROBE_FLAGS.clientKey} ${CA_FILE_PLACEHOLDER}`);
  }
  return parts.join(' ');
}

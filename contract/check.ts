/**
 * The check-option rules the site definition, the controller config, the probes and `medlb probe` share: which
 * protocols exist, which option applies to which protocol, what an AE title and an HL7 message type look like,
 * and which PEM text counts as CA certificates. Each side words its messages its own way; the rules are these.
 * See docs/architecture.md#check-options.
 */
import { X509Certificate } from 'node:crypto';
import { describePemSafely, holdsPrivateKey } from './pem';
import { messageOf } from './thrown';

/** Protocols the controller can check a real server with. */
export const PROBE_PROTOCOLS = ['tcp', 'dicom', 'hl7', 'xds', 'http', 'https'] as const;
export type ProbeProtocol = (typeof PROBE_PROTOCOLS)[number];

/** XDS transactions: registry → ITI-18 (the default), repository → ITI-43. */
export const XDS_TRANSACTIONS = ['registry', 'repository'] as const;
export type XdsTransaction = (typeof XDS_TRANSACTIONS)[number];
/** XDS transaction probed when the check does not say: the registry's ITI-18. */
export const DEFAULT_XDS_TRANSACTION: XdsTransaction = 'registry';

/** HL7 acknowledgement codes (MSA-1). */
export const HL7_ACK_CODES = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as const;

/** Default whole-probe limit of a check (site `healthCheck.timeoutMs`, `medlb probe --timeout-ms`). */
export const DEFAULT_CHECK_TIMEOUT_MS = 3000;

/** Options of a check that only mean something for some protocols, and those protocols. */
export const CHECK_OPTION_PROTOCOLS = {
  tls: ['tcp', 'dicom', 'hl7', 'xds'],
  insecure: ['tcp', 'dicom', 'hl7', 'xds', 'https'],
  caCertificates: ['tcp', 'dicom', 'hl7', 'xds', 'https'],
  callingAeTitle: ['dicom'],
  calledAeTitle: ['dicom'],
  serverName: ['tcp', 'dicom', 'hl7', 'xds', 'https'],
  clientCertificate: ['tcp', 'dicom', 'hl7', 'xds', 'https'],
  messageType: ['hl7'],
  acceptCodes: ['hl7'],
  sendingApplication: ['hl7'],
  sendingFacility: ['hl7'],
  receivingApplication: ['hl7'],
  receivingFacility: ['hl7'],
  processingId: ['hl7'],
  transaction: ['xds'],
  patientId: ['xds'],
  documentUniqueId: ['xds'],
  repositoryUniqueId: ['xds'],
  path: ['xds', 'http', 'https'],
  expect: ['http', 'https'],
} as const satisfies Record<string, readonly ProbeProtocol[]>;
export type ProtocolSpecificOption = keyof typeof CHECK_OPTION_PROTOCOLS;

/** xds sentinels that belong to one transaction. */
export const XDS_OPTION_TRANSACTION = {
  patientId: 'registry',
  documentUniqueId: 'repository',
  repositoryUniqueId: 'repository',
} as const satisfies Record<string, XdsTransaction>;

function isProtocolSpecificOption(key: string): key is ProtocolSpecificOption {
  return Object.hasOwn(CHECK_OPTION_PROTOCOLS, key);
}

function isXdsSentinel(key: string): key is keyof typeof XDS_OPTION_TRANSACTION {
  return Object.hasOwn(XDS_OPTION_TRANSACTION, key);
}

/** A check's options as far as the rules need them (raw input: anything may be missing). */
export type CheckOptionsView = { readonly protocol: string } & { readonly [option in ProtocolSpecificOption]?: unknown };

/** One broken rule, named by the option it concerns; each caller words it for its own audience. */
export type CheckOptionProblem =
  | { readonly option: ProtocolSpecificOption; readonly kind: 'wrong-protocol'; readonly protocols: readonly ProbeProtocol[] }
  | { readonly option: 'insecure' | 'caCertificates' | 'serverName' | 'clientCertificate'; readonly kind: 'needs-tls' }
  | { readonly option: 'caCertificates'; readonly kind: 'contradicts-insecure' }
  | { readonly option: keyof typeof XDS_OPTION_TRANSACTION; readonly kind: 'wrong-transaction'; readonly transaction: XdsTransaction; readonly given: string };

/**
 * Every rule that relates a check's options to its protocol and to each other, in a fixed order: options that do
 * not apply to the protocol, options that need TLS without it, contradictions, xds sentinels of the other transaction.
 */
export function checkOptionProblems(check: CheckOptionsView): CheckOptionProblem[] {
  const problems: CheckOptionProblem[] = [];
  const given = (option: ProtocolSpecificOption) => check[option] !== undefined;
  const applies = (option: ProtocolSpecificOption) => CHECK_OPTION_PROTOCOLS[option].some((protocol) => protocol === check.protocol);
  for (const option of Object.keys(CHECK_OPTION_PROTOCOLS).filter(isProtocolSpecificOption)) {
    if (given(option) && !applies(option)) problems.push({ option, kind: 'wrong-protocol', protocols: CHECK_OPTION_PROTOCOLS[option] });
  }
  // https is TLS by protocol; tcp/dicom/hl7/xds only with `tls`.
  const usesTls = check.protocol === 'https' || check.tls === true;
  if (check.insecure === true && applies('insecure') && !usesTls) problems.push({ option: 'insecure', kind: 'needs-tls' });
  if (given('caCertificates') && applies('caCertificates') && !usesTls) problems.push({ option: 'caCertificates', kind: 'needs-tls' });
  if (given('serverName') && applies('serverName') && !usesTls) problems.push({ option: 'serverName', kind: 'needs-tls' });
  if (given('clientCertificate') && applies('clientCertificate') && !usesTls) problems.push({ option: 'clientCertificate', kind: 'needs-tls' });
  if (given('caCertificates') && check.insecure === true) problems.push({ option: 'caCertificates', kind: 'contradicts-insecure' });
  if (check.protocol === 'xds') {
    const transaction = typeof check.transaction === 'string' ? check.transaction : DEFAULT_XDS_TRANSACTION;
    for (const option of Object.keys(XDS_OPTION_TRANSACTION).filter(isXdsSentinel)) {
      const wanted = XDS_OPTION_TRANSACTION[option];
      if (given(option) && transaction !== wanted) problems.push({ option, kind: 'wrong-transaction', transaction: wanted, given: transaction });
    }
  }
  return problems;
}

/** What an AE title must be, for messages. */
export const AE_TITLE_RULE = '1–16 printable ASCII characters, no backslash, not all spaces';

/**
 * What is wrong with a DICOM AE title (PS3.5 AE value representation: 1–16 characters of the default repertoire,
 * i.e. printable ASCII with space, no backslash, not only spaces), or undefined when it is one. The first problem only.
 */
export function aeTitleProblem(title: string): string | undefined {
  if (title.length === 0) return 'is empty';
  if (title.length > 16) return 'is longer than 16 characters';
  if (!/^[\x20-\x7e]*$/.test(title) || title.includes('\\')) return 'has characters outside printable ASCII or a backslash';
  if (title.trim().length === 0) return 'is only spaces';
  return undefined;
}

/** True when `title` is a DICOM AE title (see {@link aeTitleProblem}). */
export function isAeTitle(title: string): boolean {
  return aeTitleProblem(title) === undefined;
}

/** HL7 message type as MSH-9 carries it: `NMD^N02`, optionally with a message structure (`NMD^N02^NMD_N02`). */
const HL7_MESSAGE_TYPE_PATTERN = /^[A-Z0-9]{3}\^[A-Z0-9]{2,3}(\^[A-Z0-9_]{3,7})?$/;

/** Says what is wrong with an HL7 message type (the trigger event is required), or undefined when it is usable. */
export function messageTypeProblem(messageType: string): string | undefined {
  return HL7_MESSAGE_TYPE_PATTERN.test(messageType)
    ? undefined
    : `HL7 message type "${messageType}" is not of the form XXX^YYY (e.g. NMD^N02)`;
}

/**
 * Trigger events that make an HL7 message clinical: admissions, transfers, discharges and registrations (ADT),
 * orders (ORM, OML, OMG, OMI, RDE) and results or observations (ORU, OUL, MDM). An engine routes these into the
 * patient record, worklists or results inbox, so a probe sending one every interval to every server would be
 * processed as production traffic if anything in the chain accepted the synthetic message. ADT^A19 (a patient
 * query) and the non-ADT types below are not in it; any other choice is the site's, with this warning only.
 */
const CLINICAL_HL7_MESSAGE_TYPES: Readonly<Record<string, string>> = {
  ADT: 'admission, transfer, discharge or registration event',
  ORM: 'order',
  OML: 'laboratory order',
  OMG: 'general clinical order',
  OMI: 'imaging order',
  RDE: 'pharmacy/treatment encoded order',
  ORU: 'observation result',
  OUL: 'laboratory result',
  MDM: 'medical document',
  SIU: 'scheduling event',
  DFT: 'charge posting',
  BAR: 'billing account event',
};
/** ADT trigger events that are queries, not events a receiver files into a record. */
const NON_CLINICAL_ADT_EVENTS = new Set(['A19']);

/**
 * Why a check's HL7 message type would look like clinical traffic to the receiving engine, or undefined for a
 * harmless one. A warning, never an error: some engines accept nothing else, and the site may know its filter.
 */
export function clinicalMessageTypeWarning(messageType: string): string | undefined {
  const [code = '', event = ''] = messageType.split('^');
  const kind = CLINICAL_HL7_MESSAGE_TYPES[code];
  if (kind === undefined || (code === 'ADT' && NON_CLINICAL_ADT_EVENTS.has(event))) return undefined;
  return (
    `HL7 message type ${messageType} is a clinical message (${kind}): the probe sends it to every server every round, and an engine ` +
    `that routes it would process a synthetic ${kind} as production traffic. Prefer NMD^N02 (application management, no patient), ` +
    `or make sure the engine filters on the probe's MSH-3 sending application and MSH-11 processing id`
  );
}

/** HL7 processing ids (MSH-11): production, training, debugging. */
export const HL7_PROCESSING_IDS = ['P', 'T', 'D'] as const;
export type Hl7ProcessingId = (typeof HL7_PROCESSING_IDS)[number];
/** MSH-11 when the check does not say: P, because receivers commonly reject other ids on production interfaces. */
export const DEFAULT_HL7_PROCESSING_ID: Hl7ProcessingId = 'P';

/** What an HL7 application or facility (MSH-3..6, type HD) must be, for messages. */
export const HL7_HD_RULE = '1–227 printable ASCII characters without the separators | ~ \\ & (components separated by ^ are allowed, e.g. MEDLB^1.2.3^ISO)';

/**
 * What is wrong with an MSH-3..6 value (an HD: namespace id, optionally ^universal id^type), or undefined.
 * The probe writes it raw into MSH with the standard separators, so none but ^ may appear in it.
 */
export function hl7HierarchicDesignatorProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 227) return 'is longer than 227 characters';
  if (!/^[\x20-\x7e]*$/.test(value) || /[|~\\&]/.test(value)) return 'has characters outside printable ASCII or one of the separators | ~ \\ &';
  if (value.replace(/\^/g, '').trim().length === 0) return 'is only spaces or component separators';
  return undefined;
}

/** What a server name (certificate name verified and sent as TLS SNI) must be, for messages. */
export const SERVER_NAME_RULE = 'a DNS host name like pacs.hospital.example (not an IP address: SNI carries names only)';

/** What is wrong with a TLS server name, or undefined when it is a DNS host name. */
export function serverNameProblem(name: string): string | undefined {
  if (/^[0-9.]+$/.test(name) || name.includes(':')) return 'is an address, not a DNS name: SNI carries names only (leave the server name out to verify the address itself)';
  if (!/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(name)) {
    return 'is not a DNS host name (letters, digits and "-" in dot-separated labels of at most 63 characters)';
  }
  return undefined;
}

/** What an XDS patient id must be, for messages. */
export const XDS_PATIENT_ID_RULE = 'a CX patient id with its ISO assigning authority, ID^^^&<authority OID>&ISO (e.g. 4711^^^&1.2.3.4.5&ISO)';

/**
 * What is wrong with an XDS patient id (ITI-18 `$XDSDocumentEntryPatientId`: CX with the affinity domain's
 * assigning authority as an ISO OID, ITI TF-3 4.2.3.1.7), or undefined when it has that form.
 */
export function xdsPatientIdProblem(patientId: string): string | undefined {
  return /^[^&^|~\\\s]+\^\^\^&(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+&ISO$/.test(patientId)
    ? undefined
    : `"${patientId}" is not ${XDS_PATIENT_ID_RULE}`;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
/** Any PEM block that is not a certificate: private keys (PKCS#1/#8, EC, encrypted), but also CSRs and the like. */
const NON_CERTIFICATE_PEM = /-----BEGIN (?!CERTIFICATE-----)([A-Z0-9 ]+)-----/g;

/**
 * Why a PEM bundle of trusted certificates is unusable, or undefined when every block parses as an X.509
 * certificate (a check's `caCertificates`: a hospital's internal CAs, or a pinned self-signed server certificate).
 */
export function caCertificatesProblem(pem: string): string | undefined {
  if (holdsPrivateKey(pem)) {
    // Never echo it: the message names only what was found. A private key must not reach the config or template.
    return `holds a PRIVATE KEY, which must never be given here (it would be stored in the config, the template and CloudFormation): remove the key block and keep only the CA certificates; if the key was shared, treat it as compromised (${describePemSafely(pem)})`;
  }
  const others = [...pem.matchAll(NON_CERTIFICATE_PEM)].map((m) => m[1]);
  if (others.length > 0) return `holds a ${others[0]} block where only CA certificates belong: remove it (${describePemSafely(pem)})`;
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return 'holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)';
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return `certificate ${index + 1} does not parse: ${messageOf(error)}`;
    }
  }
  return undefined;
}

/**
 * Secrets Manager secret ARN as GetSecretValue and IAM take it, with the 6-character suffix Secrets Manager appends
 * (a partial ARN without it would make the IAM resource a prefix match). Groups: partition, region, account.
 */
const SECRET_ARN_PATTERN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):secretsmanager:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}):(\d{12}):secret:[A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6}$/;
/** KMS key ARN (not an alias: kms:Decrypt is authorized on the key). Groups: partition, region, account. */
const KMS_KEY_ARN_PATTERN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):kms:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}):(\d{12}):key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** What a client-certificate secret ARN must be, for messages. */
const SECRET_ARN_RULE = 'the full ARN of a Secrets Manager secret, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (the console shows it as "Secret ARN")';
/** What a client-certificate KMS key ARN must be, for messages. */
const KMS_KEY_ARN_RULE = 'the ARN of the customer-managed KMS key that encrypts the secret, arn:aws:kms:<region>:<account>:key/<key id> (not an alias)';

/** Where a TLS check's client certificate lives: a Secrets Manager secret, and the key encrypting it when customer-managed. */
export interface ClientCertificateReference {
  readonly secretArn: string;
  /** @default the secret is encrypted with the AWS-managed key aws/secretsmanager (no kms:Decrypt grant needed) */
  readonly kmsKeyArn?: string;
}

/** What is wrong with a client-certificate reference (each field with its problem), empty when usable. */
export function clientCertificateReferenceProblems(reference: ClientCertificateReference): Array<{ readonly field: 'secretArn' | 'kmsKeyArn'; readonly message: string }> {
  const problems: Array<{ readonly field: 'secretArn' | 'kmsKeyArn'; readonly message: string }> = [];
  const secret = SECRET_ARN_PATTERN.exec(reference.secretArn);
  if (!secret) problems.push({ field: 'secretArn', message: `is not ${SECRET_ARN_RULE}` });
  if (reference.kmsKeyArn === undefined) return problems;
  const key = KMS_KEY_ARN_PATTERN.exec(reference.kmsKeyArn);
  if (!key) problems.push({ field: 'kmsKeyArn', message: `is not ${KMS_KEY_ARN_RULE}` });
  else if (secret && (key[1] !== secret[1] || key[2] !== secret[2])) {
    // Secrets Manager decrypts with a key of the secret's own region and partition.
    problems.push({ field: 'kmsKeyArn', message: `is in ${key[2]} but the secret is in ${secret[2]}: a secret is encrypted with a key of its own region` });
  }
  return problems;
}

/** EC2 instance id (`i-` and 8 or 17 hex digits), in the site's `discover` and the config's `discovery`. */
export const INSTANCE_ID_PATTERN = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

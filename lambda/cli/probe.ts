/**
 * `medlb probe <protocol> <host>:<port> [options]` (docs/architecture.md#cli): checks one real server once and
 * prints one JSON line {"healthy","protocol","target","latencyMs","reason"}. Exit 0 healthy, 1 unhealthy, 2 usage
 * error. Its flags are the contract's (contract/probe-command.ts), so an alarm's probe command parses here.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import {
  aeTitleProblem,
  caCertificatesProblem,
  checkOptionProblems,
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_HL7_PROCESSING_ID,
  HL7_ACK_CODES,
  HL7_PROCESSING_IDS,
  hl7HierarchicDesignatorProblem,
  messageTypeProblem,
  serverNameProblem,
  XDS_TRANSACTIONS,
  xdsPatientIdProblem,
  type CheckOptionProblem,
} from '../../contract/check';
import { PROBE_FLAGS as F } from '../../contract/probe-command';
import { ClientCertificateError } from '../../contract/client-certificate';
import { readClientCertificateFiles } from '../controller/client-certificates';
import { MAX_PROBE_TIMEOUT_MS, probe } from '../probes/index';
import { PROBE_PROTOCOLS, type CheckSpec, type ProbeProtocol, type ProbeTarget } from '../probes/types';
import { codeOf, messageOf } from '../../contract/thrown';

const PROBE_USAGE = `usage: medlb probe <protocol> <host>:<port> [options]
  protocol: ${PROBE_PROTOCOLS.join('|')}
  --timeout-ms N                 whole-probe limit (default ${DEFAULT_CHECK_TIMEOUT_MS})
  --tls, --insecure              TLS for tcp|dicom|hl7|xds; --insecure skips certificate checks (also https)
  --ca-file F                    trust the CA certificates in this PEM file (an internal PKI) instead of the public ones
  --server-name NAME             TLS: the DNS name the certificate must hold, sent as SNI (default: verify the address)
  --cert F --key F               TLS: present this client certificate chain (PEM, client first) and its private key (mutual TLS)
  --calling-ae T, --called-ae T  dicom AE titles (default MEDLB / ANY-SCP)
  --path P, --expect S           http|https|xds path; http|https expected body text
  --hl7-message-type T           hl7 message type (default NMD^N02)
  --hl7-accept-codes C,C         hl7 MSA-1 codes that count as healthy (default AA,CA)
  --hl7-sending-application A, --hl7-sending-facility F     hl7 MSH-3/MSH-4 (default MEDLB/MEDLB)
  --hl7-receiving-application A, --hl7-receiving-facility F hl7 MSH-5/MSH-6 (default empty)
  --hl7-processing-id P|T|D      hl7 MSH-11 (default ${DEFAULT_HL7_PROCESSING_ID})
  --xds-transaction registry|repository, --xds-patient-id ID, --xds-document-id ID, --xds-repository-id ID`;

const OPTIONS = {
  [F.timeoutMs]: { type: 'string' },
  [F.callingAeTitle]: { type: 'string' },
  [F.calledAeTitle]: { type: 'string' },
  [F.path]: { type: 'string' },
  [F.expect]: { type: 'string' },
  [F.tls]: { type: 'boolean' },
  [F.insecure]: { type: 'boolean' },
  [F.caCertificates]: { type: 'string' },
  [F.serverName]: { type: 'string' },
  [F.clientCertificate]: { type: 'string' },
  [F.clientKey]: { type: 'string' },
  [F.sendingApplication]: { type: 'string' },
  [F.sendingFacility]: { type: 'string' },
  [F.receivingApplication]: { type: 'string' },
  [F.receivingFacility]: { type: 'string' },
  [F.processingId]: { type: 'string' },
  [F.messageType]: { type: 'string' },
  [F.acceptCodes]: { type: 'string' },
  [F.transaction]: { type: 'string' },
  [F.patientId]: { type: 'string' },
  [F.documentUniqueId]: { type: 'string' },
  [F.repositoryUniqueId]: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The contract's check-option rules, worded for the command line. */
function optionProblemText(problem: CheckOptionProblem, protocol: ProbeProtocol): string {
  const flag = `--${F[problem.option]}`;
  switch (problem.kind) {
    case 'wrong-protocol':
      return `${flag} does not apply to ${protocol} (only ${problem.protocols.join('|')})`;
    case 'needs-tls':
      return `${flag} needs --${F.tls}`;
    case 'contradicts-insecure':
      return `${flag} and --${F.insecure} contradict each other (one verifies, the other does not)`;
    case 'wrong-transaction':
      return `${flag} applies only to --${F.transaction} ${problem.transaction}, not ${problem.given}`;
  }
}

/** A usage error: the message names the bad argument. */
export class UsageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'UsageError';
  }
}

/** What the command line asks for. */
export interface ProbeRequest {
  readonly target: ProbeTarget;
  /** The target as printed: host:port ([v6]:port). */
  readonly targetLabel: string;
  readonly check: CheckSpec;
}

const HOSTNAME_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Parses `host:port` or `[v6]:port`; returns the target or the problems. */
function parseAddress(address: string): { target?: ProbeTarget; problems: string[] } {
  const match = /^\[([^\]]+)\]:([^:]*)$/.exec(address) ?? /^([^:[\]]*):([^:]*)$/.exec(address);
  if (!match) return { problems: [`bad address "${address}" (expected <host>:<port>, e.g. 127.0.0.2:104)`] };
  const [, host = '', portText = ''] = match;
  const problems: string[] = [];
  const bracketed = address.startsWith('[');
  if (bracketed ? isIP(host) !== 6 : !(isIP(host) === 4 || HOSTNAME_PATTERN.test(host))) {
    problems.push(`bad host "${host}" in address "${address}"`);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) problems.push(`bad port "${portText}" in address "${address}" (expected 1-65535)`);
  return problems.length > 0 ? { problems } : { target: { host, port }, problems };
}

/** Turns the command line into a request; throws UsageError listing every problem found. */
export function parseProbeArgs(args: readonly string[]): ProbeRequest | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError([err instanceof Error ? err.message : String(err)]);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const problems: string[] = [];
  if (positionals.length !== 2) {
    problems.push(`expected <protocol> <host>:<port>, got ${positionals.length} argument(s)${positionals.length > 2 ? `: unexpected "${positionals[2]}"` : ''}`);
  }
  const [protocolText = '', address = ''] = positionals;
  const protocol = PROBE_PROTOCOLS.find((known) => known === protocolText);
  if (positionals.length >= 1 && !protocol) problems.push(`unknown protocol "${protocolText}" (expected ${PROBE_PROTOCOLS.join('|')})`);
  const { target, problems: addressProblems } = positionals.length >= 2 ? parseAddress(address) : { target: undefined, problems: [] };
  problems.push(...addressProblems);

  let timeoutMs = DEFAULT_CHECK_TIMEOUT_MS;
  if (values['timeout-ms'] !== undefined) {
    const text = values['timeout-ms'];
    timeoutMs = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(timeoutMs >= 1 && timeoutMs <= MAX_PROBE_TIMEOUT_MS)) {
      problems.push(`--timeout-ms "${text}" is not a whole number of milliseconds in 1-${MAX_PROBE_TIMEOUT_MS}`);
    }
  }
  const transaction = values[F.transaction];
  if (protocol) {
    const given = {
      protocol,
      tls: values[F.tls],
      insecure: values[F.insecure],
      caCertificates: values[F.caCertificates],
      serverName: values[F.serverName],
      clientCertificate: values[F.clientCertificate] ?? values[F.clientKey],
      sendingApplication: values[F.sendingApplication],
      sendingFacility: values[F.sendingFacility],
      receivingApplication: values[F.receivingApplication],
      receivingFacility: values[F.receivingFacility],
      processingId: values[F.processingId],
      callingAeTitle: values[F.callingAeTitle],
      calledAeTitle: values[F.calledAeTitle],
      messageType: values[F.messageType],
      acceptCodes: values[F.acceptCodes],
      transaction,
      patientId: values[F.patientId],
      documentUniqueId: values[F.documentUniqueId],
      repositoryUniqueId: values[F.repositoryUniqueId],
      path: values[F.path],
      expect: values[F.expect],
    };
    for (const problem of checkOptionProblems(given)) problems.push(optionProblemText(problem, protocol));
  }
  const caCertificates = values['ca-file'] === undefined ? undefined : readCaFile(values['ca-file'], problems);
  const tlsClientCertificate = readClientCertificate(values[F.clientCertificate], values[F.clientKey], problems);
  for (const option of [F.callingAeTitle, F.calledAeTitle] as const) {
    const value = values[option];
    if (value !== undefined && aeTitleProblem(value) !== undefined) {
      problems.push(`--${option} "${value}" is not a DICOM AE title (1-16 printable ASCII characters, no backslash)`);
    }
  }
  if (values.path !== undefined && (!values.path.startsWith('/') || /[\s\x00-\x1f\x7f]/.test(values.path))) {
    problems.push(`--path "${values.path}" must start with / and contain no spaces or control characters`);
  }
  const messageType = values['hl7-message-type'];
  const typeProblem = messageType === undefined ? undefined : messageTypeProblem(messageType);
  if (typeProblem) problems.push(`--hl7-message-type: ${typeProblem}`);
  const codes = values[F.acceptCodes]?.split(',');
  const acceptCodes = codes?.map((code) => HL7_ACK_CODES.find((known) => known === code)).filter((code) => code !== undefined);
  const badCodes = codes?.filter((code) => !HL7_ACK_CODES.some((known) => known === code)) ?? [];
  if (badCodes.length > 0) problems.push(`--${F.acceptCodes} "${values[F.acceptCodes]}" holds ${badCodes.map((code) => `"${code}"`).join(', ')}, not one of ${HL7_ACK_CODES.join(',')}`);
  const serverName = values[F.serverName];
  const nameProblem = serverName === undefined ? undefined : serverNameProblem(serverName);
  if (nameProblem) problems.push(`--${F.serverName} "${serverName}" ${nameProblem}`);
  for (const option of [F.sendingApplication, F.sendingFacility, F.receivingApplication, F.receivingFacility] as const) {
    const value = values[option];
    const problem = value === undefined ? undefined : hl7HierarchicDesignatorProblem(value);
    if (problem) problems.push(`--${option} "${value}" ${problem}`);
  }
  const processingIdText = values[F.processingId];
  const processingId = HL7_PROCESSING_IDS.find((known) => known === processingIdText);
  if (processingIdText !== undefined && processingId === undefined) {
    problems.push(`--${F.processingId} "${processingIdText}" is not one of ${HL7_PROCESSING_IDS.join('|')}`);
  }
  const patientIdText = values[F.patientId];
  const patientIdProblem = patientIdText === undefined || patientIdText === '' ? undefined : xdsPatientIdProblem(patientIdText);
  if (patientIdProblem) problems.push(`--${F.patientId} ${patientIdProblem}`);
  const xdsTransaction = XDS_TRANSACTIONS.find((known) => known === transaction);
  if (transaction !== undefined && xdsTransaction === undefined) {
    problems.push(`--xds-transaction "${transaction}" is not registry or repository`);
  }
  for (const option of ['xds-patient-id', 'xds-document-id', 'xds-repository-id', 'expect'] as const) {
    if (values[option] === '') problems.push(`--${option} is empty`);
  }
  if (problems.length > 0 || !protocol || !target) throw new UsageError(problems);

  const check: CheckSpec = {
    protocol,
    timeoutMs,
    ...(values.tls ? { tls: true } : {}),
    ...(values.insecure ? { insecure: true } : {}),
    ...(caCertificates !== undefined ? { caCertificates } : {}),
    ...(serverName !== undefined ? { serverName } : {}),
    ...(tlsClientCertificate !== undefined ? { tlsClientCertificate } : {}),
    ...(values['calling-ae'] !== undefined ? { callingAeTitle: values['calling-ae'] } : {}),
    ...(values['called-ae'] !== undefined ? { calledAeTitle: values['called-ae'] } : {}),
    ...(values.path !== undefined ? { path: values.path } : {}),
    ...(values.expect !== undefined ? { expect: values.expect } : {}),
    ...(messageType !== undefined ? { messageType } : {}),
    ...(acceptCodes !== undefined ? { acceptCodes } : {}),
    ...(values[F.sendingApplication] !== undefined ? { sendingApplication: values[F.sendingApplication] } : {}),
    ...(values[F.sendingFacility] !== undefined ? { sendingFacility: values[F.sendingFacility] } : {}),
    ...(values[F.receivingApplication] !== undefined ? { receivingApplication: values[F.receivingApplication] } : {}),
    ...(values[F.receivingFacility] !== undefined ? { receivingFacility: values[F.receivingFacility] } : {}),
    ...(processingId !== undefined ? { processingId } : {}),
    ...(xdsTransaction !== undefined ? { transaction: xdsTransaction } : {}),
    ...(values['xds-patient-id'] !== undefined ? { patientId: values['xds-patient-id'] } : {}),
    ...(values['xds-document-id'] !== undefined ? { documentUniqueId: values['xds-document-id'] } : {}),
    ...(values['xds-repository-id'] !== undefined ? { repositoryUniqueId: values['xds-repository-id'] } : {}),
  };
  const targetLabel = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  return { target, targetLabel, check };
}

/** The PEM text of --ca-file, or undefined with a problem recorded. */
function readCaFile(path: string, problems: string[]): string | undefined {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`--ca-file "${path}" cannot be read: ${codeOf(error) ?? messageOf(error)}`);
    return undefined;
  }
  const problem = caCertificatesProblem(pem);
  if (problem) problems.push(`--ca-file "${path}" ${problem}`);
  return problem ? undefined : pem;
}

/** The client certificate of --cert and --key (both or neither), or undefined with any problem recorded (never the key). */
function readClientCertificate(certificateFile: string | undefined, keyFile: string | undefined, problems: string[]): CheckSpec['tlsClientCertificate'] {
  if (certificateFile === undefined && keyFile === undefined) return undefined;
  if (certificateFile === undefined || keyFile === undefined) {
    problems.push(`--${F.clientCertificate} and --${F.clientKey} go together: the client certificate chain and its private key, as PEM files`);
    return undefined;
  }
  try {
    const { certificateChain, privateKey } = readClientCertificateFiles({ certificateFile, keyFile });
    return { certificateChain, privateKey };
  } catch (error) {
    if (!(error instanceof ClientCertificateError)) throw error;
    problems.push(...error.problems.map((problem) => `--${F.clientCertificate}/--${F.clientKey}: ${problem}`));
    return undefined;
  }
}

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  let request: ProbeRequest | 'help';
  try {
    request = parseProbeArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`medlb probe: ${err.problems.join('\nmedlb probe: ')}\n${PROBE_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    process.stdout.write(`${PROBE_USAGE}\n`);
    return 0;
  }
  // Ctrl-C cancels the probe; it still prints its (unhealthy, "cancelled") line.
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const result = await probe(request.target, request.check, { signal: controller.signal });
    const line = {
      healthy: result.healthy,
      protocol: request.check.protocol,
      target: request.targetLabel,
      latencyMs: result.latencyMs,
      reason: result.reason,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return result.healthy ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

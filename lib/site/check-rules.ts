/**
 * Health-check rules that reach beyond the check's own options: the identities a deployed check must state, a real
 * server's `serverName` against its service's check, and the warnings a valid site still deserves (a clinical HL7
 * message type). The option rules themselves are the contract's (contract/check.ts); validate.ts reports them.
 */
import { clinicalMessageTypeWarning, DEFAULT_XDS_TRANSACTION, XDS_PATIENT_ID_RULE } from '../../contract/check';
import { formatPath, type PathSegments, type SiteProblem } from './problems';
import type { Site } from './schema';

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function recordAt(value: unknown): UnknownRecord {
  return isRecord(value) ? value : {};
}

/** A problem relative to the pool (service or viewer) it was found in. */
interface PoolProblem {
  readonly path: PathSegments;
  readonly message: string;
}

/** The calling AE title the probe uses when the site gives none (lambda/probes/dicom/dicom-defaults.ts). */
const PROBE_CALLING_AE_TITLE = 'MEDLB';

/**
 * The identities a deployed check must state instead of the probe's test values (`medlb probe` keeps those for
 * ad-hoc use): a production PACS rejects an unknown called AE, and a registry or repository answers for its own
 * affinity domain and documents only. Each missing one says what to add and who provides it.
 * @param check the health check as written
 * @param protocol the check's protocol, its default resolved
 */
export function checkIdentityProblems(check: UnknownRecord, protocol: string): PoolProblem[] {
  const missing = (field: string, message: string): PoolProblem[] => (check[field] === undefined ? [{ path: ['healthCheck', field], message }] : []);
  if (protocol === 'dicom') {
    const calling = typeof check.callingAeTitle === 'string' ? check.callingAeTitle : PROBE_CALLING_AE_TITLE;
    return missing(
      'calledAeTitle',
      `is required for a dicom check (medlb no longer falls back to the test AE title ANY-SCP, which a production PACS rejects): ` +
        `add calledAeTitle: "<the PACS's AE title>". The PACS administrator provides it, and must accept associations from the ` +
        `calling AE title "${calling}" (healthCheck.callingAeTitle) coming from the controller's subnets`,
    );
  }
  if (protocol !== 'xds') return [];
  const transaction = check.transaction ?? DEFAULT_XDS_TRANSACTION;
  if (transaction === 'registry') {
    return missing(
      'patientId',
      `is required for an xds registry check (medlb no longer queries an IHE test affinity domain): add patientId: ` +
        `"<id>^^^&<assigning authority OID>&ISO", ${XDS_PATIENT_ID_RULE}. The registry administrator provides the affinity ` +
        `domain's assigning authority; the id should be a sentinel patient that holds no documents`,
    );
  }
  if (transaction !== 'repository') return [];
  return [
    ...missing(
      'repositoryUniqueId',
      'is required for an xds repository check: add repositoryUniqueId: "<the repository\'s OID>", which the repository administrator provides (its XDS repositoryUniqueId)',
    ),
    ...missing(
      'documentUniqueId',
      'is required for an xds repository check: add documentUniqueId: "<OID>", a document unique id the repository does not hold ' +
        '(it answers XDSDocumentUniqueIdError, which is healthy) in the OID arc the repository administrator assigns',
    ),
  ];
}

/**
 * Problems of a pool's real servers with its check: a server's `serverName` names the certificate to verify,
 * which means nothing unless the check speaks TLS.
 * @param rawPool the service or viewer as written
 * @param protocol the check's protocol, its default resolved
 */
export function realServerCheckProblems(rawPool: UnknownRecord, protocol: string): PoolProblem[] {
  const check = recordAt(rawPool.healthCheck);
  const usesTls = protocol === 'https' || check.tls === true;
  const problems: PoolProblem[] = [];
  const servers = Array.isArray(rawPool.realServers) ? rawPool.realServers : [];
  servers.forEach((server, index) => {
    if (recordAt(server).serverName === undefined || usesTls) return;
    problems.push({
      path: ['realServers', index, 'serverName'],
      message: `names the certificate this server's check verifies, but the service's health check (protocol ${protocol}) does not use TLS: set healthCheck.tls: true, use protocol https, or remove it`,
    });
  });
  return problems;
}

/**
 * What a valid site should still reconsider, printed at synth and never fatal: an HL7 check that sends an
 * admission, order or result every round to every server (contract/check.ts CLINICAL_HL7_MESSAGE_TYPES says why).
 */
export function siteWarnings(site: Site): SiteProblem[] {
  const warnings: SiteProblem[] = [];
  const checks: Array<{ readonly at: PathSegments; readonly check: { readonly protocol: string; readonly messageType?: string } }> = [
    ...site.services.map((service, index) => ({ at: ['services', index], check: service.healthCheck })),
    ...(site.viewer ? [{ at: ['viewer'], check: site.viewer.healthCheck }] : []),
  ];
  for (const { at, check } of checks) {
    const warning = check.protocol === 'hl7' && check.messageType !== undefined ? clinicalMessageTypeWarning(check.messageType) : undefined;
    if (warning) warnings.push({ path: formatPath([...at, 'healthCheck', 'messageType']), message: warning });
  }
  return warnings;
}

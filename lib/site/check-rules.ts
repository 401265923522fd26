/**
 * Health-check rules that reach beyond the check's own options: a real server's `serverName` against its
 * service's check, and the warnings a valid site still deserves (a clinical HL7 message type). The option rules
 * themselves are the contract's (contract/check.ts); validate.ts reports them.
 */
import { clinicalMessageTypeWarning } from '../../contract/check';
import { formatPath, type PathSegments, type SiteProblem } from './problems';
import type { Site } from './schema';

type UnknownRecord = Record<string, unknown>;

function recordAt(value: unknown): UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as UnknownRecord) : {};
}

/** A problem relative to the pool (service or viewer) it was found in. */
interface PoolProblem {
  readonly path: PathSegments;
  readonly message: string;
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
  const pools: Array<[PathSegments, { readonly healthCheck: { readonly protocol: string; readonly messageType?: string } }]> = [
    ...site.services.map((service, index): [PathSegments, typeof service] => [['services', index], service]),
    ...(site.viewer ? [[['viewer'], site.viewer] as [PathSegments, typeof site.viewer]] : []),
  ];
  for (const [path, pool] of pools) {
    const { protocol, messageType } = pool.healthCheck;
    const warning = protocol === 'hl7' && messageType !== undefined ? clinicalMessageTypeWarning(messageType) : undefined;
    if (warning) warnings.push({ path: formatPath([...path, 'healthCheck', 'messageType']), message: warning });
  }
  return warnings;
}

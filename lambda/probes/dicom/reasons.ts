/**
 * Operator-facing wording of the DICOM upper layer's rejection and abort codes (PS3.8 9.3.4, 9.3.8, 9.3.3.2),
 * e.g. "association rejected (rejected-permanent, service-user: called AE title not recognized)".
 * Unknown codes are shown as numbers rather than guessed.
 */
import type { Abort, AssociateReject } from './pdu-parse';

const REJECT_RESULTS: Record<number, string> = {
  1: 'rejected-permanent',
  2: 'rejected-transient',
};

const REJECT_SOURCES: Record<number, string> = {
  1: 'service-user',
  2: 'service-provider (ACSE)',
  3: 'service-provider (presentation)',
};

/** Reject reasons per source (PS3.8 Table 9-21). */
const REJECT_REASONS: Record<number, Record<number, string>> = {
  1: {
    1: 'no reason given',
    2: 'application context name not supported',
    3: 'calling AE title not recognized',
    7: 'called AE title not recognized',
  },
  2: {
    1: 'no reason given',
    2: 'protocol version not supported',
  },
  3: {
    1: 'temporary congestion',
    2: 'local limit exceeded',
  },
};

/** "association rejected (<result>, <source>: <reason>)". */
export function describeAssociateReject(reject: AssociateReject): string {
  const result = REJECT_RESULTS[reject.result] ?? `result ${reject.result}`;
  const source = REJECT_SOURCES[reject.source] ?? `source ${reject.source}`;
  const reason = REJECT_REASONS[reject.source]?.[reject.reason] ?? `reason ${reject.reason}`;
  return `association rejected (${result}, ${source}: ${reason})`;
}

const ABORT_SOURCES: Record<number, string> = {
  0: 'service-user',
  1: 'reserved source 1',
  2: 'service-provider',
};

/** Provider abort reasons (PS3.8 Table 9-26); meaningful only when the source is the service-provider. */
const PROVIDER_ABORT_REASONS: Record<number, string> = {
  0: 'reason not specified',
  1: 'unrecognized PDU',
  2: 'unexpected PDU',
  4: 'unrecognized PDU parameter',
  5: 'unexpected PDU parameter',
  6: 'invalid PDU parameter value',
};

/** "aborted by peer (service-provider: unexpected PDU)" or "aborted by peer (service-user)". */
export function describeAbort(abort: Abort): string {
  const source = ABORT_SOURCES[abort.source] ?? `source ${abort.source}`;
  if (abort.source !== 2) return `aborted by peer (${source})`;
  const reason = PROVIDER_ABORT_REASONS[abort.reason] ?? `reason ${abort.reason}`;
  return `aborted by peer (${source}: ${reason})`;
}

const PRESENTATION_CONTEXT_RESULTS: Record<number, string> = {
  1: 'user rejection',
  2: 'no reason given',
  3: 'abstract syntax not supported',
  4: 'transfer syntaxes not supported',
};

/** "presentation context not accepted (abstract syntax not supported)". */
export function describePresentationContextRejection(result: number): string {
  return `presentation context not accepted (${PRESENTATION_CONTEXT_RESULTS[result] ?? `result ${result}`})`;
}

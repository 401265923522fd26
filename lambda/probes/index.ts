/**
 * The probe library's entry point: `probe(target, check, options)` checks one real server with the protocol the
 * check names. It never throws and never rejects: a bad check, a misbehaving peer or a bug all become
 * `healthy:false` with a reason. Every probe is bounded by `check.timeoutMs` and cancellable through `options.signal`.
 */
import { performance } from 'node:perf_hooks';
import { reasonOf } from './probe-lifecycle';
import { probeDicom } from './dicom';
import { probeHl7 } from './hl7';
import { probeHttp } from './http';
import { probeTcp } from './tcp';
import { PROBE_PROTOCOLS, type CheckSpec, type ProbeOptions, type ProbeProtocol, type ProbeResult, type ProbeTarget } from './types';
import { probeXds } from './xds';

export type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from './types';
export { PROBE_PROTOCOLS } from './types';

type ProbeFunction = (target: ProbeTarget, check: CheckSpec, options?: ProbeOptions) => Promise<ProbeResult>;

const PROBES: Readonly<Record<ProbeProtocol, ProbeFunction>> = {
  tcp: probeTcp,
  dicom: probeDicom,
  hl7: probeHl7,
  xds: probeXds,
  http: probeHttp,
  https: probeHttp,
};

/** Largest timeout accepted: a probe slower than this is no health check (and a typo like 30000000 is caught). */
export const MAX_PROBE_TIMEOUT_MS = 300_000;

/** Problems with a target/check pair that make probing pointless; empty when it can be probed. */
function checkProblems(target: ProbeTarget, check: CheckSpec): string[] {
  const problems: string[] = [];
  if (!PROBE_PROTOCOLS.some((protocol) => protocol === check.protocol)) problems.push(`unknown protocol "${String(check.protocol)}"`);
  if (typeof target.host !== 'string' || target.host.trim() === '') problems.push('target host is empty');
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) problems.push(`target port ${target.port} is not 1-65535`);
  if (!Number.isFinite(check.timeoutMs) || check.timeoutMs <= 0 || check.timeoutMs > MAX_PROBE_TIMEOUT_MS) {
    problems.push(`timeoutMs ${check.timeoutMs} is not in 1-${MAX_PROBE_TIMEOUT_MS}`);
  }
  return problems;
}

/** Checks `target` with `check.protocol`. Resolves within `check.timeoutMs` (plus scheduling slack); never rejects. */
export async function probe(target: ProbeTarget, check: CheckSpec, options?: ProbeOptions): Promise<ProbeResult> {
  const startedAt = performance.now();
  const problems = checkProblems(target, check);
  if (problems.length > 0) return { healthy: false, latencyMs: 0, reason: `invalid check: ${problems.join('; ')}` };
  try {
    return await PROBES[check.protocol](target, check, options);
  } catch (err) {
    // Probes resolve by contract; this is the last line of defence for the "never throws" promise.
    return { healthy: false, latencyMs: Math.round((performance.now() - startedAt) * 10) / 10, reason: reasonOf(err) };
  }
}

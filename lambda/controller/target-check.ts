/**
 * The check the controller runs against one real server: where the probe goes and with which options, and the
 * probe itself, bounded. One builder for the round and for `medlb preflight` (on this machine and inside the
 * deployed controller), so whatever a check gains — a server's own certificate name, its own port, a client
 * certificate — reaches every caller the same way (docs/architecture.md#check-options).
 */
import { performance } from 'node:perf_hooks';
import type { ServiceConfig, TargetConfig } from '../../contract/controller-config';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from '../probes/types';
import { ROUND_DEFAULTS } from './round-defaults';

/** The probe library's entry point (lambda/probes/index.ts), injectable for tests. */
export type ProbeFunction = (target: ProbeTarget, check: CheckSpec, options?: ProbeOptions) => Promise<ProbeResult>;

/** One probe as the controller makes it: the address and port, and the check's options for this server. */
export interface TargetCheck {
  readonly target: ProbeTarget;
  readonly check: CheckSpec;
}

/**
 * The check of `target` in `service`: the service's check, with what the server overrides (contract/controller-config.ts):
 * its own certificate name, and its own port — a server registered on its own port is checked there.
 */
export function targetCheckOf(service: ServiceConfig, target: TargetConfig): TargetCheck {
  const { port, ...check } = service.check;
  return {
    target: { host: target.ip, port: target.port ?? port },
    check: { ...check, ...(target.serverName !== undefined ? { serverName: target.serverName } : {}) },
  };
}

/**
 * Probes `target` of `service` once. Never rejects: a probe that throws, or that has not settled `graceMs`
 * after its own timeout (a bug: probes bound themselves), becomes a failed verdict and is aborted.
 */
export async function probeTarget(
  probe: ProbeFunction,
  service: ServiceConfig,
  target: TargetConfig,
  graceMs: number = ROUND_DEFAULTS.probeGraceMs,
): Promise<ProbeResult> {
  const { target: address, check } = targetCheckOf(service, target);
  const started = performance.now();
  const abandonAfterMs = check.timeoutMs + graceMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ healthy: false, latencyMs: performance.now() - started, reason: `probe did not finish within ${abandonAfterMs} ms` });
    }, abandonAfterMs);
  });
  try {
    return await Promise.race([
      probe(address, check, { signal: controller.signal }).catch(
        (err: unknown): ProbeResult => ({
          healthy: false,
          latencyMs: performance.now() - started,
          reason: `probe error: ${err instanceof Error ? err.message : String(err)}`,
        }),
      ),
      abandoned,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The probe library, loaded on first use so that code paths which never probe (status, overrides) do not pay for it. */
export function loadDefaultProbe(): ProbeFunction {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/consistent-type-assertions -- a lazy load must be a synchronous require; its type is the module's own export
  return (require('../probes') as { probe: ProbeFunction }).probe;
}

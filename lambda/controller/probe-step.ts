/** The round's probe step: every target of every service, concurrently, each bounded and never rejecting. */
import type { ProbeResult } from '../probes/types';
import type { ControllerConfig } from '../../contract/controller-config';
import type { Verdicts } from '../reconcile/reconcile-types';
import { mapConcurrent } from './concurrency';
import { probeTarget, type ProbeFunction } from './target-check';

/** Probes every target of every service, `limit` at a time; a probe never rejects the round. */
export async function probeAll(config: ControllerConfig, probe: ProbeFunction, limit: number): Promise<Verdicts> {
  const jobs = config.services.flatMap((service) => service.targets.map((target) => ({ service, target })));
  const results = await mapConcurrent(jobs, limit, async ({ service, target }) => ({ service, target, result: await probeTarget(probe, service, target) }));
  const verdicts: Record<string, Record<string, ProbeResult>> = {};
  for (const { service, target, result } of results) (verdicts[service.name] ??= {})[target.name] = result;
  return verdicts;
}

/**
 * Which targets a service wants this round (rule 3): eligible ones (no weight 0, no operator override) that are
 * up — all of them for a balanced service, the first in order for a failover one, or the standby still active
 * under manual failback until an operator asks to fail back. Pure.
 */
import type { ServiceConfig } from '../../contract/controller-config';
import type { ResolvedTarget } from './discovery';
import type { OperatorOverride, ServiceState } from './state';

/** The operator override in force for a target: by its name, or (discovered targets) by its `Name` tag. */
export function overrideOf(overrides: ServiceState['overrides'], target: ResolvedTarget): OperatorOverride | undefined {
  return overrides[target.name] ?? (target.nameTag !== undefined ? overrides[target.nameTag] : undefined);
}

/** The targets a service wants this round and what manual failback decided. */
export interface Selection {
  /** Wanted in service, in every target group. */
  readonly desired: readonly ResolvedTarget[];
  /** Manual failback only: the active server after this round. */
  readonly active?: ServiceState['active'];
  /** Manual failback: the first server is up again and waits for `medlb failback`. */
  readonly failbackPendingFor?: string;
  /** An operator's failback request switched the service back this round (for the audit trail). */
  readonly failbackPerformed?: { readonly target: string; readonly reason: string };
}

/** Rule 3 for one service, from its up eligible targets in config order. */
export function selectWanted(service: ServiceConfig, previous: ServiceState, upEligible: readonly ResolvedTarget[], at: string): Selection {
  const manualFailback = service.mode === 'failover' && service.failback === 'manual';
  const failback = manualFailback ? manualFailbackChoice(previous, upEligible) : undefined;
  const desired = service.mode === 'balanced' ? upEligible : failback?.keep ? [failback.keep] : upEligible.slice(0, 1);
  const active = manualFailback ? activeAfter(previous.active, desired[0], at) : undefined;
  const request = previous.failbackRequest;
  const performed =
    failback?.requestHonoured && request !== undefined && desired[0] !== undefined && previous.active?.name !== desired[0].name
      ? { target: desired[0].name, reason: `failback requested by ${request.by} at ${request.at}` }
      : undefined;
  return {
    desired,
    ...(active ? { active } : {}),
    ...(failback?.pendingFor ? { failbackPendingFor: failback.pendingFor } : {}),
    ...(performed ? { failbackPerformed: performed } : {}),
  };
}

/**
 * Manual failback (failover services): keep the active server while it is up and eligible, unless an operator
 * asked for failback after it became active. `pendingFor` names the first server when it waits for that request.
 */
function manualFailbackChoice(
  previous: ServiceState,
  upEligible: readonly ResolvedTarget[],
): { keep?: ResolvedTarget; pendingFor?: string; requestHonoured: boolean } {
  const first = upEligible[0];
  const active = previous.active;
  const current = active === undefined ? undefined : upEligible.find((t) => t.name === active.name);
  const requestHonoured =
    previous.failbackRequest !== undefined && previous.active !== undefined && Date.parse(previous.failbackRequest.at) > Date.parse(previous.active.since);
  if (current === undefined || current === first || requestHonoured) return { requestHonoured };
  return { keep: current, ...(first ? { pendingFor: first.name } : {}), requestHonoured };
}

/** The active server after this round: unchanged while the same one is wanted; none wanted keeps the last one. */
function activeAfter(previous: ServiceState['active'], wanted: ResolvedTarget | undefined, at: string): ServiceState['active'] {
  if (wanted === undefined) return previous;
  return previous?.name === wanted.name ? previous : { name: wanted.name, since: at };
}

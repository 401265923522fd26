/**
 * The reconciler's per-service report (what `medlb status`, the round summary and the metrics show): each
 * target's line, registration and waiting, and the counts (docs/architecture.md#metrics). Pure.
 */
import type { ElbTargetState } from './ports';
import type { ProbeResult } from '../probes/types';
import type { ServiceConfig } from '../../contract/controller-config';
import { healthKeyOf, type ResolvedTarget, type TargetSource } from './discovery';
import type { AuditRecord, OperatorOverride, ServiceState, TargetHealthState } from './state';
import { overrideOf } from './selection';
import { isDraining, isRegistered, observedState, refKey, type ObservedGroup } from './target-groups';
import type {
  AwaitingReplacement,
  ObservedTargetGroups,
  Registration,
  ServiceReport,
  TargetGroupActions,
  TargetGroupMembership,
  TargetGroupRef,
  TargetReport,
} from './reconcile-types';

/** One service's part of a round's result. */
export interface ServiceOutcome {
  readonly state: ServiceState;
  readonly actions: readonly TargetGroupActions[];
  readonly report: ServiceReport;
  readonly audit: readonly AuditRecord[];
}

/** The report fields of a target that do not depend on this round's ELB view. */
function reportedTarget(
  target: ResolvedTarget,
  verdicts: Readonly<Record<string, ProbeResult>>,
  health: TargetHealthState | undefined,
  override: OperatorOverride | undefined,
): Omit<TargetReport, 'registration' | 'targetGroups' | 'desired' | 'inService'> {
  return {
    name: target.name,
    ip: target.ip,
    ...identity(target),
    ...(target.availabilityZone ? { availabilityZone: target.availabilityZone } : {}),
    ...(verdicts[target.name] ? { probe: verdicts[target.name] } : {}),
    up: health?.up ?? false,
    passes: health?.passes ?? 0,
    failures: health?.failures ?? 0,
    ...(override ? { override } : {}),
    drained: target.drained === true,
  };
}

function identity(target: ResolvedTarget): { source: TargetSource; instanceId?: string } {
  return { source: target.source ?? 'static', ...(target.instanceId !== undefined ? { instanceId: target.instanceId } : {}) };
}

/** A service whose target groups could not all be described: no actions, state unchanged, counts unknown. */
export function failedServiceOutcome(
  service: ServiceConfig,
  previous: ServiceState,
  verdicts: Readonly<Record<string, ProbeResult>>,
  isEligible: (target: ResolvedTarget) => boolean,
  error: string,
): ServiceOutcome {
  const serviceTargets: readonly ResolvedTarget[] = service.targets;
  const targets = serviceTargets.map(
    (target): TargetReport => ({
      ...reportedTarget(target, verdicts, previous.targets[healthKeyOf(target)], overrideOf(previous.overrides, target)),
      registration: 'unknown',
      targetGroups: [],
      desired: false,
      inService: false,
    }),
  );
  return {
    state: previous,
    actions: [],
    audit: [],
    report: {
      name: service.name,
      mode: service.mode,
      targets,
      failOpen: false,
      bootstrap: false,
      error,
      keptByFailOpen: [],
      unknownTargets: [],
      pending: [],
      counts: {
        targetsUp: serviceTargets.filter((t) => isEligible(t) && previous.targets[healthKeyOf(t)]?.up === true).length,
        targetsExpected: serviceTargets.filter(isEligible).length,
        targetsInService: null,
        failOpen: null,
        targetsAwaitingHealthy: null,
        targetsRoutable: null,
      },
    },
  };
}

/** What the target lines of a described service are built from. */
export interface TargetReportsInput {
  readonly targets: readonly ResolvedTarget[];
  readonly memberships: ReadonlyMap<string, readonly TargetGroupMembership[]>;
  readonly verdicts: Readonly<Record<string, ProbeResult>>;
  readonly health: Readonly<Record<string, TargetHealthState>>;
  readonly overrides: ServiceState['overrides'];
  readonly desired: ReadonlySet<string>;
  readonly keepsRegistration: (target: ResolvedTarget) => boolean;
  readonly awaitingOf: (key: string) => AwaitingReplacement | undefined;
}

/** Every configured target's line, and the names fail-open keeps registered although not wanted. */
export function targetReports(input: TargetReportsInput): { targets: TargetReport[]; keptByFailOpen: string[] } {
  const keptByFailOpen: string[] = [];
  const targets = input.targets.map((target): TargetReport => {
    const groups = input.memberships.get(target.name) ?? [];
    const registeredCount = groups.filter((m) => isRegistered(m.state)).length;
    const registration: Registration =
      registeredCount === groups.length ? 'registered'
      : registeredCount > 0 ? 'partial'
      : groups.some((m) => isDraining(m.state)) ? 'draining'
      : 'unregistered';
    const isDesired = input.desired.has(target.name);
    const awaiting = input.awaitingOf(target.name);
    const inService = isDesired || (registeredCount > 0 && (input.keepsRegistration(target) || awaiting !== undefined));
    if (!isDesired && awaiting === undefined && inService) keptByFailOpen.push(target.name);
    return {
      ...reportedTarget(target, input.verdicts, input.health[healthKeyOf(target)], overrideOf(input.overrides, target)),
      registration,
      targetGroups: groups,
      desired: isDesired,
      inService,
      ...(awaiting ? { awaiting } : {}),
    };
  });
  return { targets, keptByFailOpen };
}

/**
 * `TargetsRoutable`: targets in service after the round that ELB reports `healthy` in every group, plus
 * addresses not in the config that stay and are healthy in every group.
 */
export function routableCount(
  targets: readonly TargetReport[],
  actions: readonly TargetGroupActions[],
  unknownTargets: readonly (TargetGroupRef & { readonly state: ElbTargetState })[],
  groups: readonly ObservedGroup[],
  observed: ObservedTargetGroups,
): number {
  const routableTargets = targets.filter((t) => t.inService && t.targetGroups.every((m) => m.state === 'healthy')).length;
  const deregistered = new Set(actions.flatMap((a) => a.deregister.map((r) => `${a.targetGroupArn} ${refKey(r.ip, r.port)}`)));
  const routableUnknown = new Set(
    unknownTargets
      .filter((u) => !deregistered.has(`${u.targetGroupArn} ${refKey(u.ip, u.port)}`))
      .map((u) => u.ip)
      .filter((ip) => groups.every(({ tg }) => observedState(observed, { targetGroupArn: tg.arn, ip, port: tg.port }) === 'healthy')),
  ).size;
  return routableTargets + routableUnknown;
}

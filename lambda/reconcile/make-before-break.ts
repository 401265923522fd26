/**
 * The ELB writes of one service and make before break (rule 6a, docs/architecture.md#make-before-break): every
 * wanted target is registered in every group; a registered target that still passes but is no longer wanted
 * leaves a group only once a wanted target is `healthy` there in ELB (a failover service: in every group), or
 * when nothing is wanted at all. Until then it is kept as a pending deregistration. Pure.
 */
import type { ElbTargetState, TargetRef } from './ports';
import type { ServiceConfig } from '../../contract/controller-config';
import type { ResolvedTarget } from './discovery';
import { CONTROLLER_ACTOR, type AuditRecord, type ServiceState } from './state';
import { isRegistered, observedState, refKey, registrationPortOf, targetRef, type ObservedGroup } from './target-groups';
import type { AwaitingReplacement, ObservedTargetGroups, PendingDeregistration, TargetGroupActions, TargetGroupRef } from './reconcile-types';

/** What planning a service's writes needs. */
export interface SwitchPlanInput {
  readonly service: ServiceConfig;
  /** The service's configured (static and discovered) targets. */
  readonly targets: readonly ResolvedTarget[];
  /** Every target group of the service, as described this round. */
  readonly groups: readonly ObservedGroup[];
  readonly observed: ObservedTargetGroups;
  /** Wanted in service this round (selection.ts). */
  readonly desired: readonly ResolvedTarget[];
  /** Whether a configured target keeps its registration (wanted, or kept by fail-open). */
  readonly keepsRegistration: (target: ResolvedTarget) => boolean;
  /** Whether a configured target that must leave waits for its replacement: it is up and not halted. */
  readonly plannedRemoval: (target: ResolvedTarget) => boolean;
  /** The service's switches still waiting after the previous round. */
  readonly previousPending: NonNullable<ServiceState['pending']>;
  /** Keep registered targets that are not in the config (discovery failed). */
  readonly holdUnknown: boolean;
  readonly makeBeforeBreak: boolean;
  /** The round's time, ISO 8601. */
  readonly at: string;
}

/** The writes of a service and the deregistrations kept waiting. */
export interface SwitchPlan {
  readonly actions: readonly TargetGroupActions[];
  /** Registered targets that are not in the config, per target group. */
  readonly unknownTargets: readonly (TargetGroupRef & { readonly state: ElbTargetState })[];
  readonly pending: readonly PendingDeregistration[];
  /** What a kept target (its name, or its ip when not in the config) waits for; undefined when not kept. */
  readonly awaitingOf: (key: string) => AwaitingReplacement | undefined;
}

/** True when every address of one of the replacements is `healthy` in `observed` (rule 6a). */
export function replacementIsHealthy(
  replacements: PendingDeregistration['replacements'],
  stateOf: (ref: TargetGroupRef) => ElbTargetState | 'unregistered',
): boolean {
  return replacements.some((r) => r.addresses.length > 0 && r.addresses.every((a) => stateOf(a) === 'healthy'));
}

/** Plans one service's registrations and deregistrations, making before breaking. */
export function planSwitches(input: SwitchPlanInput): SwitchPlan {
  const { service, groups, desired, previousPending, makeBeforeBreak, at } = input;
  const addressesOf = (target: ResolvedTarget, inGroups: readonly { tg: { arn: string; port: number } }[]): TargetGroupRef[] =>
    inGroups.map(({ tg }) => ({ targetGroupArn: tg.arn, ip: target.ip, port: registrationPortOf(target, tg) }));
  // A failover service switches as a whole: its replacement must be healthy in every target group.
  const replacementsIn = (group: ObservedGroup): PendingDeregistration['replacements'] =>
    desired.map((t) => ({ name: t.name, addresses: addressesOf(t, service.mode === 'failover' ? groups : [group]) }));
  const stateOf = (ref: TargetGroupRef): ElbTargetState | 'unregistered' => observedState(input.observed, ref);
  const pendingByKey = new Map<string, PendingDeregistration>();
  const keep = (key: string, leave: PendingDeregistration['leave'][number], replacements: PendingDeregistration['replacements']): void => {
    const existing = pendingByKey.get(key);
    if (existing) {
      pendingByKey.set(key, { ...existing, leave: [...existing.leave, leave] });
      return;
    }
    pendingByKey.set(key, { service: service.name, target: key, leave: [leave], replacements, since: previousPending[key]?.since ?? at });
  };
  /** Whether a registered target that is no longer wanted may leave this group now. */
  const mayLeave = (plannedRemoval: boolean, group: ObservedGroup): boolean =>
    !makeBeforeBreak || !plannedRemoval || desired.length === 0 || replacementIsHealthy(replacementsIn(group), stateOf);

  const actions: TargetGroupActions[] = [];
  const unknownTargets: (TargetGroupRef & { state: ElbTargetState })[] = [];
  for (const group of groups) {
    const { tg, list, byKey } = group;
    const register = desired
      .filter((t) => !isRegistered(byKey.get(refKey(t.ip, registrationPortOf(t, tg))) ?? 'unregistered'))
      .map((t) => targetRef(t, registrationPortOf(t, tg)));
    const configuredByKey = new Map(input.targets.map((t) => [refKey(t.ip, registrationPortOf(t, tg)), t] as const));
    const deregister: TargetRef[] = [];
    for (const observed of list) {
      if (!isRegistered(observed.state)) continue;
      const target = configuredByKey.get(refKey(observed.ip, observed.port));
      if (target === undefined) {
        unknownTargets.push({ targetGroupArn: tg.arn, ip: observed.ip, port: observed.port, state: observed.state });
        if (input.holdUnknown) continue;
        // Not probed: it counts as passing while ELB reports it healthy.
        const ref = { ip: observed.ip, port: observed.port };
        if (mayLeave(observed.state === 'healthy', group)) deregister.push(ref);
        else keep(observed.ip, { targetGroupArn: tg.arn, ...ref }, replacementsIn(group));
      } else if (!input.keepsRegistration(target)) {
        // Down targets and an operator halt leave at once; everything else waits for its replacement.
        const ref = targetRef(target, registrationPortOf(target, tg));
        if (mayLeave(input.plannedRemoval(target), group)) deregister.push(ref);
        else keep(target.name, { targetGroupArn: tg.arn, ...ref }, replacementsIn(group));
      }
    }
    if (register.length > 0 || deregister.length > 0) {
      actions.push({ service: service.name, targetGroupArn: tg.arn, register, deregister });
    }
  }
  const awaitingOf = (key: string): AwaitingReplacement | undefined => {
    const entry = pendingByKey.get(key);
    if (entry === undefined) return undefined;
    return {
      since: entry.since,
      replacements: entry.replacements.map((r) => ({
        name: r.name,
        states: r.addresses.map((a) => ({ targetGroupArn: a.targetGroupArn, port: a.port, state: stateOf(a) })),
      })),
    };
  };
  return { actions, unknownTargets, pending: [...pendingByKey.values()], awaitingOf };
}

/** Audit records of the switches this round started waiting for, and of those that no longer wait. */
export function switchAudit(
  service: string,
  pending: readonly PendingDeregistration[],
  previousPending: NonNullable<ServiceState['pending']>,
  now: Date,
): AuditRecord[] {
  const when = now.toISOString();
  const record = (target: string, reason: string): AuditRecord => ({ who: CONTROLLER_ACTOR, when, action: 'switch', service, target, reason });
  const audit: AuditRecord[] = [];
  for (const entry of pending.filter((p) => previousPending[p.target] === undefined)) {
    audit.push(record(entry.target, `kept registered until ${entry.replacements.map((r) => r.name).join(' or ')} is healthy in ELB (make before break)`));
  }
  const stillPending = new Set(pending.map((p) => p.target));
  for (const [key, entry] of Object.entries(previousPending)) {
    if (stillPending.has(key)) continue;
    const waitedSeconds = Math.round((now.getTime() - Date.parse(entry.since)) / 1000);
    audit.push(record(key, `no longer kept after ${waitedSeconds} s (replacement healthy in ELB, or nothing left to wait for)`));
  }
  return audit;
}

/**
 * The reconciler: ONE pure function that decides a round (docs/architecture.md#reconcile-rules, rules 2–6a).
 *
 *   (config, probe verdicts, stored state, observed target health, now)
 *     → (new state, register/deregister actions per target group, report per service, audit records)
 *
 * It performs no I/O and never calls AWS: the round runner (lambda/controller/round.ts) probes, describes the
 * target groups, calls `reconcile`, then applies the actions (every `register` of a round before any
 * `deregister`, so failover failback and replacements never leave a group empty) and saves `state`.
 *
 * Rules, per service:
 * - Rise/fall: a pass adds to `passes` and zeroes `failures` (and vice versa); a down target comes up after
 *   `rise` consecutive passes, an up target goes down after `fall` consecutive failures. A missing verdict
 *   counts as a failure ("not probed").
 * - No history: a target without stored state starts up if it is registered (any state but draining) in any
 *   of its service's target groups, down otherwise.
 * - Bootstrap: while no configured target is in service (registered, not draining, in any of the service's
 *   target groups) before the round, one pass brings a target up.
 * - Eligible = not `drained: true` in the config and without an operator override (drain/halt).
 *   Desired: balanced → every up eligible target; failover → the first up eligible target in config order.
 * - Fail-open: when there are eligible targets but none is up, registered eligible targets are kept (nothing
 *   is registered); reported as `failOpen` (metric FailOpen=1), not as an error. Overridden and weight-0
 *   targets are still removed (the operator is obeyed even if that empties the group).
 * - The controller owns its target groups: a `draining` target counts as not registered (never deregistered
 *   again, registered again if desired); a registered target that is not in the config (ip at the group's
 *   port) is deregistered; every desired target is registered in every target group at that group's port.
 * - A service whose target groups could not all be described gets `error`, no actions and unchanged state;
 *   the other services proceed.
 * - Make before break (rule 6a): a registered target that still passes its checks but is no longer wanted
 *   (failback, operator drain, weight 0, removed from the config or from discovery, a stray) is deregistered only
 *   once a wanted target is `healthy` in ELB — per target group for balanced services; for failover services in
 *   every target group of the service, so the ports never point at different servers — or when there is no wanted
 *   target at all. Until then it is kept and reported as awaiting (`pending` in the state keeps "since when").
 *   A target that is down (failed `fall` checks), an operator `halt`, and a target unknown to the config that
 *   ELB does not report `healthy` leave at once.
 * - Nothing to change → no action entries at all (so the runner makes no write call).
 * - Operator overrides are carried through unchanged (only lambda/reconcile/overrides.ts changes them).
 * - Discovered targets (lambda/reconcile/discovery.ts; the round appends them to the config) follow the same
 *   rules; their counters are kept under their instance id, overrides apply by name or by `Name` tag, and the
 *   service's last known discovered set is carried through. For a service in `holdUnknownTargets` (its EC2
 *   discovery failed) registered targets that are not in the config are kept: they may be instances EC2
 *   could not tell us about, and a failed API call must never empty a pool.
 */
import type { ProbeResult } from '../probes/types';
import type { ServiceConfig } from '../../contract/controller-config';
import { healthKeyOf, type ResolvedTarget } from './discovery';
import { CONTROLLER_ACTOR, STATE_VERSION, serviceState, type AuditAction, type AuditRecord, type ServiceState, type TargetHealthState } from './state';
import { describeError, isRegistered, membershipOf, observedGroupsOf } from './target-groups';
import { overrideOf, selectWanted } from './selection';
import { planSwitches, switchAudit } from './make-before-break';
import { failedServiceOutcome, routableCount, targetReports, type ServiceOutcome } from './service-report';
import type { ReconcileInput, ReconcileResult, ServiceReport, TargetGroupActions } from './reconcile-types';

function log(audit: AuditRecord[], when: string, service: string, target: string, action: AuditAction, reason: string): void {
  audit.push({ who: CONTROLLER_ACTOR, when, action, service, target, reason });
}

/** Decides one round. Pure: same input, same output; never throws for bad observations (they become errors). */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const services: Record<string, ServiceState> = {};
  const actions: TargetGroupActions[] = [];
  const reports: ServiceReport[] = [];
  const audit: AuditRecord[] = [];
  for (const service of input.config.services) {
    const outcome = reconcileService(service, input);
    services[service.name] = outcome.state;
    actions.push(...outcome.actions);
    reports.push(outcome.report);
    audit.push(...outcome.audit);
  }
  return { state: { version: STATE_VERSION, services }, actions, services: reports, audit, pending: reports.flatMap((r) => r.pending) };
}

function reconcileService(service: ServiceConfig, input: ReconcileInput): ServiceOutcome {
  const previous = serviceState(input.state, service.name);
  const verdicts = input.verdicts[service.name] ?? {};
  const serviceTargets: readonly ResolvedTarget[] = service.targets;
  const isEligible = (target: ResolvedTarget): boolean => !target.drained && overrideOf(previous.overrides, target) === undefined;
  const targetsExpected = serviceTargets.filter(isEligible).length;

  const error = describeError(service, input.observed);
  if (error !== undefined) return failedServiceOutcome(service, previous, verdicts, isEligible, error);

  const observedByGroup = observedGroupsOf(service, input.observed);
  const memberships = new Map(serviceTargets.map((t) => [t.name, membershipOf(t, observedByGroup)] as const));
  const registeredAnywhere = (target: ResolvedTarget): boolean => (memberships.get(target.name) ?? []).some((m) => isRegistered(m.state));
  const bootstrap = !serviceTargets.some(registeredAnywhere);

  // Rise/fall.
  const at = input.now.toISOString();
  const audit: AuditRecord[] = [];
  const health: Record<string, TargetHealthState> = {};
  for (const target of serviceTargets) {
    const key = healthKeyOf(target);
    const stored = previous.targets[key];
    const movedFrom = stored?.ip !== undefined && stored.ip !== target.ip ? stored.ip : undefined;
    const withoutHistory = { passes: 0, failures: 0, up: registeredAnywhere(target) };
    if (movedFrom !== undefined && stored?.up === true && !withoutHistory.up) {
      log(audit, at, service.name, target.name, 'down', `address changed from ${movedFrom} to ${target.ip}: the new address must pass rise`);
    }
    const before = stored !== undefined && movedFrom === undefined ? stored : withoutHistory;
    const verdict: ProbeResult | undefined = verdicts[target.name];
    const healthy = verdict?.healthy === true;
    const passes = healthy ? before.passes + 1 : 0;
    const failures = healthy ? 0 : before.failures + 1;
    const up = healthy ? before.up || passes >= service.rise || bootstrap : before.up && failures < service.fall;
    const reason = verdict?.reason ?? 'not probed';
    health[key] = { passes, failures, up, lastProbe: { healthy, reason, latencyMs: verdict?.latencyMs ?? 0, at }, ip: target.ip };
    if (up !== before.up) {
      const why = up
        ? bootstrap && passes < service.rise
          ? `bootstrap: passed once while no target was in service (${reason})`
          : `${passes} consecutive passes (${reason})`
        : `${failures} consecutive failures (${reason})`;
      log(audit, at, service.name, target.name, up ? 'up' : 'down', why);
    }
  }

  // Desired set and fail-open.
  // `health` has an entry for every target of the service (filled above).
  const isUp = (target: ResolvedTarget): boolean => health[healthKeyOf(target)]?.up === true;
  const upEligible = serviceTargets.filter((t) => isEligible(t) && isUp(t));
  const selection = selectWanted(service, previous, upEligible, at);
  const desiredTargets = selection.desired;
  if (selection.failbackPerformed) log(audit, at, service.name, selection.failbackPerformed.target, 'failback', selection.failbackPerformed.reason);
  const desired = new Set(desiredTargets.map((t) => t.name));
  const failOpen = targetsExpected > 0 && upEligible.length === 0;
  const keepsRegistration = (target: ResolvedTarget): boolean => desired.has(target.name) || (failOpen && isEligible(target));

  // Actions per target group, making before breaking (rule 6a).
  const previousPending = previous.pending ?? {};
  const holdUnknown = input.holdUnknownTargets?.has(service.name) === true;
  const plan = planSwitches({
    service,
    targets: serviceTargets,
    groups: observedByGroup,
    observed: input.observed,
    desired: desiredTargets,
    keepsRegistration,
    plannedRemoval: (target) => isUp(target) && overrideOf(previous.overrides, target)?.action !== 'halt',
    previousPending,
    holdUnknown,
    makeBeforeBreak: input.makeBeforeBreak ?? true,
    at,
  });
  const { actions, unknownTargets, pending, awaitingOf } = plan;
  const reportedUnknown = unknownTargets.map((u) => {
    const awaiting = awaitingOf(u.ip);
    return awaiting ? { ...u, awaiting } : u;
  });
  audit.push(...switchAudit(service.name, pending, previousPending, input.now));

  const { targets, keptByFailOpen } = targetReports({
    targets: serviceTargets,
    memberships,
    verdicts,
    health,
    overrides: previous.overrides,
    desired,
    keepsRegistration,
    awaitingOf,
  });

  return {
    state: {
      targets: health,
      overrides: previous.overrides,
      ...(previous.discovery ? { discovery: previous.discovery } : {}),
      ...(pending.length > 0 ? { pending: Object.fromEntries(pending.map((p) => [p.target, { since: p.since, replacements: p.replacements.map((r) => r.name) }])) } : {}),
      ...(selection.active ? { active: selection.active } : {}),
      ...(previous.failbackRequest ? { failbackRequest: previous.failbackRequest } : {}),
    },
    actions,
    audit,
    report: {
      name: service.name,
      mode: service.mode,
      targets,
      failOpen,
      bootstrap,
      keptByFailOpen,
      ...(selection.failbackPendingFor ? { failbackPending: `${selection.failbackPendingFor} recovered, failback pending: \`medlb failback ${service.name}\` performs it (made before break)` } : {}),
      unknownTargets: reportedUnknown,
      pending,
      ...(holdUnknown && unknownTargets.length > 0 ? { heldUnknownTargets: true } : {}),
      counts: {
        targetsUp: upEligible.length,
        targetsExpected,
        targetsInService: targets.filter((t) => t.inService).length,
        failOpen: failOpen ? 1 : 0,
        targetsAwaitingHealthy: pending.length,
        targetsRoutable: routableCount(targets, actions, unknownTargets, observedByGroup, input.observed),
      },
    },
  };
}

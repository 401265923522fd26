/**
 * The reconciler: ONE pure function that decides a round (DESIGN.md §3.2 rules 2–5).
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
import type { ElbTargetState, ObservedTarget, TargetRef } from './ports';
import type { ProbeResult } from '../probes/types';
import type { ControllerConfig, ServiceConfig, ServiceMode } from '../../contract/controller-config';
import { healthKeyOf, type ResolvedTarget, type TargetSource } from './discovery';
import {
  CONTROLLER_ACTOR,
  STATE_VERSION,
  serviceState,
  type AuditAction,
  type AuditRecord,
  type ControllerState,
  type OperatorOverride,
  type ServiceState,
  type TargetHealthState,
} from './state';

/** Probe verdicts of a round: service name → target name → result. */
export type Verdicts = Readonly<Record<string, Readonly<Record<string, ProbeResult>>>>;

/** A target group that could not be described this round (e.g. TargetGroupNotFound). */
export interface ObservationError {
  readonly error: string;
}

/**
 * What DescribeTargetHealth returned, keyed by target-group ARN: the registered targets, or an
 * `ObservationError`. A target group of the config that is missing here counts as an error too.
 */
export type ObservedTargetGroups = Readonly<Record<string, readonly ObservedTarget[] | ObservationError>>;

/** Everything one round decides from. */
export interface ReconcileInput {
  readonly config: ControllerConfig;
  readonly verdicts: Verdicts;
  readonly state: ControllerState;
  readonly observed: ObservedTargetGroups;
  /** The round's time (stamped on last probes and audit records). */
  readonly now: Date;
  /** Services whose registered targets that are not in the config are kept this round (discovery failed). */
  readonly holdUnknownTargets?: ReadonlySet<string>;
  /**
   * Rule 6a. Off only to show what breaks without it (the traffic model's control experiment). @default true
   */
  readonly makeBeforeBreak?: boolean;
}

/** One address of a target in one target group, as DescribeTargetHealth names it. */
export interface TargetGroupRef {
  readonly targetGroupArn: string;
  readonly ip: string;
  readonly port: number;
}

/**
 * A planned deregistration waiting for a replacement (rule 6a): `leave` is deregistered as soon as every
 * address of any one replacement is `healthy` in ELB.
 */
export interface PendingDeregistration {
  readonly service: string;
  /** The target kept: its name, or its ip when it is not in the config. */
  readonly target: string;
  readonly leave: readonly (TargetGroupRef & { readonly availabilityZone?: string })[];
  readonly replacements: readonly { readonly name: string; readonly addresses: readonly TargetGroupRef[] }[];
  /** ISO 8601 time of the first round that kept it. */
  readonly since: string;
}

/** What a kept target waits for, as the report shows it. */
export interface AwaitingReplacement {
  /** ISO 8601 time of the first round that kept it. */
  readonly since: string;
  /** The replacements and their ELB states per target group. */
  readonly replacements: readonly { readonly name: string; readonly states: readonly TargetGroupMembership[] }[];
}

/** ELB writes for one target group. Only present when at least one list is non-empty. Apply `register` first. */
export interface TargetGroupActions {
  readonly service: string;
  readonly targetGroupArn: string;
  readonly register: readonly TargetRef[];
  readonly deregister: readonly TargetRef[];
}

/**
 * A target's registration as observed before the round, across its service's target groups:
 * registered in all / in some / only draining / in none; `unknown` when the service could not be described.
 */
export type Registration = 'registered' | 'partial' | 'draining' | 'unregistered' | 'unknown';

/** A target's ELB state in one target group (`unregistered` when DescribeTargetHealth did not list it). */
export interface TargetGroupMembership {
  readonly targetGroupArn: string;
  readonly port: number;
  readonly state: ElbTargetState | 'unregistered';
}

/** Per-target line of the report (what `medlb status` and the round summary show). */
export interface TargetReport {
  readonly name: string;
  readonly ip: string;
  /** `static`, or how a discovered instance matched (`instance-id` / `tags`). */
  readonly source: TargetSource;
  /** Discovered targets only. */
  readonly instanceId?: string;
  readonly availabilityZone?: string;
  /** This round's verdict; undefined when the target was not probed. */
  readonly probe?: ProbeResult;
  /** After this round's rise/fall. */
  readonly up: boolean;
  readonly passes: number;
  readonly failures: number;
  /** Observed before the round. */
  readonly registration: Registration;
  /** Observed before the round, per target group (empty when the service could not be described). */
  readonly targetGroups: readonly TargetGroupMembership[];
  /** Operator drain/halt in force. */
  readonly override?: OperatorOverride;
  /** `drained: true` in the config (weight 0). */
  readonly drained: boolean;
  /** Wanted in service this round (in every target group). */
  readonly desired: boolean;
  /** Registered (not draining) in at least one target group once the actions are applied. */
  readonly inService: boolean;
  /** Kept registered until a replacement is healthy in ELB (rule 6a). */
  readonly awaiting?: AwaitingReplacement;
}

/** The §3.4 per-service metric values of a round; `null` when unknown because the service failed. */
export interface ServiceCounts {
  /** Eligible targets (see `targetsExpected`) that are up after rise/fall. */
  readonly targetsUp: number;
  /** Configured targets that are neither `drained` (weight 0) nor drained/halted by an operator. */
  readonly targetsExpected: number;
  /** Configured targets registered (not draining) in the service's target groups after the round. */
  readonly targetsInService: number | null;
  /** 1 when fail-open keeps registrations (no eligible target is up), else 0. */
  readonly failOpen: 0 | 1 | null;
  /** Targets kept registered only because their replacement is not yet `healthy` in ELB (rule 6a). */
  readonly targetsAwaitingHealthy: number | null;
  /** Targets in service after the round that ELB reports `healthy` in every target group: what takes new connections. */
  readonly targetsRoutable: number | null;
}

/** Per-service result of a round. */
export interface ServiceReport {
  readonly name: string;
  readonly mode: ServiceMode;
  readonly targets: readonly TargetReport[];
  /** No eligible target is up: registrations were kept (rule 4). */
  readonly failOpen: boolean;
  /** No configured target was in service before the round: one pass brought targets up. */
  readonly bootstrap: boolean;
  /** Why the service was skipped (e.g. a target group could not be described). */
  readonly error?: string;
  /** Target names whose registrations fail-open kept although they are not desired. */
  readonly keptByFailOpen: readonly string[];
  /** Manual failback: the first server is up again but the service stays on the standby until `medlb failback`. */
  readonly failbackPending?: string;
  /** Registered targets that are not in the config (ip:port per target group): deregistered, unless held or awaiting. */
  readonly unknownTargets: readonly (TargetGroupRef & { readonly state: ElbTargetState; readonly awaiting?: AwaitingReplacement })[];
  /** Planned deregistrations waiting for a replacement to be healthy in ELB (rule 6a). */
  readonly pending: readonly PendingDeregistration[];
  readonly counts: ServiceCounts;
  /** Unknown targets were kept rather than deregistered (discovery failed this round). */
  readonly heldUnknownTargets?: boolean;
}

/** Everything a round decided. */
export interface ReconcileResult {
  /** Save this (unless dry-run). Services absent from the config are dropped. */
  readonly state: ControllerState;
  /** Only target groups with something to do; empty when nothing changes. */
  readonly actions: readonly TargetGroupActions[];
  /** One per configured service, in config order. */
  readonly services: readonly ServiceReport[];
  /** Up/down transitions and completed switches of this round (who = `medlb-controller`). */
  readonly audit: readonly AuditRecord[];
  /** Every service's planned deregistrations still waiting (the runner follows them between rounds). */
  readonly pending: readonly PendingDeregistration[];
}

/**
 * True for a target on its way out (deregistered, draining: counts as not registered). `unhealthy.draining` is
 * not: it is a registered target that failed the NLB's own check and keeps its open connections because the
 * target group does not terminate them (docs/architecture.md) — still registered, so a down one is deregistered.
 */
export function isDraining(state: ElbTargetState | 'unregistered'): boolean {
  return state === 'draining';
}

/** True when the target is registered and not draining. */
export function isRegistered(state: ElbTargetState | 'unregistered'): boolean {
  return state !== 'unregistered' && !isDraining(state);
}

function log(audit: AuditRecord[], when: string, service: string, target: string, action: AuditAction, reason: string): void {
  audit.push({ who: CONTROLLER_ACTOR, when, action, service, target, reason });
}

function refKey(ip: string, port: number): string {
  return `${ip}:${port}`;
}

function targetRef(target: ResolvedTarget, port: number): TargetRef {
  return target.availabilityZone ? { ip: target.ip, port, availabilityZone: target.availabilityZone } : { ip: target.ip, port };
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

/** True when every address of one of the replacements is `healthy` in `observed` (rule 6a). */
export function replacementIsHealthy(
  replacements: PendingDeregistration['replacements'],
  stateOf: (ref: TargetGroupRef) => ElbTargetState | 'unregistered',
): boolean {
  return replacements.some((r) => r.addresses.length > 0 && r.addresses.every((a) => stateOf(a) === 'healthy'));
}

/** The ELB state of an address in observations (`unregistered` when not listed or not described). */
export function observedState(observed: ObservedTargetGroups, ref: TargetGroupRef): ElbTargetState | 'unregistered' {
  const list = observed[ref.targetGroupArn];
  if (!Array.isArray(list)) return 'unregistered';
  return (list as readonly ObservedTarget[]).find((o) => o.ip === ref.ip && o.port === ref.port)?.state ?? 'unregistered';
}

interface ServiceOutcome {
  readonly state: ServiceState;
  readonly actions: readonly TargetGroupActions[];
  readonly report: ServiceReport;
  readonly audit: readonly AuditRecord[];
}

function describeError(service: ServiceConfig, observed: ObservedTargetGroups): string | undefined {
  const problems: string[] = [];
  for (const tg of service.targetGroups) {
    const seen = observed[tg.arn];
    if (seen === undefined) problems.push(`target group ${tg.arn} was not described`);
    else if (!Array.isArray(seen)) problems.push(`target group ${tg.arn}: ${(seen as ObservationError).error}`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** The operator override in force for a target: by its name, or (discovered targets) by its `Name` tag. */
export function overrideOf(overrides: ServiceState['overrides'], target: ResolvedTarget): OperatorOverride | undefined {
  return overrides[target.name] ?? (target.nameTag !== undefined ? overrides[target.nameTag] : undefined);
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
  const current = previous.active === undefined ? undefined : upEligible.find((t) => t.name === previous.active!.name);
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

function reconcileService(service: ServiceConfig, input: ReconcileInput): ServiceOutcome {
  const previous = serviceState(input.state, service.name);
  const verdicts = input.verdicts[service.name] ?? {};
  const serviceTargets = service.targets as readonly ResolvedTarget[];
  const isEligible = (target: ResolvedTarget): boolean => !target.drained && overrideOf(previous.overrides, target) === undefined;
  const targetsExpected = serviceTargets.filter(isEligible).length;

  const error = describeError(service, input.observed);
  if (error !== undefined) {
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
          targetsExpected,
          targetsInService: null,
          failOpen: null,
          targetsAwaitingHealthy: null,
          targetsRoutable: null,
        },
      },
    };
  }

  // Observed membership: per target group, ip:port → ELB state.
  const observedByGroup = service.targetGroups.map((tg) => {
    const list = input.observed[tg.arn] as readonly ObservedTarget[];
    return { tg, list, byKey: new Map(list.map((o) => [refKey(o.ip, o.port), o.state] as const)) };
  });
  const membership = (target: ResolvedTarget): TargetGroupMembership[] =>
    observedByGroup.map(({ tg, byKey }) => ({
      targetGroupArn: tg.arn,
      port: tg.port,
      state: byKey.get(refKey(target.ip, tg.port)) ?? 'unregistered',
    }));
  const memberships = new Map(serviceTargets.map((t) => [t.name, membership(t)] as const));
  const registeredAnywhere = (target: ResolvedTarget): boolean => memberships.get(target.name)!.some((m) => isRegistered(m.state));
  const bootstrap = !serviceTargets.some(registeredAnywhere);

  // Rise/fall.
  const at = input.now.toISOString();
  const audit: AuditRecord[] = [];
  const health: Record<string, TargetHealthState> = {};
  for (const target of serviceTargets) {
    const key = healthKeyOf(target);
    const before = previous.targets[key] ?? { passes: 0, failures: 0, up: registeredAnywhere(target) };
    const verdict = verdicts[target.name];
    const healthy = verdict?.healthy === true;
    const passes = healthy ? before.passes + 1 : 0;
    const failures = healthy ? 0 : before.failures + 1;
    const up = healthy ? before.up || passes >= service.rise || bootstrap : before.up && failures < service.fall;
    const reason = verdict?.reason ?? 'not probed';
    health[key] = { passes, failures, up, lastProbe: { healthy, reason, latencyMs: verdict?.latencyMs ?? 0, at } };
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
  const upEligible = serviceTargets.filter((t) => isEligible(t) && health[healthKeyOf(t)]!.up);
  const manualFailback = service.mode === 'failover' && service.failback === 'manual';
  const failback = manualFailback ? manualFailbackChoice(previous, upEligible) : undefined;
  const desiredTargets = service.mode === 'balanced' ? upEligible : failback?.keep ? [failback.keep] : upEligible.slice(0, 1);
  const active = manualFailback ? activeAfter(previous.active, desiredTargets[0], at) : undefined;
  if (failback?.requestHonoured && desiredTargets[0] !== undefined && previous.active?.name !== desiredTargets[0].name) {
    log(audit, at, service.name, desiredTargets[0].name, 'failback', `failback requested by ${previous.failbackRequest!.by} at ${previous.failbackRequest!.at}`);
  }
  const desired = new Set(desiredTargets.map((t) => t.name));
  const failOpen = targetsExpected > 0 && upEligible.length === 0;
  const keepsRegistration = (target: ResolvedTarget): boolean => desired.has(target.name) || (failOpen && isEligible(target));

  // Actions per target group, making before breaking (rule 6a).
  const makeBeforeBreak = input.makeBeforeBreak ?? true;
  const previousPending = previous.pending ?? {};
  const addressesOf = (target: ResolvedTarget, groups: readonly { tg: { arn: string; port: number } }[]): TargetGroupRef[] =>
    groups.map(({ tg }) => ({ targetGroupArn: tg.arn, ip: target.ip, port: tg.port }));
  // A failover service switches as a whole: its replacement must be healthy in every target group.
  const replacementsIn = (group: (typeof observedByGroup)[number]): PendingDeregistration['replacements'] =>
    desiredTargets.map((t) => ({ name: t.name, addresses: addressesOf(t, service.mode === 'failover' ? observedByGroup : [group]) }));
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
  const mayLeave = (plannedRemoval: boolean, group: (typeof observedByGroup)[number]): boolean =>
    !makeBeforeBreak || !plannedRemoval || desiredTargets.length === 0 || replacementIsHealthy(replacementsIn(group), stateOf);

  const actions: TargetGroupActions[] = [];
  const unknownTargets: (TargetGroupRef & { state: ElbTargetState })[] = [];
  const holdUnknown = input.holdUnknownTargets?.has(service.name) === true;
  for (const group of observedByGroup) {
    const { tg, list, byKey } = group;
    const register = desiredTargets
      .filter((t) => !isRegistered(byKey.get(refKey(t.ip, tg.port)) ?? 'unregistered'))
      .map((t) => targetRef(t, tg.port));
    const configuredByKey = new Map(serviceTargets.map((t) => [refKey(t.ip, tg.port), t] as const));
    const deregister: TargetRef[] = [];
    for (const observed of list) {
      if (!isRegistered(observed.state)) continue;
      const target = configuredByKey.get(refKey(observed.ip, observed.port));
      if (target === undefined) {
        unknownTargets.push({ targetGroupArn: tg.arn, ip: observed.ip, port: observed.port, state: observed.state });
        if (holdUnknown) continue;
        // Not probed: it counts as passing while ELB reports it healthy.
        const ref = { ip: observed.ip, port: observed.port };
        if (mayLeave(observed.state === 'healthy', group)) deregister.push(ref);
        else keep(observed.ip, { targetGroupArn: tg.arn, ...ref }, replacementsIn(group));
      } else if (!keepsRegistration(target)) {
        // Down targets and an operator halt leave at once; everything else waits for its replacement.
        const planned = health[healthKeyOf(target)]!.up && overrideOf(previous.overrides, target)?.action !== 'halt';
        const ref = targetRef(target, tg.port);
        if (mayLeave(planned, group)) deregister.push(ref);
        else keep(target.name, { targetGroupArn: tg.arn, ...ref }, replacementsIn(group));
      }
    }
    if (register.length > 0 || deregister.length > 0) {
      actions.push({ service: service.name, targetGroupArn: tg.arn, register, deregister });
    }
  }
  const pending = [...pendingByKey.values()];
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
  const reportedUnknown = unknownTargets.map((u) => {
    const awaiting = pendingByKey.has(u.ip) ? awaitingOf(u.ip) : undefined;
    return awaiting ? { ...u, awaiting } : u;
  });
  const awaitingAudit = pending.filter((p) => previousPending[p.target] === undefined);
  for (const entry of awaitingAudit) {
    log(audit, at, service.name, entry.target, 'switch', `kept registered until ${entry.replacements.map((r) => r.name).join(' or ')} is healthy in ELB (make before break)`);
  }
  for (const [key, entry] of Object.entries(previousPending)) {
    if (pendingByKey.has(key)) continue;
    const waitedSeconds = Math.round((input.now.getTime() - Date.parse(entry.since)) / 1000);
    log(audit, at, service.name, key, 'switch', `no longer kept after ${waitedSeconds} s (replacement healthy in ELB, or nothing left to wait for)`);
  }

  const keptByFailOpen: string[] = [];
  const targets = serviceTargets.map((target): TargetReport => {
    const groups = memberships.get(target.name)!;
    const registeredCount = groups.filter((m) => isRegistered(m.state)).length;
    const registration: Registration =
      registeredCount === groups.length ? 'registered'
      : registeredCount > 0 ? 'partial'
      : groups.some((m) => isDraining(m.state)) ? 'draining'
      : 'unregistered';
    const isDesired = desired.has(target.name);
    const awaiting = awaitingOf(target.name);
    const inService = isDesired || (registeredCount > 0 && (keepsRegistration(target) || awaiting !== undefined));
    if (!isDesired && awaiting === undefined && inService) keptByFailOpen.push(target.name);
    return {
      ...reportedTarget(target, verdicts, health[healthKeyOf(target)], overrideOf(previous.overrides, target)),
      registration,
      targetGroups: groups,
      desired: isDesired,
      inService,
      ...(awaiting ? { awaiting } : {}),
    };
  });
  const routableTargets = targets.filter((t) => t.inService && t.targetGroups.every((m) => m.state === 'healthy')).length;
  const deregistered = new Set(actions.flatMap((a) => a.deregister.map((r) => `${a.targetGroupArn} ${refKey(r.ip, r.port)}`)));
  const routableUnknown = new Set(
    unknownTargets
      .filter((u) => !deregistered.has(`${u.targetGroupArn} ${refKey(u.ip, u.port)}`))
      .map((u) => u.ip)
      .filter((ip) => observedByGroup.every(({ tg }) => stateOf({ targetGroupArn: tg.arn, ip, port: tg.port }) === 'healthy')),
  ).size;

  return {
    state: {
      targets: health,
      overrides: previous.overrides,
      ...(previous.discovery ? { discovery: previous.discovery } : {}),
      ...(pending.length > 0 ? { pending: Object.fromEntries(pending.map((p) => [p.target, { since: p.since, replacements: p.replacements.map((r) => r.name) }])) } : {}),
      ...(active ? { active } : {}),
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
      ...(failback?.pendingFor ? { failbackPending: `${failback.pendingFor} recovered, failback pending: \`medlb failback ${service.name}\` performs it (made before break)` } : {}),
      unknownTargets: reportedUnknown,
      pending,
      ...(holdUnknown && unknownTargets.length > 0 ? { heldUnknownTargets: true } : {}),
      counts: {
        targetsUp: upEligible.length,
        targetsExpected,
        targetsInService: targets.filter((t) => t.inService).length,
        failOpen: failOpen ? 1 : 0,
        targetsAwaitingHealthy: pending.length,
        targetsRoutable: routableTargets + routableUnknown,
      },
    },
  };
}

/**
 * What `medlb status` knows, as data (pure): the last round's time and whether the controller looks stopped,
 * and per service one state — the first that applies of:
 *
 * | state | when |
 * |---|---|
 * | `outage` | nothing routable: no configured target is `healthy` in ELB in every target group of the service (what the `TargetsRoutable` metric counts; registered is not routable) |
 * | `fail-open` | no target is up after rise/fall, and what ELB has registered is kept (docs/architecture.md#reconcile-rules, rule 4) |
 * | `waiting` | a make-before-break switch waits for a replacement to become healthy in ELB (docs/architecture.md#make-before-break) |
 * | `degraded` | a target that should serve (not drained, halted or weight 0) is down or not routable |
 * | `drained` | an operator drained or halted a target, or one has weight 0; everything else serves |
 * | `serving` | every target serves |
 * | `unknown` | a target group could not be described: ELB's view, and so routability, is unknown |
 *
 * The order puts what needs someone now first: at 3 a.m. the one word must not hide an outage behind a drain.
 */
import type { ObservedTarget } from '../reconcile/ports';
import type { ObservationError } from '../reconcile/reconcile-types';
import type { ControllerConfig, ServiceConfig } from '../../contract/controller-config';
import { healthKeyOf, sourceText, withPersistedDiscovery, type ResolvedTarget } from '../reconcile/discovery';
import { overrideOf } from '../reconcile/selection';
import { registrationPortOf } from '../reconcile/target-groups';
import { governing, oldestOverride, openOrScheduledWindows, pinOf, type OldestOverride } from '../reconcile/schedule';
import {
  serviceState,
  type ControllerState,
  type LastProbe,
  type MaintenanceWindow,
  type OperatorOverride,
  type PendingSwitch,
  type ServiceState,
  type TargetPin,
} from '../reconcile/state';

/** What DescribeTargetHealth said per target group: the targets, or why it could not be described. */
export type TargetGroupViews = ReadonlyMap<string, readonly ObservedTarget[] | ObservationError>;

/** The one-word state of a service, most urgent first. */
export const SERVICE_STATES = ['outage', 'fail-open', 'waiting', 'degraded', 'drained', 'serving', 'unknown'] as const;
export type ServiceStateName = (typeof SERVICE_STATES)[number];

/** A controller is stale when its last round is older than this many intervals, or {@link STALE_MIN_SECONDS}, whichever is longer. */
const STALE_INTERVALS = 3;
/** The floor of the stale threshold: the schedule starts an invocation every minute, so two minutes is one missed start. */
const STALE_MIN_SECONDS = 120;

/** The last round, as the state tells it. */
export interface RoundAge {
  /** ISO 8601 start of the last round that saved state; null when no round ever did. */
  readonly lastRoundAt: string | null;
  /** Seconds since then (null when never). */
  readonly ageSeconds: number | null;
  /** max(3 intervals, 2 min). */
  readonly staleAfterSeconds: number;
  /** True when older than `staleAfterSeconds`, or when no round ever saved state. */
  readonly stale: boolean;
}

/** One target in the report. */
export interface TargetStatus {
  readonly name: string;
  readonly ip: string;
  /** `static`, `instance i-…` or `tags Key=v,…`. */
  readonly source: string;
  readonly lastProbe: LastProbe | null;
  /** Up after rise/fall; null when it has no history yet. */
  readonly up: boolean | null;
  /** ELB's state per target-group port (`not registered`, or `error: …` when the group could not be described). */
  readonly elb: Readonly<Record<string, string>>;
  /** Healthy in ELB in every target group of its service. */
  readonly routable: boolean;
  readonly override: OperatorOverride | null;
  /** Weight 0 in the site. */
  readonly drained: boolean;
  /** Kept registered until a replacement is healthy in ELB. */
  readonly pending: PendingSwitch | null;
  /** A pin in force (`medlb pin`); `pinOutranked` when an explicit drain or halt wins over it. */
  readonly pin: TargetPin | null;
  readonly pinOutranked: boolean;
  /** The maintenance window that governs the target now (not when an explicit override or a pin wins). */
  readonly window: WindowStatus | null;
}

/** A maintenance window as status shows it. */
export interface WindowStatus extends MaintenanceWindow {
  readonly id: string;
  /** In force now (else scheduled). */
  readonly inForce: boolean;
}

/** One service in the report. */
export interface ServiceStatus {
  readonly name: string;
  readonly mode: string;
  readonly vips: readonly string[];
  readonly ports: readonly number[];
  readonly state: ServiceStateName;
  /** Why the service is in that state, in words. */
  readonly why: string;
  /** Targets healthy in ELB in every target group. */
  readonly routable: number;
  readonly targets: readonly TargetStatus[];
  /** Maintenance windows not ended yet, in force or scheduled, soonest first. */
  readonly windows: readonly WindowStatus[];
  /** The longest-standing explicit drain, halt or pin (what the old-override alarm measures). */
  readonly oldestOverride: OldestOverride | null;
}

/** Everything `medlb status` prints (`--json` prints exactly this). */
export interface StatusReport {
  /** When this report was made (ISO 8601). */
  readonly generatedAt: string;
  readonly intervalSeconds: number;
  readonly lastRound: RoundAge;
  readonly services: readonly ServiceStatus[];
}

/** How old the last round is, and whether that means the controller stopped. */
export function roundAge(lastRoundAt: string | undefined, intervalSeconds: number, now: Date): RoundAge {
  const staleAfterSeconds = Math.max(STALE_INTERVALS * intervalSeconds, STALE_MIN_SECONDS);
  const at = lastRoundAt === undefined ? Number.NaN : Date.parse(lastRoundAt);
  if (Number.isNaN(at)) return { lastRoundAt: null, ageSeconds: null, staleAfterSeconds, stale: true };
  const ageSeconds = Math.max(0, Math.round((now.getTime() - at) / 1000));
  return { lastRoundAt: new Date(at).toISOString(), ageSeconds, staleAfterSeconds, stale: ageSeconds > staleAfterSeconds };
}

/** Builds the report from the config, the saved state and ELB's view (pure). */
export function buildStatusReport(config: ControllerConfig, state: ControllerState, views: TargetGroupViews, now: Date): StatusReport {
  return {
    generatedAt: now.toISOString(),
    intervalSeconds: config.intervalSeconds,
    lastRound: roundAge(state.lastRoundAt, config.intervalSeconds, now),
    services: withPersistedDiscovery(config, state).services.map((service) => serviceStatus(service, serviceState(state, service.name), views, now)),
  };
}

function serviceStatus(service: ServiceConfig, stored: ServiceState, views: TargetGroupViews, now: Date): ServiceStatus {
  const windows = openOrScheduledWindows(stored, now).map(({ id, window, inForce }): WindowStatus => ({ id, ...window, inForce }));
  const resolved: readonly ResolvedTarget[] = service.targets;
  const targets = resolved.map((target): TargetStatus => {
    const health = stored.targets[healthKeyOf(target)];
    const elb = elbStates(service, target, views);
    const decided = governing(stored, target, now);
    const pin = pinOf(stored, target, now) ?? null;
    return {
      name: target.name,
      ip: target.ip,
      source: sourceText(service, target),
      lastProbe: health?.lastProbe ?? null,
      up: health ? health.up : null,
      elb,
      routable: Object.values(elb).every((s) => s === 'healthy'),
      override: overrideOf(stored.overrides, target) ?? null,
      drained: target.drained === true,
      pending: stored.pending?.[target.name] ?? null,
      pin,
      pinOutranked: pin !== null && decided.kind === 'override',
      window: decided.kind === 'window' ? (windows.find((w) => w.id === decided.id) ?? null) : null,
    };
  });
  const oldest = oldestOverride(stored, now);
  const { state, why } = classify(service, stored, targets, views);
  return {
    name: service.name,
    mode: service.mode,
    vips: service.vips ?? [],
    ports: service.ports ?? service.targetGroups.map((tg) => tg.port),
    state,
    why,
    routable: targets.filter((t) => t.routable).length,
    targets,
    windows,
    oldestOverride: oldest ?? null,
  };
}

function classify(service: ServiceConfig, stored: ServiceState, targets: readonly TargetStatus[], views: TargetGroupViews): { state: ServiceStateName; why: string } {
  const unreadable = service.targetGroups.filter((tg) => {
    const view = views.get(tg.arn);
    return view === undefined || !Array.isArray(view);
  });
  if (unreadable.length > 0) return { state: 'unknown', why: `ELB view of port ${unreadable.map((tg) => tg.port).join(', ')} could not be read` };
  const routable = targets.filter((t) => t.routable);
  if (routable.length === 0) {
    const registered = targets.filter((t) => Object.values(t.elb).some((s) => s !== 'not registered' && s !== 'draining'));
    return {
      state: 'outage',
      why: targets.length === 0 ? 'no target (none discovered yet)' : registered.length === 0 ? 'no target registered' : `nothing healthy in ELB in every target group (${registered.map((t) => `${t.name} ${elbText(t.elb)}`).join(', ')})`,
    };
  }
  if (targets.length > 0 && targets.every((t) => t.up !== true)) {
    return { state: 'fail-open', why: `no target is up; ELB keeps ${routable.map((t) => t.name).join(', ')} (probe failures never empty a pool)` };
  }
  const pending = Object.entries(stored.pending ?? {});
  if (pending.length > 0) {
    return {
      state: 'waiting',
      why: pending.map(([name, p]) => `${name} kept until ${p.replacements.join(' or ') || 'a replacement'} is healthy in ELB (since ${p.since})`).join('; '),
    };
  }
  const shouldServe = targets.filter((t) => !t.drained && t.override === null && t.window === null);
  const missing = shouldServe.filter((t) => t.up !== true || (service.mode === 'balanced' && !t.routable));
  if (missing.length > 0) {
    return { state: 'degraded', why: missing.map((t) => `${t.name} ${t.up !== true ? 'down' : `not routable (${elbText(t.elb)})`}`).join(', ') };
  }
  const removed = targets.filter((t) => t.drained || t.override !== null || t.window !== null);
  if (removed.length > 0) {
    const how = (t: TargetStatus) =>
      t.override ? `${t.override.action} by ${t.override.by}` : t.window ? `${t.window.action} window of ${t.window.by} until ${t.window.until}` : 'weight 0';
    return { state: 'drained', why: removed.map((t) => `${t.name} ${how(t)}`).join(', ') };
  }
  return { state: 'serving', why: `${routable.length} routable` };
}

/** The target's ELB state per target-group port. */
function elbStates(service: ServiceConfig, target: ResolvedTarget, views: TargetGroupViews): Record<string, string> {
  const states: Record<string, string> = {};
  for (const tg of service.targetGroups) {
    const view = views.get(tg.arn);
    if (view === undefined) states[tg.port] = 'unknown';
    else if ('error' in view) states[tg.port] = `error: ${view.code}`;
    else states[tg.port] = view.find((o) => o.ip === target.ip && o.port === registrationPortOf(target, tg))?.state ?? 'not registered';
  }
  return states;
}

/** One word when every target group agrees, `port:state` each otherwise. */
export function elbText(elb: Readonly<Record<string, string>>): string {
  const entries = Object.entries(elb);
  if (entries.length === 0) return '-';
  const states = new Set(entries.map(([, s]) => s));
  const [only] = states;
  if (states.size === 1 && only !== undefined) return only;
  return entries.map(([port, s]) => `${port}:${s}`).join(' ');
}

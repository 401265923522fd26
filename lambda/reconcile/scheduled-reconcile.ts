/**
 * The reconciler with pins and maintenance windows (pure; docs/architecture.md#pins-and-maintenance-windows).
 *
 * It wraps `reconcile` rather than changing its rules: a window in force becomes the drain or halt the
 * reconciler already obeys (so a window's drain is made before break like any drain), and a pinned target's
 * verdict becomes a pass (so it comes up after `rise`, or at once while nothing is in service, and stays up
 * whatever its check says). Afterwards the persisted state gets back what operators own (the explicit
 * overrides, the pins, the windows) untouched, and each pinned target's real probe result, so `medlb status`
 * and the ProbeSuccess metric still show what the check says.
 *
 * Transitions are audited once, by comparing with what the previous round applied (`scheduleInForce`, which
 * rounds own): a window opening and closing, and a pin expiring. Setting, removing and scheduling are audited by
 * the CLI.
 */
import type { ProbeResult } from '../probes/types';
import { healthKeyOf, type ResolvedTarget } from './discovery';
import { reconcile } from './reconciler';
import type { ReconcileInput, ReconcileResult, ServiceReport, TargetReport } from './reconcile-types';
import { effectiveOverrides, governing, oldestOverride, pinInForce, type OldestOverride } from './schedule';
import { CONTROLLER_ACTOR, serviceState, type AuditRecord, type ControllerState, type ServiceState, type TargetPin } from './state';

/** Pins and the oldest override of a service after the round (the PinnedTargets and OldestOverrideAgeSeconds metrics). */
export interface OverrideSummary {
  /** Targets a pin keeps passing this round (an explicit drain or halt outranks a pin: those are not counted). */
  readonly pinnedTargets: number;
  /** The longest-standing explicit drain, halt or pin in force, if any. */
  readonly oldestOverride?: OldestOverride;
}

/** A target's line of the report, with the pin that governed it. */
export interface ScheduledTargetReport extends TargetReport {
  readonly pin?: TargetPin;
}

/** A service's report with what pins and windows did. */
export interface ScheduledServiceReport extends ServiceReport {
  readonly targets: readonly ScheduledTargetReport[];
  readonly overrideSummary: OverrideSummary;
}

/** A round's result with pins and windows. */
export interface ScheduledReconcileResult extends ReconcileResult {
  readonly services: readonly ScheduledServiceReport[];
}

/** Decides one round like `reconcile`, obeying pins and maintenance windows in force at `input.now`. */
export function reconcileWithSchedule(input: ReconcileInput): ScheduledReconcileResult {
  const now = input.now;
  const at = now.toISOString();
  const obeyed: Record<string, ServiceState> = { ...input.state.services };
  const verdicts: Record<string, Record<string, ProbeResult>> = {};
  const pinnedByService = new Map<string, Map<string, TargetPin>>();
  for (const service of input.config.services) {
    const stored = serviceState(input.state, service.name);
    const targets: readonly ResolvedTarget[] = service.targets;
    const serviceVerdicts: Record<string, ProbeResult> = { ...input.verdicts[service.name] };
    const pinned = new Map<string, TargetPin>();
    for (const target of targets) {
      const decided = governing(stored, target, now);
      if (decided.kind !== 'pin') continue;
      pinned.set(target.name, decided.pin);
      const real = serviceVerdicts[target.name];
      serviceVerdicts[target.name] = {
        healthy: true,
        latencyMs: real?.latencyMs ?? 0,
        reason: `pinned by ${decided.pin.by} until ${decided.pin.until} (check: ${real?.reason ?? 'not probed'})`,
      };
    }
    pinnedByService.set(service.name, pinned);
    verdicts[service.name] = serviceVerdicts;
    obeyed[service.name] = { ...stored, overrides: effectiveOverrides(stored, targets, now) };
  }

  const configByName = new Map(input.config.services.map((s) => [s.name, s] as const));
  const decided = reconcile({ ...input, verdicts, state: { ...input.state, services: obeyed } });

  const audit: AuditRecord[] = [...decided.audit];
  const services: Record<string, ServiceState> = {};
  const reports = decided.services.map((report): ScheduledServiceReport => {
    const stored = serviceState(input.state, report.name);
    const targets: readonly ResolvedTarget[] = configByName.get(report.name)?.targets ?? [];
    const pinned = pinnedByService.get(report.name) ?? new Map<string, TargetPin>();
    const realVerdicts = input.verdicts[report.name] ?? {};
    const next = decided.state.services[report.name] ?? stored;
    const health = { ...next.targets };
    for (const target of targets) {
      const real = realVerdicts[target.name];
      const key = healthKeyOf(target);
      const entry = health[key];
      // The counters follow the pin; the last probe stays the check's own verdict.
      if (pinned.has(target.name) && entry?.lastProbe !== undefined) {
        health[key] = { ...entry, lastProbe: { ...entry.lastProbe, healthy: real?.healthy === true, reason: real?.reason ?? 'not probed' } };
      }
    }
    const inForce = {
      windows: targets.flatMap((t) => {
        const g = governing(stored, t, now);
        return g.kind === 'window' ? [g.id] : [];
      }),
      pins: [...pinned.keys()],
    };
    if (report.error === undefined) audit.push(...transitions(report.name, stored, inForce, at));
    services[report.name] = {
      ...next,
      targets: health,
      overrides: stored.overrides,
      ...(stored.pins !== undefined ? { pins: stored.pins } : {}),
      ...(stored.windows !== undefined ? { windows: stored.windows } : {}),
      ...(report.error === undefined ? { scheduleInForce: inForce } : stored.scheduleInForce !== undefined ? { scheduleInForce: stored.scheduleInForce } : {}),
    };
    const oldest = oldestOverride(stored, now);
    return {
      ...report,
      targets: report.targets.map((t): ScheduledTargetReport => {
        const pin = pinned.get(t.name);
        if (pin === undefined) return t;
        const real = realVerdicts[t.name];
        const { probe: _substituted, ...rest } = t;
        return { ...rest, ...(real !== undefined ? { probe: real } : {}), pin };
      }),
      overrideSummary: { pinnedTargets: pinned.size, ...(oldest !== undefined ? { oldestOverride: oldest } : {}) },
    };
  });
  const state: ControllerState = { ...decided.state, services };
  return { ...decided, state, services: reports, audit };
}

/** Audit records for what opened, closed or expired since the previous round applied `stored.scheduleInForce`. */
function transitions(service: string, stored: ServiceState, inForce: { windows: readonly string[]; pins: readonly string[] }, at: string): AuditRecord[] {
  const before = stored.scheduleInForce ?? { windows: [], pins: [] };
  const records: AuditRecord[] = [];
  const record = (target: string, action: AuditRecord['action'], reason: string, window?: { from: string; until: string }): void => {
    records.push({ who: CONTROLLER_ACTOR, when: at, action, service, target, reason, ...(window ? { from: window.from, until: window.until } : {}) });
  };
  for (const id of inForce.windows) {
    if (before.windows.includes(id)) continue;
    const w = stored.windows?.[id];
    if (w === undefined) continue;
    record(w.target, 'window-open', `${w.action} window of ${w.by} opened${w.reason !== undefined ? ` (${w.reason})` : ''}`, w);
  }
  for (const id of before.windows) {
    if (inForce.windows.includes(id)) continue;
    const w = stored.windows?.[id];
    if (w === undefined) continue; // cancelled: the CLI audited it
    const why = Date.parse(w.until) <= Date.parse(at) ? `window ended at ${w.until}` : 'an explicit override or a pin now governs the target';
    record(w.target, 'window-close', `${w.action} window of ${w.by} closed: ${why}; the server returns once it passes its checks (rise)`, w);
  }
  for (const target of before.pins) {
    if (inForce.pins.includes(target)) continue;
    const pin = stored.pins?.[target];
    if (pin === undefined || pinInForce(pin, new Date(at))) continue; // removed by an operator (audited), or outranked by an override
    record(target, 'pin-expired', `pin of ${pin.by} expired at ${pin.until}; the check decides again (fall)`, { from: pin.at, until: pin.until });
  }
  return records;
}

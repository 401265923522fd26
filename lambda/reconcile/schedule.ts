/**
 * Pins and maintenance windows in force at a given time (pure; docs/architecture.md#pins-and-maintenance-windows).
 *
 * Precedence, for one target at one instant — the most deliberate statement wins:
 * 1. an explicit drain or halt (`medlb drain|halt` without `--from`): the operator took the server out; a pin
 *    does not put it back and a window changes nothing until `medlb online`;
 * 2. a pin in force (`medlb pin`): the target counts as passing its check, and a window that opens meanwhile
 *    is not applied (the pin was set for an outage; the window was planned before it);
 * 3. a maintenance window in force: a drain or halt from `from` (inclusive) to `until` (exclusive), applied
 *    exactly like the explicit one (a drain made before break, a halt at once).
 * Pins and windows match a target by its name or, for a discovered server, its `Name` tag, like overrides.
 */
import type { ResolvedTarget } from './discovery';
import type { ServiceConfig } from '../../contract/controller-config';
import type { ControllerState, MaintenanceWindow, OperatorOverride, ServiceState, TargetPin } from './state';

/** The explicit drain or halt in force for a target: by its name, or (discovered targets) by its `Name` tag. */
function explicitOverrideOf(stored: ServiceState, target: ResolvedTarget): OperatorOverride | undefined {
  return stored.overrides[target.name] ?? (target.nameTag !== undefined ? stored.overrides[target.nameTag] : undefined);
}

function namesOf(target: ResolvedTarget): readonly string[] {
  return target.nameTag !== undefined ? [target.name, target.nameTag] : [target.name];
}

/** True while a pin keeps its target passing: from its request until `until` (exclusive). */
export function pinInForce(pin: TargetPin, now: Date): boolean {
  return now.getTime() < Date.parse(pin.until);
}

/** True while a window applies: `from` inclusive, `until` exclusive. */
export function windowInForce(window: MaintenanceWindow, now: Date): boolean {
  return Date.parse(window.from) <= now.getTime() && now.getTime() < Date.parse(window.until);
}

/** True once a window has closed (it then only stays in the state until its item expires). */
export function windowEnded(window: MaintenanceWindow, now: Date): boolean {
  return Date.parse(window.until) <= now.getTime();
}

/** The id of a window: its target and start, which is unique per target (two windows cannot start at once). */
export function windowId(target: string, from: Date): string {
  return `${target}@${from.toISOString()}`;
}

/** The pin in force for a target at `now`, if any (whether or not an explicit override outranks it). */
export function pinOf(stored: ServiceState, target: ResolvedTarget, now: Date): TargetPin | undefined {
  for (const name of namesOf(target)) {
    const pin = stored.pins?.[name];
    if (pin !== undefined && pinInForce(pin, now)) return pin;
  }
  return undefined;
}

/** The window in force for a target at `now` (the earliest-ending one when windows overlap), if any. */
function windowOf(stored: ServiceState, target: ResolvedTarget, now: Date): { readonly id: string; readonly window: MaintenanceWindow } | undefined {
  const names = namesOf(target);
  return Object.entries(stored.windows ?? {})
    .filter(([, w]) => names.includes(w.target) && windowInForce(w, now))
    .sort(([, a], [, b]) => Date.parse(a.until) - Date.parse(b.until))
    .map(([id, window]) => ({ id, window }))[0];
}

/** The override a window stands for while it is in force, as the reconciler obeys it. */
function windowOverride(window: MaintenanceWindow): OperatorOverride {
  return {
    action: window.action,
    by: window.by,
    at: window.from,
    reason: `maintenance window until ${window.until}${window.reason !== undefined ? `: ${window.reason}` : ''}`,
  };
}

/** What decides a target's fate at `now`, after the precedence above. */
export type Governing =
  | { readonly kind: 'override'; readonly override: OperatorOverride }
  | { readonly kind: 'pin'; readonly pin: TargetPin }
  | { readonly kind: 'window'; readonly id: string; readonly window: MaintenanceWindow; readonly override: OperatorOverride }
  | { readonly kind: 'none' };

/** Applies the precedence: explicit override, then pin, then window. */
export function governing(stored: ServiceState, target: ResolvedTarget, now: Date): Governing {
  const override = explicitOverrideOf(stored, target);
  if (override !== undefined) return { kind: 'override', override };
  const pin = pinOf(stored, target, now);
  if (pin !== undefined) return { kind: 'pin', pin };
  const inForce = windowOf(stored, target, now);
  if (inForce !== undefined) return { kind: 'window', ...inForce, override: windowOverride(inForce.window) };
  return { kind: 'none' };
}

/**
 * The overrides the reconciler obeys at `now`: the explicit ones, plus a drain or halt for every target a window
 * governs, keyed by the target's name. Never persisted (the explicit overrides are what operators own).
 */
export function effectiveOverrides(stored: ServiceState, targets: readonly ResolvedTarget[], now: Date): Readonly<Record<string, OperatorOverride>> {
  const overrides: Record<string, OperatorOverride> = { ...stored.overrides };
  for (const target of targets) {
    const decided = governing(stored, target, now);
    if (decided.kind === 'window') overrides[target.name] = decided.override;
  }
  return overrides;
}

/**
 * The state as the controller obeys it at `now` for one service: the windows in force as overrides. What the
 * `--force` guard judges a new drain, halt or window against, so a server already in a window counts as out.
 */
export function obeyedState(service: ServiceConfig, state: ControllerState, now: Date): ControllerState {
  const stored = state.services[service.name];
  if (stored === undefined) return state;
  const targets: readonly ResolvedTarget[] = service.targets;
  return { ...state, services: { ...state.services, [service.name]: { ...stored, overrides: effectiveOverrides(stored, targets, now) } } };
}

/** The windows of a service that have not closed yet at `now`, soonest first, with their ids. */
export function openOrScheduledWindows(stored: ServiceState, now: Date): readonly { readonly id: string; readonly window: MaintenanceWindow; readonly inForce: boolean }[] {
  return Object.entries(stored.windows ?? {})
    .filter(([, w]) => !windowEnded(w, now))
    .sort(([, a], [, b]) => Date.parse(a.from) - Date.parse(b.from))
    .map(([id, window]) => ({ id, window, inForce: windowInForce(window, now) }));
}

/** The longest-standing open-ended removal or pin of a service: what the old-override alarm is about. */
export interface OldestOverride {
  readonly target: string;
  /** `drain`/`halt` (explicit, no end) or `pin` (ends at its `until`). */
  readonly kind: 'drain' | 'halt' | 'pin';
  readonly by: string;
  /** ISO 8601 time it was set. */
  readonly since: string;
  readonly ageSeconds: number;
}

/**
 * The oldest explicit override or pin in force at `now`. Windows are left out: each has an end the operator
 * chose when scheduling it, so it cannot be forgotten in force.
 */
export function oldestOverride(stored: ServiceState, now: Date): OldestOverride | undefined {
  const candidates: Omit<OldestOverride, 'ageSeconds'>[] = [
    ...Object.entries(stored.overrides).map(([target, o]) => ({ target, kind: o.action, by: o.by, since: o.at })),
    ...Object.entries(stored.pins ?? {})
      .filter(([, pin]) => pinInForce(pin, now))
      .map(([target, pin]) => ({ target, kind: 'pin' as const, by: pin.by, since: pin.at })),
  ].filter((c) => !Number.isNaN(Date.parse(c.since)));
  const oldest = candidates.sort((a, b) => Date.parse(a.since) - Date.parse(b.since))[0];
  if (oldest === undefined) return undefined;
  return { ...oldest, ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(oldest.since)) / 1000)) };
}

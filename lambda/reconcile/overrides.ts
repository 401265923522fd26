/**
 * Operator actions (docs/architecture.md#cli (drain, halt, online)), pure: state in, state + audit record out.
 *
 * - `drain`: planned removal. `halt`: emergency stop, recorded as such. On AWS both are DeregisterTargets,
 *   applied by the next round: no new connections at once; open connections may finish within the target
 *   group's deregistration delay and are then closed. ELB offers no instant per-target cut-off.
 * - `online`: clears either; the target rejoins when it is up.
 * Overrides are obeyed even when they empty a target group (fail-open protects only against probe failures) —
 * but only when asked twice: {@link overrideRisk} finds a drain or halt that would leave a service with nothing
 * to serve, and applyOperatorAction refuses it unless the request says `force`.
 * Service and target names match case-insensitively (an exact match wins); unknown ones get a did-you-mean.
 * Overrides are keyed by target name, so they follow a discovered server's name across instance replacements;
 * pass the config with the persisted discovered set (discovery.ts `withPersistedDiscovery`) so that
 * discovered targets can be named.
 */
import { findService, type ControllerConfig, type ServiceConfig } from '../../contract/controller-config';
import type { ResolvedTarget } from './discovery';
import { overrideOf } from './selection';
import { obeyedState } from './schedule';
import {
  emptyServiceState,
  type AuditRecord,
  type ControllerState,
  type OperatorOverride,
  type OverrideAction,
  type ServiceState,
} from './state';

/** What an operator can ask for. */
export const OPERATOR_ACTIONS = ['drain', 'halt', 'online'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** One operator request. */
export interface OperatorRequest {
  readonly action: OperatorAction;
  readonly service: string;
  readonly target: string;
  /** Operator name (OS user, `MEDLB_OPERATOR`, or the IAM principal). */
  readonly by: string;
  readonly at: Date;
  readonly reason?: string;
  /** Apply a drain or halt even when {@link overrideRisk} says it leaves the service with nothing to serve. @default false */
  readonly force?: boolean;
}

/** Result of an operator action. */
export interface OperatorActionResult {
  readonly state: ControllerState;
  /** Always produced: every operator request is audited, even one that changes nothing. */
  readonly audit: AuditRecord;
  /** False when the request changed nothing (e.g. `online` for a target without override, or a repeated drain). */
  readonly changed: boolean;
  /** The override in force before the request. */
  readonly previous?: OperatorOverride;
}

/** The request names a service or target that the config does not have. */
export class UnknownTargetError extends Error {
  constructor(
    readonly service: string,
    readonly target: string,
    readonly known: readonly string[],
    what: 'service' | 'target',
  ) {
    const asked = what === 'service' ? service : target;
    const guess = closestName(asked, known);
    super(
      (what === 'service' ? `unknown service '${service}'` : `unknown target '${target}' in service '${service}'`) +
        `${guess !== undefined ? `; did you mean '${guess}'?` : ''} (known: ${known.join(', ') || 'none'})`,
    );
    this.name = 'UnknownTargetError';
  }
}

/** A drain or halt that would leave its service with nothing to serve, asked without `force`. */
export class OverrideRefusedError extends Error {
  constructor(readonly risk: OverrideRisk) {
    super(`refused: ${risk.consequence}. Add --force to ${risk.action} it anyway.`);
    this.name = 'OverrideRefusedError';
  }
}

/** What a drain or halt would do to its service when nothing else can serve. */
export interface OverrideRisk {
  readonly action: 'drain' | 'halt';
  readonly service: string;
  readonly target: string;
  /** In words, e.g. "halting HL7/HL7A, the active server of failover service HL7 with no healthy standby (HL7B down), stops HL7 traffic". */
  readonly consequence: string;
}

/**
 * Would draining or halting `target` leave `service` with no server to take new connections? Pure; reads the
 * persisted state only (no ELB call), so it is the same check from a laptop and in a test.
 *
 * A server can serve when it is not weight 0, not drained or halted, and up after rise/fall. When no server of
 * the service is up (fail-open, or no round has run yet) every server not taken out by an operator may be what
 * ELB still routes to, so each counts. The request is risky when the target can serve and no other server can:
 * the last serving server of a balanced service, or the active server of a failover service with no healthy
 * standby. A server that cannot serve anyway (down, already drained) is never risky: draining it changes nothing
 * for clients. `online` is never risky.
 * @returns undefined when the request is safe
 */
export function overrideRisk(service: ServiceConfig, state: ControllerState, action: OperatorAction, target: string): OverrideRisk | undefined {
  if (action === 'online') return undefined;
  const stored = state.services[service.name] ?? emptyServiceState();
  const targets: readonly ResolvedTarget[] = service.targets;
  const available = targets.filter((t) => !t.drained && overrideOf(stored.overrides, t) === undefined);
  const isUp = (t: ResolvedTarget) => stored.targets[t.instanceId ?? t.name]?.up === true;
  const anyUp = available.some(isUp);
  const canServe = (t: ResolvedTarget) => (anyUp ? isUp(t) : true);
  const named = targets.filter((t) => t.name === target || t.nameTag === target);
  const serving = available.filter(canServe);
  if (!named.some((t) => serving.includes(t))) return undefined;
  const remaining = serving.filter((t) => !named.includes(t));
  if (remaining.length > 0) return undefined;
  const others = targets.filter((t) => !named.includes(t));
  const why = others.map((t) => `${t.name} ${whyNotServing(t, stored, isUp)}`).join(', ');
  const verb = action === 'drain' ? 'draining' : 'halting';
  const effect = anyUp ? '' : ' (no server is up: ELB may still be routing to it, fail-open)';
  const consequence =
    service.mode === 'failover'
      ? `${verb} ${service.name}/${target}, the active server of failover service ${service.name} with no healthy standby${why ? ` (${why})` : ''}, stops ${service.name} traffic${effect}`
      : `${verb} ${service.name}/${target} leaves service ${service.name} with no server to take new connections${why ? ` (${why})` : ''}${effect}`;
  return { action, service: service.name, target, consequence };
}

function whyNotServing(target: ResolvedTarget, stored: ServiceState, isUp: (t: ResolvedTarget) => boolean): string {
  const override = overrideOf(stored.overrides, target);
  if (override) return `${override.action === 'drain' ? 'drained' : 'halted'} by ${override.by}`;
  if (target.drained) return 'weight 0';
  return isUp(target) ? 'up' : 'down';
}

/**
 * A service by name: exact first, else the one whose name matches regardless of case.
 * @throws UnknownTargetError with a did-you-mean
 */
export function resolveService(config: ControllerConfig, name: string, target = ''): ServiceConfig {
  const found = findService(config, name) ?? uniqueIgnoringCase(config.services, (s) => s.name, name);
  if (!found) throw new UnknownTargetError(name, target, config.services.map((s) => s.name), 'service');
  return found;
}

/**
 * A target's name as the service knows it (its label, or a discovered server's Name tag), matched exactly
 * first, else regardless of case.
 * @throws UnknownTargetError with a did-you-mean
 */
export function resolveTargetName(service: ServiceConfig, name: string): string {
  const resolved: readonly ResolvedTarget[] = service.targets;
  const names = [...new Set(resolved.flatMap((t) => (t.nameTag !== undefined ? [t.name, t.nameTag] : [t.name])))];
  const found = names.find((n) => n === name) ?? uniqueIgnoringCase(names, (n) => n, name);
  if (found === undefined) throw new UnknownTargetError(service.name, name, service.targets.map((t) => t.name), 'target');
  return found;
}

function uniqueIgnoringCase<T>(items: readonly T[], nameOf: (item: T) => string, name: string): T | undefined {
  const matches = items.filter((item) => nameOf(item).toLowerCase() === name.toLowerCase());
  return matches.length === 1 ? matches[0] : undefined;
}

/** The known name closest to a mistyped one (edit distance ≤ 2, or a prefix either way), ignoring case. */
export function closestName(asked: string, known: readonly string[]): string | undefined {
  const a = asked.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const k = name.toLowerCase();
    const distance = k.startsWith(a) || a.startsWith(k) ? Math.min(1, editDistance(a, k)) : editDistance(a, k);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(cell(previous, j) + 1, cell(current, j - 1) + 1, cell(previous, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return cell(previous, b.length);
}

/** A cell of an edit-distance row; every row has b.length + 1 cells, filled left to right. */
function cell(row: readonly number[], index: number): number {
  const value = row[index];
  if (value === undefined) throw new RangeError(`edit-distance row has no cell ${index}`);
  return value;
}

/** Parses `<service>/<target>`; the service name may not contain '/', the target name may. */
export function parseTargetPath(path: string): { service: string; target: string } | undefined {
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return undefined;
  return { service: path.slice(0, slash), target: path.slice(slash + 1) };
}

/**
 * Applies `drain`, `halt` or `online` to the state. Names match regardless of case; state and audit carry the
 * names as the config spells them.
 * @throws UnknownTargetError when the config has no such service or target
 * @throws OverrideRefusedError when a drain or halt would leave the service with nothing to serve and `force` is not set
 */
export function applyOperatorAction(config: ControllerConfig, state: ControllerState, asked: OperatorRequest): OperatorActionResult {
  const service = resolveService(config, asked.service, asked.target);
  // Discovered targets (config from withPersistedDiscovery) also answer to their Name tag: an override by tag
  // covers every instance carrying it, replacements included.
  const request = { ...asked, service: service.name, target: resolveTargetName(service, asked.target) };
  // Judged on what the controller obeys now: a server in a maintenance window in force is already out.
  const risk = overrideRisk(service, obeyedState(service, state, request.at), request.action, request.target);
  if (risk && request.force !== true) throw new OverrideRefusedError(risk);
  const when = request.at.toISOString();
  const before = state.services[request.service] ?? emptyServiceState();
  const previous = before.overrides[request.target];
  const overrides = { ...before.overrides };
  let changed: boolean;
  if (request.action === 'online') {
    changed = previous !== undefined;
    delete overrides[request.target];
  } else {
    const action: OverrideAction = request.action;
    const repeated = previous !== undefined && previous.action === action;
    changed = !repeated;
    // A repeated request keeps the original record (who/when of the first drain stays visible).
    overrides[request.target] = repeated
      ? previous
      : { action, by: request.by, at: when, ...(request.reason !== undefined ? { reason: request.reason } : {}) };
  }
  const audit: AuditRecord = {
    who: request.by,
    when,
    action: request.action,
    service: request.service,
    target: request.target,
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    ...(risk && changed ? { forced: true } : {}),
  };
  return {
    state: changed ? { ...state, services: { ...state.services, [request.service]: { ...before, overrides } } } : state,
    audit,
    changed,
    ...(previous ? { previous } : {}),
  };
}

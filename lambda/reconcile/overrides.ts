/**
 * Operator actions (docs/architecture.md#cli (drain, halt, online)), pure: state in, state + audit record out.
 *
 * - `drain`: planned removal. `halt`: emergency stop, recorded as such. On AWS both are DeregisterTargets,
 *   applied by the next round: no new connections at once; open connections may finish within the target
 *   group's deregistration delay and are then closed. ELB offers no instant per-target cut-off.
 * - `online`: clears either; the target rejoins when it is up.
 * Overrides are obeyed even when they empty a target group (fail-open protects only against probe failures).
 * Overrides are keyed by target name, so they follow a discovered server's name across instance replacements;
 * pass the config with the persisted discovered set (discovery.ts `withPersistedDiscovery`) so that
 * discovered targets can be named.
 */
import { findService, type ControllerConfig } from '../../contract/controller-config';
import type { ResolvedTarget } from './discovery';
import {
  emptyServiceState,
  type AuditRecord,
  type ControllerState,
  type OperatorOverride,
  type OverrideAction,
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
    super(
      what === 'service'
        ? `unknown service '${service}' (known: ${known.join(', ') || 'none'})`
        : `unknown target '${target}' in service '${service}' (known: ${known.join(', ') || 'none'})`,
    );
    this.name = 'UnknownTargetError';
  }
}

/** Parses `<service>/<target>`; the service name may not contain '/', the target name may. */
export function parseTargetPath(path: string): { service: string; target: string } | undefined {
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return undefined;
  return { service: path.slice(0, slash), target: path.slice(slash + 1) };
}

/**
 * Applies `drain`, `halt` or `online` to the state.
 * @throws UnknownTargetError when the config has no such service or target
 */
export function applyOperatorAction(config: ControllerConfig, state: ControllerState, request: OperatorRequest): OperatorActionResult {
  const service = findService(config, request.service);
  if (!service) {
    throw new UnknownTargetError(request.service, request.target, config.services.map((s) => s.name), 'service');
  }
  // Discovered targets (config from withPersistedDiscovery) also answer to their Name tag: an override by tag
  // covers every instance carrying it, replacements included.
  if (!service.targets.some((t: ResolvedTarget) => t.name === request.target || t.nameTag === request.target)) {
    throw new UnknownTargetError(request.service, request.target, service.targets.map((t) => t.name), 'target');
  }
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
    changed = previous?.action !== action;
    // A repeated request keeps the original record (who/when of the first drain stays visible).
    overrides[request.target] = changed
      ? { action, by: request.by, at: when, ...(request.reason !== undefined ? { reason: request.reason } : {}) }
      : previous!;
  }
  const audit: AuditRecord = {
    who: request.by,
    when,
    action: request.action,
    service: request.service,
    target: request.target,
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
  };
  return {
    state: changed ? { ...state, services: { ...state.services, [request.service]: { ...before, overrides } } } : state,
    audit,
    changed,
    ...(previous ? { previous } : {}),
  };
}

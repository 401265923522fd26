/**
 * `medlb pin` and `medlb unpin` as pure state changes (state in, state + audit record out), like overrides.ts.
 *
 * A pin keeps a server in service whatever its check says, for a check that is wrong during an outage: the
 * reconciler counts the target as passing until the pin's `until` (docs/architecture.md#pins-and-maintenance-windows).
 * It always ends: `until` must be in the future and at most the config's `maxPinHours` after the request.
 * An explicit drain or halt outranks a pin (the result says so); a pin outranks a maintenance window.
 */
import { DEFAULT_MAX_PIN_HOURS, type ControllerConfig } from '../../contract/controller-config';
import { resolveService, resolveTargetName } from './overrides';
import { pinInForce } from './schedule';
import { emptyServiceState, type AuditRecord, type ControllerState, type OperatorOverride, type TargetPin } from './state';

/** A pin or unpin request. */
export interface PinRequest {
  readonly action: 'pin' | 'unpin';
  readonly service: string;
  readonly target: string;
  readonly by: string;
  readonly at: Date;
  /** Required for `pin`. */
  readonly reason?: string;
  /** Required for `pin`: when the pin ends. */
  readonly until?: Date;
}

/** The result of a pin request. */
export interface PinResult {
  readonly state: ControllerState;
  readonly audit: AuditRecord;
  readonly changed: boolean;
  /** The pin in force before the request. */
  readonly previous?: TargetPin;
  /** An explicit drain or halt of the target, which outranks the pin until `medlb online`. */
  readonly outrankedBy?: OperatorOverride;
}

/** A pin request that cannot be honoured as asked (a usage error: exit 2). */
export class PinRequestError extends Error {
  override readonly name = 'PinRequestError';
}

/** The longest a pin may last under `config`. */
export function maxPinHoursOf(config: ControllerConfig): number {
  return config.maxPinHours ?? DEFAULT_MAX_PIN_HOURS;
}

/**
 * Applies `pin` or `unpin`. Names match regardless of case (overrides.ts).
 * @throws UnknownTargetError for an unknown service or target (with a did-you-mean)
 * @throws PinRequestError for a pin without reason or `until`, an `until` not in the future or beyond the limit
 */
export function applyPinRequest(config: ControllerConfig, state: ControllerState, asked: PinRequest): PinResult {
  const service = resolveService(config, asked.service, asked.target);
  const target = resolveTargetName(service, asked.target);
  const before = state.services[service.name] ?? emptyServiceState();
  const pins: Record<string, TargetPin> = { ...before.pins };
  const loaded = pins[target];
  const previous = loaded !== undefined && pinInForce(loaded, asked.at) ? loaded : undefined;
  const when = asked.at.toISOString();
  const base = { who: asked.by, when, action: asked.action, service: service.name, target, ...(asked.reason !== undefined ? { reason: asked.reason } : {}) } as const;
  if (asked.action === 'unpin') {
    const changed = loaded !== undefined;
    delete pins[target];
    return {
      state: changed ? withPins(state, service.name, pins) : state,
      audit: base,
      changed,
      ...(previous !== undefined ? { previous } : {}),
    };
  }
  if (asked.reason === undefined || asked.reason.trim() === '') throw new PinRequestError('pin needs --reason TEXT: it overrules the health check, and the audit must say why');
  if (asked.until === undefined) throw new PinRequestError('pin needs --until TIME: every pin ends');
  const limitHours = maxPinHoursOf(config);
  if (asked.until.getTime() <= asked.at.getTime()) throw new PinRequestError(`--until ${asked.until.toISOString()} is not in the future`);
  if (asked.until.getTime() - asked.at.getTime() > limitHours * 3_600_000) {
    throw new PinRequestError(
      `--until ${asked.until.toISOString()} is more than ${limitHours} h from now: a pin lasts at most ${limitHours} h (the site's controller.maxPinHours); pin again when it expires if you must`,
    );
  }
  const pin: TargetPin = { by: asked.by, at: when, until: asked.until.toISOString(), reason: asked.reason };
  pins[target] = pin;
  const outrankedBy = before.overrides[target];
  return {
    state: withPins(state, service.name, pins),
    audit: { ...base, from: when, until: pin.until },
    changed: true,
    ...(previous !== undefined ? { previous } : {}),
    ...(outrankedBy !== undefined ? { outrankedBy } : {}),
  };
}

function withPins(state: ControllerState, service: string, pins: Record<string, TargetPin>): ControllerState {
  const before = state.services[service] ?? emptyServiceState();
  const { pins: _old, ...rest } = before;
  return { ...state, services: { ...state.services, [service]: Object.keys(pins).length > 0 ? { ...rest, pins } : rest } };
}

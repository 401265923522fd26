/**
 * Maintenance windows (`medlb drain|halt <service>/<target> --from T --until T`) as pure state changes: a
 * scheduled drain or halt, its own kind of state (never an override item, so a controller that does not know
 * windows ignores them instead of draining at once). The controller applies it while it is in force
 * (scheduled-reconcile.ts); docs/architecture.md#pins-and-maintenance-windows.
 *
 * The safety net is the override's: a window that would leave the service with nothing to serve is refused
 * without `force` — judged on the state at the time of the request (nobody can know the state at the window's
 * start; the refusal says so).
 */
import type { ControllerConfig } from '../../contract/controller-config';
import { OverrideRefusedError, overrideRisk, resolveService, resolveTargetName } from './overrides';
import { obeyedState, windowEnded, windowId, windowInForce } from './schedule';
import { emptyServiceState, type AuditRecord, type ControllerState, type MaintenanceWindow, type OverrideAction } from './state';

/** One request to schedule a window. */
export interface WindowRequest {
  readonly action: OverrideAction;
  readonly service: string;
  readonly target: string;
  readonly from: Date;
  readonly until: Date;
  readonly by: string;
  /** Time of the request. */
  readonly at: Date;
  readonly reason?: string;
  /** Schedule it even when it would leave the service with nothing to serve (as the state is now). @default false */
  readonly force?: boolean;
}

/** The result of scheduling or cancelling windows. */
export interface WindowResult {
  readonly state: ControllerState;
  readonly audit: readonly AuditRecord[];
  readonly changed: boolean;
  /** The window's id (`<target>@<from>`). */
  readonly ids: readonly string[];
}

/** A window that makes no sense as asked (a usage error: exit 2). */
export class WindowRequestError extends Error {
  override readonly name = 'WindowRequestError';
}

/** ISO 8601 date-time with a zone (Z or ±hh:mm): a window without one would depend on the clock of whoever reads it. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses a window or pin time: ISO 8601 with a zone.
 * @throws WindowRequestError naming the option
 */
export function parseZonedTime(option: string, text: string): Date {
  const at = new Date(text);
  if (!ISO_WITH_ZONE.test(text) || Number.isNaN(at.getTime())) {
    throw new WindowRequestError(`--${option} '${text}' is not an ISO 8601 time with a zone (e.g. 2026-11-28T22:00:00Z or 2026-11-28T23:00:00+01:00)`);
  }
  return at;
}

/**
 * Records a window. A window whose start has passed opens at the next round.
 * @throws UnknownTargetError for an unknown service or target
 * @throws WindowRequestError when `until` is not after `from` or already past, or the window overlaps another of the same target
 * @throws OverrideRefusedError when it would leave the service nothing to serve (as the state is now) and `force` is not set
 */
export function scheduleWindow(config: ControllerConfig, state: ControllerState, asked: WindowRequest): WindowResult {
  const service = resolveService(config, asked.service, asked.target);
  const target = resolveTargetName(service, asked.target);
  if (asked.until.getTime() <= asked.from.getTime()) {
    throw new WindowRequestError(`--until ${asked.until.toISOString()} is not after --from ${asked.from.toISOString()}: a window ends after it starts`);
  }
  if (asked.until.getTime() <= asked.at.getTime()) throw new WindowRequestError(`--until ${asked.until.toISOString()} has already passed`);
  const before = state.services[service.name] ?? emptyServiceState();
  const clash = Object.values(before.windows ?? {}).find(
    (w) => w.target === target && !windowEnded(w, asked.at) && Date.parse(w.from) < asked.until.getTime() && asked.from.getTime() < Date.parse(w.until),
  );
  if (clash !== undefined) {
    throw new WindowRequestError(`${service.name}/${target} already has a ${clash.action} window from ${clash.from} until ${clash.until} that overlaps this one`);
  }
  const risk = overrideRisk(service, obeyedState(service, state, asked.at), asked.action, target);
  if (risk !== undefined && asked.force !== true) {
    throw new OverrideRefusedError({ ...risk, consequence: `${risk.consequence} — judged on the state now, ${asked.at.toISOString()}; nobody can know the state at the window's start` });
  }
  const when = asked.at.toISOString();
  const window: MaintenanceWindow = {
    target,
    action: asked.action,
    from: asked.from.toISOString(),
    until: asked.until.toISOString(),
    by: asked.by,
    at: when,
    ...(asked.reason !== undefined ? { reason: asked.reason } : {}),
    ...(risk !== undefined ? { forced: true } : {}),
  };
  const id = windowId(target, asked.from);
  const windows = { ...pruned(before.windows, asked.at), [id]: window };
  return {
    state: { ...state, services: { ...state.services, [service.name]: { ...before, windows } } },
    audit: [
      {
        who: asked.by,
        when,
        action: 'window-scheduled',
        service: service.name,
        target,
        reason: `${asked.action} from ${window.from} until ${window.until}${asked.reason !== undefined ? `: ${asked.reason}` : ''}`,
        from: window.from,
        until: window.until,
        ...(risk !== undefined ? { forced: true } : {}),
      },
    ],
    changed: true,
    ids: [id],
  };
}

/**
 * Cancels the windows of a target that have not ended (`medlb online` ends the one in force; `--cancel-windows`
 * all of them). Names match regardless of case.
 * @param which `in-force`: only a window in force now; `all`: every window not ended yet
 */
export function cancelWindows(config: ControllerConfig, state: ControllerState, request: { service: string; target: string; by: string; at: Date; reason?: string }, which: 'in-force' | 'all'): WindowResult {
  const service = resolveService(config, request.service, request.target);
  const target = resolveTargetName(service, request.target);
  const before = state.services[service.name] ?? emptyServiceState();
  const cancelled = Object.entries(before.windows ?? {}).filter(
    ([, w]) => w.target === target && (which === 'all' ? !windowEnded(w, request.at) : windowInForce(w, request.at)),
  );
  if (cancelled.length === 0) return { state, audit: [], changed: false, ids: [] };
  const windows = { ...before.windows };
  for (const [id] of cancelled) delete windows[id];
  const when = request.at.toISOString();
  return {
    state: { ...state, services: { ...state.services, [service.name]: { ...before, windows } } },
    audit: cancelled.map(([, w]) => ({
      who: request.by,
      when,
      action: 'window-cancelled' as const,
      service: service.name,
      target,
      reason: `${w.action} window from ${w.from} until ${w.until} of ${w.by} cancelled${request.reason !== undefined ? `: ${request.reason}` : ''}`,
      from: w.from,
      until: w.until,
    })),
    changed: true,
    ids: cancelled.map(([id]) => id),
  };
}

/**
 * Windows that ended more than a day ago are dropped when an operator writes the set (the file store keeps
 * state forever; the table's items also expire by TTL).
 */
function pruned(windows: Readonly<Record<string, MaintenanceWindow>> | undefined, now: Date): Record<string, MaintenanceWindow> {
  return Object.fromEntries(Object.entries(windows ?? {}).filter(([, w]) => Date.parse(w.until) > now.getTime() - 86_400_000));
}

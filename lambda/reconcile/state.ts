/**
 * The controller's persisted state (pure types and validation; stores live in lambda/adapters).
 *
 * Per service: per target name, the rise/fall counters, the up/down flag and the last probe; and the operator
 * overrides (drain/halt) keyed by target name. Rounds own the health part; operators own the overrides (the
 * reconciler carries overrides through unchanged, only lambda/reconcile/overrides.ts changes them).
 * The JSON form of `ControllerState` is exactly the local state file.
 */
import { z } from 'zod';
import { formatPath, type ConfigProblem } from '../../contract/controller-config';
import { messageOf } from '../../contract/thrown';

/**
 * Current state format version. Version 2 added `pending` (make-before-break switches, docs/architecture.md
 * § State). Version 1 is migrated on read; a newer version is read too, ignoring what this code does not know,
 * so a controller rolled back to this version never stops on state a newer one wrote.
 */
export const STATE_VERSION = 2;

/** The last probe of a target as persisted. */
export interface LastProbe {
  readonly healthy: boolean;
  readonly reason: string;
  readonly latencyMs: number;
  /** ISO 8601 time of the round that ran the probe. */
  readonly at: string;
}

/** Health of one target (rise/fall bookkeeping). */
export interface TargetHealthState {
  /** Consecutive passed probes (0 after a failure). */
  readonly passes: number;
  /** Consecutive failed probes (0 after a pass). */
  readonly failures: number;
  /** Up after `rise` consecutive passes (or bootstrap), down after `fall` consecutive failures. */
  readonly up: boolean;
  readonly lastProbe?: LastProbe;
  /**
   * The address these counters were measured on. A target whose address changed in the config starts without
   * history: the old address's "up" says nothing about the new one. Absent in state written before it was
   * recorded (or by a rolled-back controller), and then the history is kept.
   */
  readonly ip?: string;
}

/** Override actions that remove a target from service. `online` clears either (it is not stored). */
export const OVERRIDE_ACTIONS = ['drain', 'halt'] as const;
export type OverrideAction = (typeof OVERRIDE_ACTIONS)[number];

/** An operator's drain or halt of one target; survives restarts and redeploys until `online`. */
export interface OperatorOverride {
  /** drain = planned removal, halt = emergency stop; both deregister the target. */
  readonly action: OverrideAction;
  /** Who asked (operator name). */
  readonly by: string;
  /** ISO 8601 time of the request. */
  readonly at: string;
  readonly reason?: string;
}

/** How a discovered instance matched its service's discovery block. */
export type DiscoveryMatch = 'instance-id' | 'tags';

/** One EC2 instance as the last successful discovery saw it. */
export interface DiscoveredInstance {
  readonly instanceId: string;
  /** Its `Name` tag, when it has one. */
  readonly nameTag?: string;
  readonly privateIp: string;
  readonly availabilityZone?: string;
  /** Listed in `instanceIds`, or matched by the tag selector. */
  readonly matchedBy: DiscoveryMatch;
}

/** The last known discovered set of a service (docs/architecture.md#discovery), what drain/online/status and EC2 failures use. */
export interface DiscoveryState {
  readonly instances: readonly DiscoveredInstance[];
  /** ISO 8601 time of the answer this set came from. */
  readonly resolvedAt: string;
  /** Consecutive answers with zero instances that were not believed yet (kept the last known set). */
  readonly suspiciousEmptyAnswers: number;
}

/**
 * A target that still passes its checks but is no longer wanted, kept registered until a replacement is
 * `healthy` in ELB (make before break). Keyed by target name, or `ip` for a target that is not in the config.
 */
export interface PendingSwitch {
  /** ISO 8601 time of the first round that kept it. */
  readonly since: string;
  /** Names of the wanted targets it waits for (any one of them, healthy in ELB, lets it go). */
  readonly replacements: readonly string[];
}

/** The server a manual-failback service keeps while it is up (rounds own it). */
export interface ActiveTarget {
  readonly name: string;
  /** ISO 8601 time of the round that made it active. */
  readonly since: string;
}

/** An operator's request to fail a manual-failback service back to its first server (operators own it). */
export interface FailbackRequest {
  readonly by: string;
  /** ISO 8601; honoured by the first round after it when it is later than the active server's `since`. */
  readonly at: string;
  readonly reason?: string;
}

/**
 * An operator's pin (`medlb pin`): the target counts as passing its check until `until`, whatever the check says
 * (for a check that is wrong during an outage). Operators own it; an explicit drain or halt still wins
 * (docs/architecture.md#pins-and-maintenance-windows).
 */
export interface TargetPin {
  readonly by: string;
  /** ISO 8601 time of the request. */
  readonly at: string;
  /** ISO 8601 end; at most the config's `maxPinHours` after `at`. */
  readonly until: string;
  readonly reason: string;
}

/** A scheduled drain or halt (`medlb drain|halt --from --until`): in force from `from` (inclusive) to `until` (exclusive). */
export interface MaintenanceWindow {
  /** The target's name as the config spells it (or a discovered server's Name tag). */
  readonly target: string;
  readonly action: OverrideAction;
  /** ISO 8601 start. */
  readonly from: string;
  /** ISO 8601 end, after `from`. */
  readonly until: string;
  readonly by: string;
  /** ISO 8601 time of the request. */
  readonly at: string;
  readonly reason?: string;
  /** Scheduled with `--force` although, judged on the state at the request, it left the service nothing to serve. */
  readonly forced?: boolean;
}

/** What the last round applied of the pins and windows (rounds own it): how a round knows what opened, closed or expired. */
export interface ScheduleInForce {
  /** Ids of the windows in force. */
  readonly windows: readonly string[];
  /** Names of the pinned targets. */
  readonly pins: readonly string[];
}

/** State of one service. */
export interface ServiceState {
  /** Keyed by target name; a discovered target by its instance id (counters follow the instance). */
  readonly targets: Readonly<Record<string, TargetHealthState>>;
  /** Keyed by target name. */
  readonly overrides: Readonly<Record<string, OperatorOverride>>;
  /** Services with a discovery block: the last known instances. */
  readonly discovery?: DiscoveryState;
  /** Targets kept until their replacement is healthy in ELB, keyed by target name (or ip when unknown). */
  readonly pending?: Readonly<Record<string, PendingSwitch>>;
  /** Failover services with `failback: manual`: the server kept while it is up. */
  readonly active?: ActiveTarget;
  /** Failover services with `failback: manual`: the operator's last `medlb failback`. */
  readonly failbackRequest?: FailbackRequest;
  /** Pins by target name (operators own them; their own item kind, so an older controller ignores them). */
  readonly pins?: Readonly<Record<string, TargetPin>>;
  /** Scheduled drains and halts by window id (operators own them; their own item kind, like pins). */
  readonly windows?: Readonly<Record<string, MaintenanceWindow>>;
  /** What the last round applied of pins and windows (rounds own it). */
  readonly scheduleInForce?: ScheduleInForce;
}

/** The whole persisted state. */
export interface ControllerState {
  readonly version: typeof STATE_VERSION;
  /** Keyed by service name. */
  readonly services: Readonly<Record<string, ServiceState>>;
  /**
   * ISO 8601 start of the last round that saved this state (`medlb status` flags a stopped controller by it).
   * Optional and additive, so every reader of version 2 keeps working: the file state carries it at the top
   * level; the DynamoDB store derives it from its health items' `updatedAt`, which only rounds write.
   */
  readonly lastRoundAt?: string;
}

/**
 * Everything an audit record can describe: operator actions, the controller's up/down transitions and its
 * planned deregistrations (`switch`: a target left once its replacement was healthy in ELB).
 */
export type AuditAction =
  | OverrideAction
  | 'online'
  | 'up'
  | 'down'
  | 'switch'
  | 'failback'
  | 'fallback-page-on'
  | 'fallback-page-off'
  /** Pins: set and removed by an operator, expired as a round saw it. */
  | 'pin'
  | 'unpin'
  | 'pin-expired'
  /** Maintenance windows: scheduled and cancelled by an operator, opened and closed as a round saw it. */
  | 'window-scheduled'
  | 'window-cancelled'
  | 'window-open'
  | 'window-close';

/** One audited state change (who, when, what, why). */
export interface AuditRecord {
  /** Operator name, or `medlb-controller` for transitions decided by a round. */
  readonly who: string;
  /** ISO 8601 time. */
  readonly when: string;
  readonly action: AuditAction;
  readonly service: string;
  readonly target: string;
  readonly reason?: string;
  /** An operator drain or halt applied with `--force` although it left the service with nothing to serve. */
  readonly forced?: boolean;
  /**
   * The AWS principal (ARN) that wrote the record: STS GetCallerIdentity for the CLI, the controller's role
   * for rounds. Absent in records written before it existed and when no credentials were available.
   */
  readonly principal?: string;
  /** How `who`/`principal` were established (absent in older records: not recorded). */
  readonly identity?: AuditIdentity;
  /** Version of the controller config in force (contract/config-version.ts); absent in older records. */
  readonly configVersion?: string;
  /** Pins and windows: the start of the window. */
  readonly from?: string;
  /** Pins and windows: when it ends. */
  readonly until?: string;
}

/**
 * `verified`: `principal` came from STS for the caller's credentials; `controller-role`: the controller's
 * execution role, set by the stack; `unverified`: no credentials, only the self-asserted `who`.
 */
export type AuditIdentity = 'verified' | 'controller-role' | 'unverified';

/** The `who` of audit records written by rounds. */
export const CONTROLLER_ACTOR = 'medlb-controller';

/** A state with no history: every target starts from the ELB's view. */
export function emptyState(): ControllerState {
  return { version: STATE_VERSION, services: {} };
}

/** An empty service state. */
export function emptyServiceState(): ServiceState {
  return { targets: {}, overrides: {} };
}

/** The state of one service, empty when it has none yet. */
export function serviceState(state: ControllerState, service: string): ServiceState {
  return state.services[service] ?? emptyServiceState();
}

const count = z.int().min(0);
const LastProbeSchema = z.looseObject({ healthy: z.boolean(), reason: z.string(), latencyMs: z.number().min(0), at: z.string() });
const TargetHealthSchema = z.looseObject({ passes: count, failures: count, up: z.boolean(), lastProbe: LastProbeSchema.optional() });
const OverrideSchema = z.looseObject({ action: z.enum(OVERRIDE_ACTIONS), by: z.string(), at: z.string(), reason: z.string().optional() });
const DiscoveredInstanceSchema = z.looseObject({
  instanceId: z.string().min(1),
  nameTag: z.string().optional(),
  privateIp: z.ipv4(),
  availabilityZone: z.string().optional(),
  matchedBy: z.enum(['instance-id', 'tags']),
});
const DiscoveryStateSchema = z.looseObject({
  instances: z.array(DiscoveredInstanceSchema),
  resolvedAt: z.string(),
  suspiciousEmptyAnswers: count.default(0),
});
const PendingSwitchSchema = z.looseObject({ since: z.string(), replacements: z.array(z.string()).default([]) });
const PinSchema = z.looseObject({ by: z.string(), at: z.string(), until: z.string(), reason: z.string() });
const WindowSchema = z.looseObject({
  target: z.string(),
  action: z.enum(OVERRIDE_ACTIONS),
  from: z.string(),
  until: z.string(),
  by: z.string(),
  at: z.string(),
  reason: z.string().optional(),
  forced: z.boolean().optional(),
});
const ServiceStateSchema = z.looseObject({
  targets: z.record(z.string(), TargetHealthSchema).default({}),
  overrides: z.record(z.string(), OverrideSchema).default({}),
  discovery: DiscoveryStateSchema.optional(),
  pending: z.record(z.string(), PendingSwitchSchema).optional(),
  active: z.looseObject({ name: z.string(), since: z.string() }).optional(),
  failbackRequest: z.looseObject({ by: z.string(), at: z.string(), reason: z.string().optional() }).optional(),
  pins: z.record(z.string(), PinSchema).optional(),
  windows: z.record(z.string(), WindowSchema).optional(),
  scheduleInForce: z.looseObject({ windows: z.array(z.string()).default([]), pins: z.array(z.string()).default([]) }).optional(),
});
/**
 * Validates persisted state (file or DynamoDB) before use. Any version from 1 on is read: version 1 lacks only
 * optional parts (migrated by reading it as it is), and a newer version's additions are ignored here, which is
 * what keeps a rolled-back controller working.
 */
const ControllerStateSchema = z.looseObject({
  version: z.int().min(1),
  services: z.record(z.string(), ServiceStateSchema),
  lastRoundAt: z.string().optional(),
});

/** Persisted state is unreadable or invalid. */
export class StateFormatError extends Error {
  constructor(
    /** Where the state came from, e.g. the state file's path. */
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`unreadable controller state (${source}):\n${problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n')}`);
    this.name = 'StateFormatError';
  }
}

/**
 * Validates persisted state.
 * @param input JSON text or an already-parsed value
 * @param source names the origin in error messages
 * @throws StateFormatError listing every problem
 */
export function parseControllerState(input: unknown, source = 'controller state'): ControllerState {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new StateFormatError(source, [{ path: '', message: `not valid JSON: ${messageOf(err)}` }]);
    }
  }
  const result = ControllerStateSchema.safeParse(value);
  if (!result.success) {
    throw new StateFormatError(source, result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  }
  return { ...result.data, version: STATE_VERSION };
}

/**
 * What the reconciler (reconciler.ts) decides from and what it decides: its input, the ELB writes per target
 * group, the planned deregistrations of make before break, and the per-service report that `medlb status`, the
 * round summary and the metrics read. Types only.
 */
import type { ElbTargetState, ObservedTarget, TargetRef } from './ports';
import type { ProbeResult } from '../probes/types';
import type { ControllerConfig, ServiceMode } from '../../contract/controller-config';
import type { TargetSource } from './discovery';
import type { ControllerState, OperatorOverride, AuditRecord } from './state';

/** Probe verdicts of a round: service name → target name → result. */
export type Verdicts = Readonly<Record<string, Readonly<Record<string, ProbeResult>>>>;

/** A target group that could not be described this round (e.g. TargetGroupNotFound). */
export interface ObservationError {
  /** The whole message, for logs and the round's report. */
  readonly error: string;
  /**
   * The error code the adapter's error carries (`ElbApiError.code`: `TargetGroupNotFound`, `Throttling`,
   * `AccessDenied`, a network error's code), or the error's name when it has none: what `medlb status` shows.
   */
  readonly code: string;
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

/** The per-service metric values (docs/architecture.md#metrics) of a round; `null` when unknown because the service failed. */
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

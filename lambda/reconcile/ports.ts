/**
 * Ports: the small interfaces through which the controller core (the round and the pure reconciler) talks to
 * the outside world. They belong to the core that uses them; adapters (lambda/adapters/) implement them and do
 * the I/O. See docs/architecture.md#layers.
 */
import type { AuditRecord, ControllerState } from './state';

/** A target as ELBv2 knows it: an IP and port, with `availabilityZone: 'all'` for an IP outside the VPC. */
export interface TargetRef {
  readonly ip: string;
  readonly port: number;
  readonly availabilityZone?: string;
}

/** ELBv2 target health states (DescribeTargetHealth `TargetHealth.State`). */
export type ElbTargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining';

/** One registered target as DescribeTargetHealth reports it. */
export interface ObservedTarget {
  readonly ip: string;
  readonly port: number;
  readonly state: ElbTargetState;
  readonly reason?: string;
}

/** The ELBv2 operations the controller needs on one target group. */
export interface TargetGroupPort {
  describeTargets(targetGroupArn: string): Promise<ObservedTarget[]>;
  registerTargets(targetGroupArn: string, targets: readonly TargetRef[]): Promise<void>;
  deregisterTargets(targetGroupArn: string, targets: readonly TargetRef[]): Promise<void>;
}

/** What to ask EC2 for (the controller config's `discovery` block, docs/architecture.md#discovery). */
export interface InstanceSelector {
  /** Tag key → accepted values (every key must match, any of its values). */
  readonly tags?: Readonly<Record<string, readonly string[]>>;
  readonly instanceIds?: readonly string[];
  readonly vpcId?: string;
  readonly subnetIds?: readonly string[];
  readonly availabilityZones?: readonly string[];
}

/** One running instance as EC2 describes it. */
export interface InstanceDescription {
  readonly instanceId: string;
  /** The `Name` tag, when present. */
  readonly name?: string;
  readonly privateIp: string;
  readonly availabilityZone?: string;
  /** True when listed in the selector's `instanceIds` (else it matched the tags). */
  readonly matchedById: boolean;
}

/** The EC2 operation discovery needs. */
export interface InstanceDiscoveryPort {
  /** Running instances matching the selector (tags ∪ instance ids, within vpc/subnets/zones). */
  describeInstances(selector: InstanceSelector): Promise<InstanceDescription[]>;
}

/**
 * State store port: where the controller keeps its state (./state.ts) between rounds and invocations, and its
 * audit trail. Implementations: lambda/adapters/file-state-store.ts (a local JSON file, for the CLI) and
 * lambda/adapters/dynamodb-state-store.ts (DynamoDB, for the Lambda).
 *
 * Usage: a round does `load()` → reconcile → `save(result.state)` → `appendAudit(result.audit)`;
 * an operator action does `load()` → applyOperatorAction → `save(next)` → `appendAudit([record])`.
 * `save` must not lose an operator's override written between another writer's `load` and `save`
 * (each implementation documents how it guarantees that).
 */
export interface StateStore {
  /** The current state; an empty state when nothing was stored yet. Unreadable state is an error (never "empty"). */
  load(): Promise<ControllerState>;
  /** Persists `state` (which came from this store's last `load`, changed by the reconciler or an override). */
  save(state: ControllerState): Promise<void>;
  /** Appends audit records (who/when/what/why). No-op for an empty list. */
  appendAudit(records: readonly AuditRecord[]): Promise<void>;
}

/** The viewer's fallback-page listener rule (contract/viewer-fallback.ts); only its conditions are changed. */
export interface FallbackRulePort {
  /** True when the rule currently answers every request with the fallback page. */
  isServing(ruleArn: string): Promise<boolean>;
  /** Switches the rule's conditions to serving (every request) or off (no request). */
  setServing(ruleArn: string, serving: boolean): Promise<void>;
}

/** Another writer changed the stored state between this store's `load` and `save`; load again and retry. */
export class StateConflictError extends Error {
  constructor(
    /** What conflicted, e.g. `service DICOM-Modalities health`. */
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super(`state changed concurrently (${subject}); load the state again and retry`, options);
    this.name = 'StateConflictError';
  }
}

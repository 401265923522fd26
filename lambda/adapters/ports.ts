/**
 * Ports: the small interfaces through which the runtime talks to the outside world. The reconciler decides
 * actions as a pure function; adapters implementing these ports do the I/O.
 */

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

/** What to ask EC2 for (the controller config's `discovery` block, DESIGN.md §3.6). */
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

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

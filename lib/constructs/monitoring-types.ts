/** What the Monitoring construct watches and what it creates (shared by its alarm catalogue and dashboard). */
import type { aws_cloudwatch as cloudwatch, aws_elasticloadbalancingv2 as elbv2, aws_kms as kms, aws_lambda as lambda, aws_sns as sns } from 'aws-cdk-lib';
import type { MonitoringSettingsInput } from '../site/monitoring-schema';

/** What every monitored service has, whatever its load balancer. */
export interface MonitoredServiceBase {
  /** Service label: the `Service` dimension of the controller's metrics (e.g. `DICOM-Modalities`). */
  readonly name: string;
  /** VIP addresses (or DNS names) clients use, for the dashboard header. */
  readonly vips: readonly string[];
  /** Listener ports, one per target group and in the same order. */
  readonly ports: readonly number[];
  /** Real server names: the `Target` dimension (per-server widgets and alarms). */
  readonly targets: readonly string[];
  /** Mode shown in the header (`balanced` or `failover`). @default - not shown */
  readonly mode?: string;
  /** The `medlb probe` command that checks one server, with `<server-ip>` as placeholder. @default - a generic hint */
  readonly probeCommand?: string;
}

/** A TCP service on an NLB. */
export interface MonitoredNlbService extends MonitoredServiceBase {
  /** Network load balancer. */
  readonly kind: 'nlb';
  /** The NLB: flow, reset and fail-open (UnhealthyRoutingFlowCount) metrics. */
  readonly loadBalancer: elbv2.INetworkLoadBalancer;
  /** One target group per port, each attached to a listener of `loadBalancer`. */
  readonly targetGroups: readonly elbv2.INetworkTargetGroup[];
  /**
   * The NLB reaches real servers outside the VPC with client-IP preservation off (source NAT): each connection
   * takes a source port of the NLB's address, about 55,000 per minute per server address and port, and the
   * `PortAllocationErrorCount` alarm watches for running out. @default false
   */
  readonly sourceNatToOnPremises?: boolean;
}

/** An HTTPS service (the viewer) on an ALB. */
export interface MonitoredAlbService extends MonitoredServiceBase {
  /** Application load balancer. */
  readonly kind: 'alb';
  /** The ALB. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** One target group per port, each attached to a listener of `loadBalancer`. */
  readonly targetGroups: readonly elbv2.IApplicationTargetGroup[];
}

/** A service the controller balances, with its load balancer. */
export type MonitoredService = MonitoredNlbService | MonitoredAlbService;

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /** Site name: the `Site` metric dimension, and the prefix of alarm, topic and dashboard names. */
  readonly siteName: string;
  /** Every service of the site (viewer included). */
  readonly services: readonly MonitoredService[];
  /** The controller function (errors, throttles). */
  readonly controllerFunction: lambda.IFunction;
  /** Seconds between controller rounds (the round-duration threshold is a fraction of it). @default 10 */
  readonly controllerIntervalSeconds?: number;
  /** Alarm periods, windows and thresholds (validated with `monitoringSchema`). @default - every default */
  readonly settings?: MonitoringSettingsInput;
  /** Topic for alarm and OK notifications. @default - a new topic encrypted with `encryptionKey` (or `existingTopicArn`) */
  readonly topic?: sns.ITopic;
  /** ARN of an existing topic to notify instead of creating one; its key must let CloudWatch publish. @default - a new topic */
  readonly existingTopicArn?: string;
  /** E-mail addresses subscribed to the topic. @default - none */
  readonly emails?: readonly string[];
  /** Key of the new topic; its policy gets a narrow grant for CloudWatch. Required when no topic is given. @default - none */
  readonly encryptionKey?: kms.IKey;
}

/** How urgent an alarm is; it leads the alarm's name, so it is in every e-mail subject. */
export type AlarmSeverity = 'CRITICAL' | 'WARNING';

/** One alarm of the site and what it watches. */
export interface MonitoringAlarm {
  /** The CloudWatch alarm. */
  readonly alarm: cloudwatch.Alarm;
  /** How urgent it is. */
  readonly severity: AlarmSeverity;
  /** What it watches: a service label, `<service>:<listener port>`, `<service>/<server>`, or `controller`. */
  readonly subject: string;
  /** Short kind, e.g. `outage`, `heartbeat` (the runbook's section). */
  readonly kind: string;
}

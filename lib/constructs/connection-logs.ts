import { RemovalPolicy, aws_ec2 as ec2, aws_iam as iam, aws_logs as logs } from 'aws-cdk-lib';
import type { aws_kms as kms } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ProblemList } from './validation';

/** Props of {@link ConnectionLogs}. */
export interface ConnectionLogsProps {
  /** The subnets whose traffic is recorded: those holding a load balancer of the site. */
  readonly subnets: readonly ec2.ISubnet[];
  /** Key of the log group (its policy must let CloudWatch Logs use it for this account's log groups). */
  readonly encryptionKey: kms.IKey;
  /** Retention of the log group. @default logs.RetentionDays.ONE_YEAR */
  readonly retention?: logs.RetentionDays;
}

/**
 * VPC flow logs of the load balancers' subnets (the connection record NLBs do not keep for plain TCP listeners),
 * all traffic, aggregated per minute, to one KMS-encrypted log group. Works for an existing VPC too: flow logs
 * are per subnet, so nothing else of the VPC is touched (README: Connection logs).
 */
export class ConnectionLogs extends Construct {
  /** The flow-log group (default format, so Logs Insights discovers srcAddr, dstAddr, srcPort, dstPort ...). */
  public readonly logGroup: logs.LogGroup;
  /** One flow log per subnet, in the order of `subnets`. */
  public readonly flowLogs: readonly ec2.FlowLog[];

  constructor(scope: Construct, id: string, props: ConnectionLogsProps) {
    super(scope, id);
    const problems = new ProblemList();
    problems.check(props.subnets.length > 0, 'subnets: at least one subnet is required');
    const ids = props.subnets.map((subnet) => subnet.subnetId);
    problems.check(new Set(ids).size === ids.length, `subnets: a subnet is listed twice (${ids.join(', ')})`);
    problems.throwIfAny(`ConnectionLogs ${this.node.path}`);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: props.encryptionKey,
      retention: props.retention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A customer-managed policy on this one group instead of the inline DefaultPolicy CDK would add.
    const deliveryPolicy = new iam.ManagedPolicy(this, 'DeliveryPolicy', {
      description: `Lets VPC Flow Logs write the load-balancer subnets' flow logs of ${this.node.path}`,
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [this.logGroup.logGroupArn],
        }),
      ],
    });
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: `Delivers the load-balancer subnets' flow logs of ${this.node.path}`,
      managedPolicies: [deliveryPolicy],
    });
    const destination = ec2.FlowLogDestination.toCloudWatchLogs(this.logGroup, role.withoutPolicyUpdates());
    this.flowLogs = props.subnets.map(
      (subnet, index) =>
        new ec2.FlowLog(this, `FlowLog${index}`, {
          resourceType: ec2.FlowLogResourceType.fromSubnet(subnet),
          destination,
          trafficType: ec2.FlowLogTrafficType.ALL,
          // One-minute records, so a client's flow and the NLB's flow to the server can be matched by time.
          maxAggregationInterval: ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
        }),
    );
  }
}

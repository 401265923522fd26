import { RemovalPolicy, Stack, Token, Validations, aws_ec2 as ec2, aws_iam as iam, aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  DEFAULT_FLOW_LOG_RETENTION,
  DEFAULT_NEW_VPC_INTERFACE_ENDPOINTS,
  DEFAULT_NEW_VPC_SUBNET_CIDR_MASK,
} from './construct-defaults';
import { Ipv4Cidr, cidrContains, cidrContainsCidr, parseCidr, requireCidr } from '../site/ipv4';
import { ProblemList, checkCidr } from './validation';

/** One subnet of an existing VPC, given by attributes (no lookups: synth stays offline). */
export interface ExistingSubnetAttributes {
  /** Subnet id, e.g. `subnet-0123456789abcdef0`. */
  readonly subnetId: string;
  /** Availability zone of the subnet, e.g. `eu-west-2a`. */
  readonly availabilityZone: string;
  /** IPv4 CIDR block of the subnet. */
  readonly cidr: string;
  /** Route table of the subnet (give it for every subnet or for none); only read by code that adds routes or gateway endpoints. @default - unknown */
  readonly routeTableId?: string;
}

/** An existing VPC, given by attributes. */
export interface ExistingVpcAttributes {
  /** VPC id, e.g. `vpc-0123456789abcdef0`. */
  readonly vpcId: string;
  /** Primary IPv4 CIDR block of the VPC. */
  readonly cidr: string;
  /** The private subnets medlb may place load balancers and the controller in. */
  readonly subnets: readonly ExistingSubnetAttributes[];
}

/** A VPC that medlb creates: private isolated subnets only, AWS APIs through VPC endpoints. */
export interface NewVpcSettings {
  /** IPv4 CIDR block of the new VPC. */
  readonly cidr: string;
  /** Number of availability zones (one private subnet each). */
  readonly maxAzs: number;
  /** Prefix length of each private subnet. @default 24 */
  readonly subnetCidrMask?: number;
  /** Interface endpoints to create (the controller has no internet path). @default Elastic Load Balancing */
  readonly interfaceEndpoints?: readonly ec2.InterfaceVpcEndpointAwsService[];
  /** Whether to add a DynamoDB gateway endpoint (the controller's state store). @default true */
  readonly dynamoDbGatewayEndpoint?: boolean;
}

/** Props of {@link SiteNetwork}: exactly one of `existingVpc` and `newVpc`. */
export interface SiteNetworkProps {
  /** Import this VPC by attributes. @default - none; `newVpc` must be given */
  readonly existingVpc?: ExistingVpcAttributes;
  /** Create a VPC with these settings. @default - none; `existingVpc` must be given */
  readonly newVpc?: NewVpcSettings;
  /** Record VPC flow logs (all traffic) to a KMS-encrypted log group. @default true for a new VPC, false for an existing one (its owner governs its logging) */
  readonly flowLogs?: boolean;
  /** Retention of the flow-log group. @default one year */
  readonly flowLogRetention?: logs.RetentionDays;
}

/**
 * The network of a medlb site: an imported VPC (by attributes, offline) or a new private VPC with
 * flow logs and a closed default security group. Knows every subnet's CIDR, so it can tell which
 * subnet an address (a VIP) belongs to.
 */
export class SiteNetwork extends Construct {
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** Primary IPv4 CIDR block of the VPC. */
  public readonly vpcCidr: string;
  /** The private subnets medlb uses, each with a known CIDR block. */
  public readonly subnets: readonly ec2.ISubnet[];
  /** The flow-log group, when flow logs are on. */
  public readonly flowLogGroup?: logs.ILogGroup;

  private readonly subnetBlocks: ReadonlyArray<{ readonly subnet: ec2.ISubnet; readonly block: Ipv4Cidr }>;
  private readonly vpcBlock: Ipv4Cidr;

  constructor(scope: Construct, id: string, props: SiteNetworkProps) {
    super(scope, id);
    const resource = `SiteNetwork ${this.node.path}`;
    validateProps(props).throwIfAny(resource);

    const { existingVpc, newVpc } = props;
    if (existingVpc) {
      const existing = existingVpc;
      this.vpcCidr = existing.cidr;
      const routeTableIds = existing.subnets.flatMap((subnet) => (subnet.routeTableId === undefined ? [] : [subnet.routeTableId]));
      // validateProps allows route tables for every subnet or for none.
      const routeTablesKnown = routeTableIds.length === existing.subnets.length;
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: existing.vpcId,
        vpcCidrBlock: existing.cidr,
        // One entry per subnet (repeats allowed): fromVpcAttributes pairs subnets with AZs by index.
        availabilityZones: existing.subnets.map((subnet) => subnet.availabilityZone),
        privateSubnetIds: existing.subnets.map((subnet) => subnet.subnetId),
        privateSubnetIpv4CidrBlocks: existing.subnets.map((subnet) => subnet.cidr),
        privateSubnetRouteTableIds: routeTablesKnown ? routeTableIds : undefined,
      });
      // The VPC's own imported subnets (Subnet.fromSubnetAttributes inside), so `vpc.selectSubnets()` and
      // `subnets` hand out the same objects.
      this.subnets = this.vpc.privateSubnets;
      if (!routeTablesKnown) {
        for (const subnet of this.subnets) {
          Validations.of(subnet).acknowledge({
            id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
            reason: 'SiteNetwork adds no routes or gateway endpoints to an existing VPC, so route tables are never read',
          });
        }
      }
    } else {
      const settings = newVpc;
      // validateProps (above) threw unless exactly one of the two is given.
      if (settings === undefined) throw new Error(`${resource}: give exactly one of existingVpc and newVpc`);
      this.vpcCidr = settings.cidr;
      const vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(settings.cidr),
        maxAzs: settings.maxAzs,
        natGateways: 0,
        restrictDefaultSecurityGroup: true,
        subnetConfiguration: [
          {
            name: 'private',
            subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
            cidrMask: settings.subnetCidrMask ?? DEFAULT_NEW_VPC_SUBNET_CIDR_MASK,
          },
        ],
      });
      this.vpc = vpc;
      this.subnets = vpc.isolatedSubnets;
      const endpointServices = settings.interfaceEndpoints ?? DEFAULT_NEW_VPC_INTERFACE_ENDPOINTS;
      if (endpointServices.length > 0) {
        // Our own group with a literal CIDR: the default one refers to the VPC's CIDR by token, which reviewers
        // (and cdk-nag) cannot tell apart from 0.0.0.0/0.
        const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
          vpc,
          description: `medlb ${this.node.path}: HTTPS from inside the VPC to the AWS API endpoints`,
          allowAllOutbound: false,
        });
        endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(settings.cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
        for (const service of endpointServices) {
          vpc.addInterfaceEndpoint(`Endpoint-${service.shortName}`, {
            service,
            privateDnsEnabled: true,
            open: false,
            securityGroups: [endpointSecurityGroup],
          });
        }
      }
      if (settings.dynamoDbGatewayEndpoint ?? true) {
        vpc.addGatewayEndpoint('Endpoint-dynamodb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
      }
    }

    this.vpcBlock = requireCidr(this.vpcCidr, resource);
    this.subnetBlocks = this.subnets.map((subnet) => ({ subnet, block: requireCidr(subnet.ipv4CidrBlock, resource) }));

    if (props.flowLogs ?? props.newVpc !== undefined) {
      this.flowLogGroup = this.addFlowLogs(props.flowLogRetention ?? DEFAULT_FLOW_LOG_RETENTION);
    }
  }

  /** The subnet whose CIDR contains `address`, or `undefined` when none does. */
  public subnetFor(address: string): ec2.ISubnet | undefined {
    return this.subnetBlocks.find(({ block }) => cidrContains(block, address))?.subnet;
  }

  /** True when `address` lies inside the VPC's primary CIDR (an on-premises real server does not). */
  public containsAddress(address: string): boolean {
    return cidrContains(this.vpcBlock, address);
  }

  private addFlowLogs(retention: logs.RetentionDays): logs.ILogGroup {
    const key = new kms.Key(this, 'FlowLogKey', {
      description: `medlb flow logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const region = Stack.of(this).region;
    // CloudWatch Logs encrypts with the key on the log group's behalf.
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${region}.amazonaws.com`));
    const logGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      encryptionKey: key,
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A customer-managed policy instead of the inline DefaultPolicy CDK would add (HIPAA IAMNoInlinePolicy),
    // scoped to this one log group.
    const deliveryPolicy = new iam.ManagedPolicy(this, 'FlowLogDeliveryPolicy', {
      description: `Lets VPC Flow Logs write to the flow-log group of ${this.node.path}`,
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    const role = new iam.Role(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: `Delivers VPC flow logs of ${this.node.path} to its log group`,
      managedPolicies: [deliveryPolicy],
    });
    new ec2.FlowLog(this, 'FlowLog', {
      resourceType: ec2.FlowLogResourceType.fromVpc(this.vpc),
      // Immutable view: the grants FlowLog would add as an inline policy are already in deliveryPolicy.
      destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup, role.withoutPolicyUpdates()),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    return logGroup;
  }
}

function validateProps(props: SiteNetworkProps): ProblemList {
  const problems = new ProblemList();
  if ((props.existingVpc === undefined) === (props.newVpc === undefined)) {
    problems.add('give exactly one of existingVpc and newVpc');
    return problems;
  }
  if (props.newVpc) {
    const { cidr, maxAzs, subnetCidrMask } = props.newVpc;
    checkCidr(problems, 'newVpc.cidr', cidr);
    problems.check(Number.isInteger(maxAzs) && maxAzs >= 1 && maxAzs <= 6, `newVpc.maxAzs: ${maxAzs} must be an integer 1–6`);
    if (subnetCidrMask !== undefined) {
      problems.check(
        Number.isInteger(subnetCidrMask) && subnetCidrMask >= 16 && subnetCidrMask <= 28,
        `newVpc.subnetCidrMask: ${subnetCidrMask} must be an integer 16–28`,
      );
    }
    return problems;
  }
  const existing = props.existingVpc;
  if (existing === undefined) return problems;
  const vpcBlock = parseCidr(existing.cidr);
  checkCidr(problems, 'existingVpc.cidr', existing.cidr);
  problems.check(existing.subnets.length > 0, 'existingVpc.subnets: at least one subnet is required');
  const withRouteTable = existing.subnets.filter((subnet) => subnet.routeTableId !== undefined).length;
  problems.check(
    withRouteTable === 0 || withRouteTable === existing.subnets.length,
    `existingVpc.subnets: routeTableId is given for ${withRouteTable} of ${existing.subnets.length} subnets; give it for every subnet or for none`,
  );
  const seenIds = new Set<string>();
  existing.subnets.forEach((subnet, index) => {
    const path = `existingVpc.subnets[${index}]`;
    problems.check(!seenIds.has(subnet.subnetId), `${path}.subnetId: ${subnet.subnetId} is listed twice`);
    seenIds.add(subnet.subnetId);
    problems.check(!Token.isUnresolved(subnet.cidr), `${path}.cidr must be a literal CIDR block, not a token`);
    const block = Token.isUnresolved(subnet.cidr) ? undefined : parseCidr(subnet.cidr);
    checkCidr(problems, `${path}.cidr`, subnet.cidr);
    if (block && vpcBlock) {
      problems.check(
        cidrContainsCidr(vpcBlock, block),
        `${path}.cidr: ${subnet.cidr} is not inside the VPC CIDR ${existing.cidr}`,
      );
    }
  });
  return problems;
}

import { CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConstructPropsError, SiteNetwork } from '../../lib/constructs';
import { nagFindings, newTestStack, resourcesOfType } from './construct-test-helpers';

const EXISTING = {
  vpcId: 'vpc-0123456789abcdef0',
  cidr: '10.12.0.0/16',
  subnets: [
    { subnetId: 'subnet-0aaaaaaaaaaaaaaaa', availabilityZone: 'eu-west-2a', cidr: '10.12.1.0/24' },
    { subnetId: 'subnet-0bbbbbbbbbbbbbbbb', availabilityZone: 'eu-west-2b', cidr: '10.12.2.0/24' },
  ],
};

describe('SiteNetwork with an existing VPC (imported by attributes)', () => {
  let stack: Stack;
  let network: SiteNetwork;
  beforeAll(() => {
    stack = newTestStack();
    network = new SiteNetwork(stack, 'Network', { existingVpc: EXISTING });
  });

  it('imports without lookups or resources', () => {
    expect(network.vpc.vpcId).toBe(EXISTING.vpcId);
    expect(network.vpcCidr).toBe('10.12.0.0/16');
    expect(network.subnets.map((subnet) => [subnet.subnetId, subnet.availabilityZone, subnet.ipv4CidrBlock])).toEqual(
      EXISTING.subnets.map((subnet) => [subnet.subnetId, subnet.availabilityZone, subnet.cidr]),
    );
    expect(network.vpc.selectSubnets().subnetIds).toEqual(EXISTING.subnets.map((subnet) => subnet.subnetId));
    expect(network.flowLogGroup).toBeUndefined();
    // Synthesis of an empty template is itself an error, so count CloudFormation resources in the tree instead.
    expect(stack.node.findAll().filter((construct) => construct instanceof CfnResource)).toEqual([]);
  });

  it('finds the subnet of an address and tells VPC membership', () => {
    expect(network.subnetFor('10.12.1.100')?.subnetId).toBe('subnet-0aaaaaaaaaaaaaaaa');
    expect(network.subnetFor('10.12.2.100')?.subnetId).toBe('subnet-0bbbbbbbbbbbbbbbb');
    expect(network.subnetFor('10.12.3.100')).toBeUndefined();
    expect(network.containsAddress('10.12.3.100')).toBe(true);
    expect(network.containsAddress('192.168.50.10')).toBe(false);
  });

  it('adds flow logs to the existing VPC only when asked', () => {
    const optIn = newTestStack('OptIn');
    new SiteNetwork(optIn, 'Network', { existingVpc: EXISTING, flowLogs: true });
    Template.fromStack(optIn).hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceId: EXISTING.vpcId,
      ResourceType: 'VPC',
      TrafficType: 'ALL',
    });
  });
});

describe('SiteNetwork with a new VPC', () => {
  let stack: Stack;
  let template: Template;
  let network: SiteNetwork;
  beforeAll(() => {
    stack = newTestStack();
    network = new SiteNetwork(stack, 'Network', { newVpc: { cidr: '10.20.0.0/16', maxAzs: 2 } });
    template = Template.fromStack(stack);
  });

  it('has only private isolated subnets, no internet or NAT gateway, and a closed default security group', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    expect(network.subnets.map((subnet) => subnet.ipv4CidrBlock)).toEqual(['10.20.0.0/24', '10.20.1.0/24']);
    expect(network.subnetFor('10.20.1.9')).toBe(network.subnets[1]);
  });

  it('logs all traffic to a KMS-encrypted log group with retention, through a role without inline policies', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('FlowLogKey'), 'Arn'] },
      RetentionInDays: 365,
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('FlowLogGroup'), 'Arn'] },
          },
        ],
      },
    });
  });

  it('reaches the ELB API through an interface endpoint open to the VPC CIDR only, and DynamoDB through a gateway', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.eu-west-2.elasticloadbalancing',
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    const endpointGroups = resourcesOfType(template, 'AWS::EC2::SecurityGroup');
    expect(endpointGroups).toHaveLength(1);
    expect(endpointGroups[0]![1].SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: '10.20.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
    ]);
  });

  it('has no unacknowledged AwsSolutions or HIPAA.Security finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('SiteNetwork validation', () => {
  function problemsOf(build: () => unknown): readonly string[] {
    try {
      build();
    } catch (error) {
      if (error instanceof ConstructPropsError) return error.problems;
      throw error;
    }
    throw new Error('expected a ConstructPropsError');
  }

  it('wants exactly one of existingVpc and newVpc', () => {
    expect(problemsOf(() => new SiteNetwork(newTestStack(), 'N', {}))).toEqual(['give exactly one of existingVpc and newVpc']);
    expect(
      problemsOf(() => new SiteNetwork(newTestStack(), 'N', { existingVpc: EXISTING, newVpc: { cidr: '10.0.0.0/16', maxAzs: 2 } })),
    ).toEqual(['give exactly one of existingVpc and newVpc']);
  });

  it('reports every problem of an existing VPC at once', () => {
    const problems = problemsOf(
      () =>
        new SiteNetwork(newTestStack(), 'N', {
          existingVpc: {
            vpcId: EXISTING.vpcId,
            cidr: '10.12.0.1/16',
            subnets: [
              { subnetId: 'subnet-0aaaaaaaaaaaaaaaa', availabilityZone: 'eu-west-2a', cidr: '10.13.1.0/24', routeTableId: 'rtb-0aaaaaaaaaaaaaaaa' },
              { subnetId: 'subnet-0aaaaaaaaaaaaaaaa', availabilityZone: 'eu-west-2b', cidr: '10.12.2.0/33' },
            ],
          },
        }),
    );
    expect(problems).toEqual([
      'existingVpc.cidr: 10.12.0.1/16 has host bits set (did you mean 10.12.0.0/16?)',
      'existingVpc.subnets: routeTableId is given for 1 of 2 subnets; give it for every subnet or for none',
      'existingVpc.subnets[1].subnetId: subnet-0aaaaaaaaaaaaaaaa is listed twice',
      'existingVpc.subnets[1].cidr: 10.12.2.0/33 is not a CIDR block like 10.12.0.0/16',
    ]);
  });

  it('reports a subnet outside the VPC and bad new-VPC settings', () => {
    expect(
      problemsOf(
        () => new SiteNetwork(newTestStack(), 'N', { existingVpc: { ...EXISTING, subnets: [{ ...EXISTING.subnets[0]!, cidr: '10.13.1.0/24' }] } }),
      ),
    ).toEqual(['existingVpc.subnets[0].cidr: 10.13.1.0/24 is not inside the VPC CIDR 10.12.0.0/16']);
    expect(problemsOf(() => new SiteNetwork(newTestStack(), 'N', { newVpc: { cidr: '10.20.0.0', maxAzs: 0, subnetCidrMask: 30 } }))).toEqual([
      'newVpc.cidr: 10.20.0.0 is not a CIDR block like 10.12.0.0/16',
      'newVpc.maxAzs: 0 must be an integer 1–6',
      'newVpc.subnetCidrMask: 30 must be an integer 16–28',
    ]);
  });

  it('names the construct in the error message', () => {
    expect(() => new SiteNetwork(newTestStack(), 'Net', {})).toThrow(/SiteNetwork TestStack\/Net has 1 invalid setting:\n {2}- give exactly one/);
  });
});

import { Duration, Stack, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { SiteNetwork, TcpService, Viewer } from '../../lib/constructs';
import { nagFindings, newTestStack } from './construct-test-helpers';
import { EXAMPLE_CERTIFICATE_ARN, EXAMPLE_EXISTING_VPC, exampleNetwork, vipMappings } from './construct-fixtures';

/**
 * Every `Validations.of(x).acknowledge(...)` in the tree: construct path, rule id (without the `Annotation::`
 * namespace CDK records plugin rules under), reason. aws-cdk-lib's own acknowledgements of its built-in
 * CloudFormation-Validate findings (e.g. on the Vpc's FlowLog) are left out: they are not ours.
 */
function acknowledgementsIn(scope: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return scope.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
            path: construct.node.path,
            id: id.replace(/^Annotation::(?=AwsSolutions-|HIPAA\.Security-)/, ''),
            reason,
          })),
        ),
    )
    .filter(({ id }) => !id.startsWith('CloudFormation-Validate::'));
}

describe('cdk-nag over stacks built from the constructs', () => {
  let newVpcStack: Stack;
  let importedVpcStack: Stack;

  beforeAll(() => {
    // A new VPC with a DICOM service (transparent, two ports) and the viewer with a static VIP.
    newVpcStack = newTestStack('NewVpcStack');
    const network = new SiteNetwork(newVpcStack, 'Network', { newVpc: { cidr: '10.30.0.0/16', maxAzs: 2 } });
    new TcpService(newVpcStack, 'Dicom', {
      vpc: network.vpc,
      serviceName: 'DICOM-Modalities',
      subnetMappings: vipMappings(network, '10.30.0.100', '10.30.1.100'),
      ports: [{ port: 104 }, { port: 11112 }],
      allowedClientCidrs: ['10.50.0.0/16'],
      realServerCidrs: ['10.30.0.0/23'],
      transparent: true,
    });
    new Viewer(newVpcStack, 'Viewer', {
      vpc: network.vpc,
      subnets: network.subnets,
      certificateArn: EXAMPLE_CERTIFICATE_ARN,
      allowedClientCidrs: ['10.50.0.0/16'],
      realServerCidrs: ['10.30.0.0/23'],
      staticVips: vipMappings(network, '10.30.0.160', '10.30.1.160'),
    });

    // The guide's imported VPC with a non-transparent HL7 service and on-premises real servers.
    importedVpcStack = newTestStack('ImportedVpcStack');
    const imported = exampleNetwork(importedVpcStack);
    new TcpService(importedVpcStack, 'Hl7', {
      vpc: imported.vpc,
      serviceName: 'HL7',
      subnetMappings: vipMappings(imported, '10.12.1.120'),
      ports: [{ port: 2575 }],
      allowedClientCidrs: ['10.50.0.0/16'],
      realServerCidrs: ['192.168.50.0/24'],
      transparent: false,
      proxyProtocolV2: true,
      idleTimeout: Duration.hours(1),
    });
  });

  it('finds nothing unacknowledged (AwsSolutions + HIPAA.Security)', () => {
    expect(nagFindings(newVpcStack)).toEqual([]);
    expect(nagFindings(importedVpcStack)).toEqual([]);
  });

  it('acknowledges only on the specific resources concerned, each rule by name with a specific reason', () => {
    const acknowledgements = [...acknowledgementsIn(newVpcStack), ...acknowledgementsIn(importedVpcStack)];
    expect(acknowledgements.map(({ path, id }) => `${path} ${id}`).sort()).toEqual(
      [
        'NewVpcStack/Dicom/LoadBalancer AwsSolutions-ELB2',
        'NewVpcStack/Dicom/LoadBalancer HIPAA.Security-ELBLoggingEnabled',
        'NewVpcStack/Dicom/LoadBalancer/Listener104 HIPAA.Security-ELBv2ACMCertificateRequired',
        'NewVpcStack/Dicom/LoadBalancer/Listener11112 HIPAA.Security-ELBv2ACMCertificateRequired',
        'NewVpcStack/Viewer/AccessLogs/Bucket AwsSolutions-S1',
        'NewVpcStack/Viewer/AccessLogs/Bucket HIPAA.Security-S3BucketLoggingEnabled',
        'NewVpcStack/Viewer/AccessLogs/Bucket HIPAA.Security-S3BucketReplicationEnabled',
        'NewVpcStack/Viewer/AccessLogs/Bucket HIPAA.Security-S3DefaultEncryptionKMS',
        'NewVpcStack/Viewer/StaticVipLoadBalancer AwsSolutions-ELB2',
        'NewVpcStack/Viewer/StaticVipLoadBalancer HIPAA.Security-ELBLoggingEnabled',
        'NewVpcStack/Viewer/StaticVipLoadBalancer/Https HIPAA.Security-ELBv2ACMCertificateRequired',
        'ImportedVpcStack/Hl7/LoadBalancer AwsSolutions-ELB2',
        'ImportedVpcStack/Hl7/LoadBalancer HIPAA.Security-ELBLoggingEnabled',
        'ImportedVpcStack/Hl7/LoadBalancer/Listener2575 HIPAA.Security-ELBv2ACMCertificateRequired',
        ...EXAMPLE_EXISTING_VPC.subnets.map(
          (_, index) => `ImportedVpcStack/Network/Vpc/PrivateSubnet${index + 1} Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId`,
        ),
      ].sort(),
    );
    for (const { reason } of acknowledgements) expect(reason.length).toBeGreaterThan(80);
    // The listener reasons name the service and the port they are about.
    expect(acknowledgements.find(({ path }) => path.endsWith('Listener2575'))?.reason).toMatch(/^HL7 port 2575 is TCP passthrough/);
  });

  it('is live: the same resources without the constructs\' hardening and acknowledgements are reported', () => {
    const control = newTestStack('ControlStack');
    const network = exampleNetwork(control);
    const nlb = new elbv2.NetworkLoadBalancer(control, 'BareNlb', { vpc: network.vpc, vpcSubnets: { subnets: [...network.subnets] } });
    nlb.addListener('Dicom', {
      port: 104,
      defaultTargetGroups: [new elbv2.NetworkTargetGroup(control, 'BareTg', { vpc: network.vpc, port: 104, targetType: elbv2.TargetType.IP })],
    });
    const rules = new Set(nagFindings(control).map(({ rule }) => rule));
    for (const rule of [
      'AwsSolutions-ELB2',
      'HIPAA.Security-ELBLoggingEnabled',
      'HIPAA.Security-ELBDeletionProtectionEnabled',
      'HIPAA.Security-ELBv2ACMCertificateRequired',
    ]) {
      expect(rules).toContain(rule);
    }
  });
});

import { App, Duration, Stack, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccessLogsBucket, SiteNetwork, Viewer, ViewerProps } from '../../lib/constructs';
import { nagFindings, newTestStack, resourcesOfType } from './construct-test-helpers';
import { EXAMPLE_CERTIFICATE_ARN, exampleNetwork, problemsOf, vipMappings } from './construct-fixtures';

type Props = Record<string, unknown>;

function attributesOf(properties: Props, key: string): Record<string, unknown> {
  return Object.fromEntries(((properties[key] ?? []) as Array<{ Key: string; Value: unknown }>).map(({ Key, Value }) => [Key, Value]));
}

describe('Viewer', () => {
  let stack: Stack;
  let template: Template;
  let network: SiteNetwork;
  let viewer: Viewer;
  let plainViewer: Viewer;
  let sharedLogs: AccessLogsBucket;
  let serverAccessLogsBucket: AccessLogsBucket['bucket'];

  beforeAll(() => {
    stack = newTestStack();
    network = exampleNetwork(stack);
    viewer = new Viewer(stack, 'Viewer', {
      vpc: network.vpc,
      subnets: network.subnets,
      certificateArn: EXAMPLE_CERTIFICATE_ARN,
      allowedClientCidrs: ['10.50.0.0/16'],
      realServerCidrs: ['10.12.1.0/24'],
      staticVips: vipMappings(network, '10.12.1.160', '10.12.2.160'),
    });
    // A second viewer: no static VIP, a shared log bucket that has its own server access logs, overrides.
    // S3 server access logs also need an SSE-S3 bucket, so the same construct serves as their (terminal) sink.
    const serverAccessLogs = new AccessLogsBucket(stack, 'ServerAccessLogs');
    serverAccessLogsBucket = serverAccessLogs.bucket;
    sharedLogs = new AccessLogsBucket(stack, 'SharedLogs', { serverAccessLogsBucket: serverAccessLogs.bucket, retention: Duration.days(90) });
    plainViewer = new Viewer(stack, 'PlainViewer', {
      vpc: network.vpc,
      serviceName: 'Portal',
      subnets: network.subnets,
      certificateArn: EXAMPLE_CERTIFICATE_ARN,
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
      allowedClientCidrs: ['10.60.0.0/16'],
      port: 8443,
      targetPort: 9443,
      stickinessCookieDuration: Duration.minutes(20),
      healthCheckPath: '/health?full=1',
      idleTimeout: Duration.seconds(600),
      deregistrationDelay: Duration.seconds(60),
      accessLogsBucket: sharedLogs.bucket,
      accessLogsPrefix: 'portal',
    });
    plainViewer.allowTrafficToRealServers('10.12.2.0/24');
    template = Template.fromStack(stack);
  });

  const resource = (construct: { node: { defaultChild?: unknown } }): Props =>
    template.toJSON().Resources[stack.getLogicalId(construct.node.defaultChild as never)].Properties;
  const logicalId = (construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as never);

  it('is an internal ALB with deletion protection, idle timeout 3600, invalid headers dropped and access logs', () => {
    const alb = resource(viewer.loadBalancer);
    expect(alb).toMatchObject({ Type: 'application', Scheme: 'internal', Subnets: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'] });
    expect(attributesOf(alb, 'LoadBalancerAttributes')).toEqual({
      'deletion_protection.enabled': 'true',
      'idle_timeout.timeout_seconds': '3600',
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'access_logs.s3.enabled': 'true',
      'access_logs.s3.bucket': { Ref: logicalId(viewer.accessLogsBucket) },
      'access_logs.s3.prefix': 'viewer-alb',
    });
    expect(attributesOf(resource(plainViewer.loadBalancer), 'LoadBalancerAttributes')).toMatchObject({
      'idle_timeout.timeout_seconds': '600',
      'access_logs.s3.bucket': { Ref: logicalId(sharedLogs.bucket) },
      'access_logs.s3.prefix': 'portal',
    });
  });

  it('listens on HTTPS 443 with the ACM certificate and an explicit TLS 1.3 policy', () => {
    expect(resource(viewer.listener)).toMatchObject({
      LoadBalancerArn: { Ref: logicalId(viewer.loadBalancer) },
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: EXAMPLE_CERTIFICATE_ARN }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(viewer.targetGroup) } }],
    });
    expect(resource(plainViewer.listener)).toMatchObject({ Port: 8443, SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06' });
  });

  it('forwards to an EMPTY HTTPS IP target group with lb_cookie stickiness, health check and deregistration delay', () => {
    const group = resource(viewer.targetGroup);
    expect(group).toMatchObject({
      TargetType: 'ip',
      Protocol: 'HTTPS',
      Port: 443,
      HealthCheckProtocol: 'HTTPS',
      HealthCheckPath: '/',
      Matcher: { HttpCode: '200-399' },
    });
    expect(group.Targets).toBeUndefined();
    expect(attributesOf(group, 'TargetGroupAttributes')).toEqual({
      'stickiness.enabled': 'true',
      'stickiness.type': 'lb_cookie',
      'stickiness.lb_cookie.duration_seconds': '3600',
      'deregistration_delay.timeout_seconds': '300',
    });
    const plainGroup = resource(plainViewer.targetGroup);
    expect(plainGroup).toMatchObject({ Port: 9443, HealthCheckPath: '/health?full=1' });
    expect(attributesOf(plainGroup, 'TargetGroupAttributes')).toMatchObject({
      'stickiness.lb_cookie.duration_seconds': '1200',
      'deregistration_delay.timeout_seconds': '60',
    });
    expect([viewer.port, viewer.listenerPort, plainViewer.port, plainViewer.listenerPort]).toEqual([443, 443, 9443, 8443]);
  });

  it('lets only the allowed clients in on the listener port and only reaches the servers on the target port', () => {
    expect(resource(viewer.securityGroup)).toMatchObject({
      SecurityGroupIngress: [{ CidrIp: '10.50.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS-Viewer clients' }],
      SecurityGroupEgress: [{ CidrIp: '10.12.1.0/24', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS-Viewer servers' }],
    });
    expect(resource(plainViewer.securityGroup)).toMatchObject({
      SecurityGroupIngress: [{ CidrIp: '10.60.0.0/16', IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, Description: 'Portal clients' }],
      SecurityGroupEgress: [{ CidrIp: '10.12.2.0/24', IpProtocol: 'tcp', FromPort: 9443, ToPort: 9443, Description: 'Portal servers' }],
    });
    for (const [, props] of resourcesOfType(template, 'AWS::EC2::SecurityGroup')) {
      expect(JSON.stringify(props)).not.toContain('0.0.0.0/0');
    }
  });

  it('writes access logs to an SSE-S3, versioned, non-public, TLS-only bucket with a lifecycle rule', () => {
    const bucket = resource(viewer.accessLogsBucket);
    expect(bucket).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: {
        Rules: [{ Id: 'expire-access-logs', Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 30 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }],
      },
    });
    expect(template.toJSON().Resources[logicalId(viewer.accessLogsBucket)].DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(viewer.accessLogsBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 's3:*', Effect: 'Deny', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          // eu-west-2's ELB log-delivery account.
          Match.objectLike({ Action: 's3:PutObject', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::652711504416:root' } }),
        ]),
      },
    });
    expect(resource(sharedLogs.bucket)).toMatchObject({
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90 }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(serverAccessLogsBucket) }, LogFilePrefix: 'access-logs-bucket/' },
    });
  });

  it('puts an internal static-VIP NLB in front of the ALB with an ALB-type target group whose only target is the ALB', () => {
    const nlb = resource(viewer.staticVipLoadBalancer!);
    expect(nlb).toMatchObject({
      Type: 'network',
      Scheme: 'internal',
      SubnetMappings: [
        { SubnetId: 'subnet-0aaaaaaaaaaaaaaaa', PrivateIPv4Address: '10.12.1.160' },
        { SubnetId: 'subnet-0bbbbbbbbbbbbbbbb', PrivateIPv4Address: '10.12.2.160' },
      ],
    });
    expect(attributesOf(nlb, 'LoadBalancerAttributes')).toEqual({ 'deletion_protection.enabled': 'true', 'load_balancing.cross_zone.enabled': 'true' });
    expect(resource(viewer.staticVipTargetGroup!)).toMatchObject({
      TargetType: 'alb',
      Protocol: 'TCP',
      Port: 443,
      Targets: [{ Id: { Ref: logicalId(viewer.loadBalancer) }, Port: 443 }],
      HealthCheckProtocol: 'HTTPS',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: logicalId(viewer.staticVipLoadBalancer!) },
      Port: 443,
      Protocol: 'TCP',
      ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '3600' }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(viewer.staticVipTargetGroup!) } }],
    });
    // Its security group: allowed clients in on 443, out only to the ALB's group on 443 (and the ALB lets it in).
    const vipGroupLogicalId = ((nlb.SecurityGroups as Array<{ 'Fn::GetAtt': [string, string] }>)[0])!['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[vipGroupLogicalId].Properties.SecurityGroupIngress).toEqual([
      { CidrIp: '10.50.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS-Viewer clients' },
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [vipGroupLogicalId, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [logicalId(viewer.securityGroup), 'GroupId'] },
      FromPort: 443,
      ToPort: 443,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(viewer.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [vipGroupLogicalId, 'GroupId'] },
      FromPort: 443,
    });
    expect(viewer.staticVipAddresses).toEqual(['10.12.1.160', '10.12.2.160']);
    expect(stack.resolve(viewer.dnsName)).toEqual({ 'Fn::GetAtt': [logicalId(viewer.staticVipLoadBalancer!), 'DNSName'] });
    expect(stack.resolve(plainViewer.dnsName)).toEqual({ 'Fn::GetAtt': [logicalId(plainViewer.loadBalancer), 'DNSName'] });
    expect(plainViewer.staticVipAddresses).toEqual([]);
    expect(plainViewer.staticVipLoadBalancer).toBeUndefined();
  });

  it('has no unacknowledged AwsSolutions or HIPAA.Security finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('Viewer validation', () => {
  const base = (network: SiteNetwork): ViewerProps => ({
    vpc: network.vpc,
    subnets: network.subnets,
    certificateArn: EXAMPLE_CERTIFICATE_ARN,
    allowedClientCidrs: ['10.50.0.0/16'],
    realServerCidrs: ['10.12.1.0/24'],
  });

  it('reports every problem at once, naming the viewer and the offending values', () => {
    const stack = newTestStack();
    const network = exampleNetwork(stack);
    const problems = problemsOf(
      () =>
        new Viewer(stack, 'Bad', {
          ...base(network),
          subnets: [network.subnets[0]!, network.subnets[0]!],
          certificateArn: 'arn:aws:iam::111122223333:server-certificate/viewer',
          sslPolicy: elbv2.SslPolicy.RECOMMENDED,
          allowedClientCidrs: [],
          port: 0,
          stickinessCookieDuration: Duration.days(8),
          idleTimeout: Duration.seconds(4001),
          healthCheckPath: 'health',
          staticVips: [
            { subnet: network.subnets[0]!, privateIpv4Address: '10.12.2.160' },
            { subnet: network.subnets[1]!, privateIpv4Address: '10.12.2.1' },
          ],
        }),
    );
    expect(problems).toEqual([
      'subnets: all in eu-west-2a; an ALB needs subnets in at least two AZs',
      'certificateArn: arn:aws:iam::111122223333:server-certificate/viewer is not an ACM certificate ARN',
      'sslPolicy: ELBSecurityPolicy-2016-08 is not a TLS 1.3 policy (use an ELBSecurityPolicy-TLS13-… policy, e.g. ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09)',
      'allowedClientCidrs: at least one client network is required (nothing could connect)',
      'port: 0 is not a port (1–65535)',
      'stickinessCookieDuration: 691200 s is outside 1–604800 s',
      'idleTimeout: 4001 s is outside 1–4000 s',
      'healthCheckPath: health must start with / and hold printable characters only (max 1024)',
      'staticVips[0].privateIpv4Address: 10.12.2.160 is outside its subnet subnet-0aaaaaaaaaaaaaaaa (10.12.1.0/24)',
      'staticVips[1].privateIpv4Address: 10.12.2.1 cannot be a VIP in 10.12.2.0/24: reserved by AWS for the VPC router',
    ]);
  });

  it('rejects an unknown policy name, a single subnet and a stack without a region', () => {
    const stack = newTestStack();
    const network = exampleNetwork(stack);
    expect(problemsOf(() => new Viewer(stack, 'Typo', { ...base(network), subnets: [network.subnets[0]!], sslPolicy: 'ELBSecurityPolicy-TLS13-9-9' }))).toEqual([
      'subnets: an ALB needs at least two subnets in different AZs (got 1)',
      'sslPolicy: ELBSecurityPolicy-TLS13-9-9 is not an ELB security policy known to this aws-cdk-lib',
    ]);
    const regionless = new Stack(new App(), 'Regionless');
    expect(problemsOf(() => new Viewer(regionless, 'Viewer', base(exampleNetwork(regionless))))).toEqual([
      'the stack has no explicit region: ALB access-log delivery is granted to a region-specific principal, so give the stack env.region',
    ]);
  });

  it('refuses more outbound rules than the default security-group quota', () => {
    const stack = newTestStack();
    const hosts = Array.from({ length: 61 }, (_, index) => `10.12.1.${index + 10}/32`);
    new Viewer(stack, 'ManyHosts', { ...base(exampleNetwork(stack)), realServerCidrs: hosts });
    expect(() => Template.fromStack(stack)).toThrow(/Viewer "HTTPS-Viewer": 61 outbound security-group rules exceed the default quota of 60/);
  });

  it('refuses to synthesize an ALB that could reach no viewer server', () => {
    const stack = newTestStack();
    new Viewer(stack, 'NoEgress', { ...base(exampleNetwork(stack)), realServerCidrs: [] });
    expect(() => Template.fromStack(stack)).toThrow(/Viewer "HTTPS-Viewer": the ALB security group allows no outbound traffic/);
  });
});

import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccessLogsBucket, SiteNetwork, TcpService, TcpServiceProps } from '../../lib/constructs';
import { nagFindings, newTestStack, resourcesOfType } from './construct-test-helpers';
import { exampleNetwork, problemsOf, vipMappings } from './construct-fixtures';

type Props = Record<string, unknown>;

/** Target-group attributes as a plain map. */
function attributesOf(properties: Props, key = 'TargetGroupAttributes'): Record<string, unknown> {
  return Object.fromEntries(((properties[key] ?? []) as Array<{ Key: string; Value: unknown }>).map(({ Key, Value }) => [Key, Value]));
}

describe('TcpService', () => {
  let stack: Stack;
  let template: Template;
  let network: SiteNetwork;
  let dicom: TcpService;
  let hl7: TcpService;

  beforeAll(() => {
    stack = newTestStack();
    network = exampleNetwork(stack);
    // The guide's DICOM service: transparent, source-IP persistence, two ports, check port 104.
    dicom = new TcpService(stack, 'Dicom', {
      vpc: network.vpc,
      serviceName: 'DICOM-Modalities',
      subnetMappings: vipMappings(network, '10.12.1.100', '10.12.2.100'),
      ports: [{ port: 104 }, { port: 11112 }],
      allowedClientCidrs: ['10.50.0.0/16', '10.60.1.0/24'],
      realServerCidrs: ['10.12.1.0/24'],
      transparent: true,
    });
    // A non-transparent service with everything that can differ from the defaults.
    hl7 = new TcpService(stack, 'Hl7', {
      vpc: network.vpc,
      serviceName: 'HL7',
      subnetMappings: vipMappings(network, '10.12.1.120'),
      ports: [{ port: 2575, targetPort: 12575 }],
      allowedClientCidrs: ['10.50.0.0/16'],
      transparent: false,
      proxyProtocolV2: true,
      persistence: 'none',
      idleTimeout: Duration.seconds(900),
      deregistrationDelay: Duration.seconds(30),
      healthCheckPort: 2576,
      healthCheck: { interval: Duration.seconds(30), timeout: Duration.seconds(10), healthyThresholdCount: 2, unhealthyThresholdCount: 5 },
      crossZoneEnabled: false,
      deletionProtection: false,
    });
    hl7.allowTrafficToRealServers('192.168.50.0/24');
    hl7.allowTrafficToRealServers('192.168.50.0/24'); // idempotent
    template = Template.fromStack(stack);
  });

  function loadBalancerOf(service: TcpService): Props {
    return template.toJSON().Resources[stack.getLogicalId(service.loadBalancer.node.defaultChild as never)].Properties;
  }
  function targetGroupOf(service: TcpService, index: number): Props {
    return template.toJSON().Resources[stack.getLogicalId(service.targetGroups[index]!.targetGroup.node.defaultChild as never)].Properties;
  }
  function securityGroupOf(service: TcpService): Props {
    return template.toJSON().Resources[stack.getLogicalId(service.securityGroup.node.defaultChild as never)].Properties;
  }

  it('is an internal NLB with the static VIPs as subnet mappings, cross-zone and deletion protection on', () => {
    const nlb = loadBalancerOf(dicom);
    expect(nlb).toMatchObject({ Type: 'network', Scheme: 'internal' });
    expect(nlb.SubnetMappings).toEqual([
      { SubnetId: 'subnet-0aaaaaaaaaaaaaaaa', PrivateIPv4Address: '10.12.1.100' },
      { SubnetId: 'subnet-0bbbbbbbbbbbbbbbb', PrivateIPv4Address: '10.12.2.100' },
    ]);
    expect(nlb.Subnets).toBeUndefined();
    expect(attributesOf(nlb, 'LoadBalancerAttributes')).toEqual({
      'deletion_protection.enabled': 'true',
      'load_balancing.cross_zone.enabled': 'true',
    });
    expect(nlb.SecurityGroups).toEqual([{ 'Fn::GetAtt': [stack.getLogicalId(dicom.securityGroup.node.defaultChild as never), 'GroupId'] }]);
    expect(dicom.vipAddresses).toEqual(['10.12.1.100', '10.12.2.100']);
    expect(stack.resolve(dicom.dnsName)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DicomLoadBalancer/), 'DNSName'] });
  });

  it('turns cross-zone and deletion protection off only when asked', () => {
    expect(attributesOf(loadBalancerOf(hl7), 'LoadBalancerAttributes')).toEqual({
      'deletion_protection.enabled': 'false',
      'load_balancing.cross_zone.enabled': 'false',
    });
  });

  it('has one TCP listener per port with tcp.idle_timeout.seconds, forwarding to its own target group', () => {
    const listeners = resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::Listener').map(([, props]) => props);
    expect(listeners).toHaveLength(3);
    for (const [index, port] of [104, 11112].entries()) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: port,
        Protocol: 'TCP',
        ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '3600' }],
        LoadBalancerArn: { Ref: stack.getLogicalId(dicom.loadBalancer.node.defaultChild as never) },
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: stack.getLogicalId(dicom.targetGroups[index]!.targetGroup.node.defaultChild as never) } }],
      });
    }
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 2575,
      ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '900' }],
    });
  });

  it('exposes each target group with its real-server port and listener port', () => {
    expect(dicom.targetGroups.map(({ port, listenerPort }) => [port, listenerPort])).toEqual([
      [104, 104],
      [11112, 11112],
    ]);
    expect(hl7.targetGroups.map(({ port, listenerPort }) => [port, listenerPort])).toEqual([[12575, 2575]]);
    expect(stack.resolve(dicom.targetGroups[0]!.targetGroup.targetGroupArn)).toEqual({ Ref: expect.stringMatching(/^DicomTargetGroup104/) });
  });

  it('creates IP target groups EMPTY (the controller owns membership)', () => {
    const groups = resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups).toHaveLength(3);
    for (const [, props] of groups) {
      expect(props).toMatchObject({ TargetType: 'ip', Protocol: 'TCP' });
      expect(props.Targets).toBeUndefined();
    }
    expect(targetGroupOf(dicom, 1).Port).toBe(11112);
    expect(targetGroupOf(hl7, 0).Port).toBe(12575);
  });

  it('maps transparent + source-IP persistence to preserve_client_ip, source_ip stickiness, delay and connection termination', () => {
    for (const index of [0, 1]) {
      expect(attributesOf(targetGroupOf(dicom, index))).toEqual({
        'preserve_client_ip.enabled': 'true',
        'stickiness.enabled': 'true',
        'stickiness.type': 'source_ip',
        'deregistration_delay.timeout_seconds': '300',
        'deregistration_delay.connection_termination.enabled': 'true',
        'target_health_state.unhealthy.connection_termination.enabled': 'false',
        'target_health_state.unhealthy.draining_interval_seconds': '300',
      });
    }
  });

  it('maps non-transparent, no persistence and proxy protocol v2 explicitly', () => {
    expect(attributesOf(targetGroupOf(hl7, 0))).toEqual({
      'preserve_client_ip.enabled': 'false',
      'proxy_protocol_v2.enabled': 'true',
      'stickiness.enabled': 'false',
      'deregistration_delay.timeout_seconds': '30',
      'deregistration_delay.connection_termination.enabled': 'true',
      'target_health_state.unhealthy.connection_termination.enabled': 'false',
      'target_health_state.unhealthy.draining_interval_seconds': '30',
    });
    expect(attributesOf(targetGroupOf(dicom, 0))).not.toHaveProperty(['proxy_protocol_v2.enabled']);
  });

  it('keeps the NLB native TCP health check on the check port, on every target group of the service', () => {
    for (const index of [0, 1]) {
      expect(targetGroupOf(dicom, index)).toMatchObject({
        HealthCheckEnabled: true,
        HealthCheckProtocol: 'TCP',
        HealthCheckPort: '104',
        HealthCheckIntervalSeconds: 5,
        HealthCheckTimeoutSeconds: 4,
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 3,
      });
    }
    expect(targetGroupOf(hl7, 0)).toMatchObject({
      HealthCheckPort: '2576',
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 5,
    });
    expect(dicom.healthCheckPort).toBe(104);
  });

  it('drains a target that fails the NLB check for the given interval instead of resetting its connections', () => {
    const drained = newTestStack('Drained');
    const drainedNetwork = exampleNetwork(drained);
    const service = new TcpService(drained, 'Hl7', {
      vpc: drainedNetwork.vpc,
      serviceName: 'HL7',
      subnetMappings: vipMappings(drainedNetwork, '10.12.1.120'),
      ports: [{ port: 2575 }],
      allowedClientCidrs: ['10.50.0.0/16'],
      realServerCidrs: ['10.12.1.0/24'],
      transparent: false,
      deregistrationDelay: Duration.seconds(120),
      unhealthyDrainingInterval: Duration.hours(2),
    });
    const group = Template.fromStack(drained).toJSON().Resources[drained.getLogicalId(service.targetGroups[0]!.targetGroup.node.defaultChild as never)];
    expect(attributesOf(group.Properties)).toMatchObject({
      'deregistration_delay.timeout_seconds': '120',
      'target_health_state.unhealthy.connection_termination.enabled': 'false',
      'target_health_state.unhealthy.draining_interval_seconds': '7200',
    });
  });

  it('lets only the allowed client CIDRs in, only on the listener ports', () => {
    expect(securityGroupOf(dicom).SecurityGroupIngress).toEqual(
      ['10.50.0.0/16', '10.60.1.0/24'].flatMap((cidr) =>
        [104, 11112].map((port) => ({ CidrIp: cidr, IpProtocol: 'tcp', FromPort: port, ToPort: port, Description: 'DICOM-Modalities clients' })),
      ),
    );
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('lets the NLB out only to the real servers on the target and health-check ports (no allow-all egress)', () => {
    expect(securityGroupOf(dicom).SecurityGroupEgress).toEqual(
      [104, 11112].map((port) => ({ CidrIp: '10.12.1.0/24', IpProtocol: 'tcp', FromPort: port, ToPort: port, Description: 'DICOM-Modalities real servers' })),
    );
    expect(securityGroupOf(hl7).SecurityGroupEgress).toEqual(
      [12575, 2576].map((port) => ({ CidrIp: '192.168.50.0/24', IpProtocol: 'tcp', FromPort: port, ToPort: port, Description: 'HL7 real servers' })),
    );
    for (const [, props] of resourcesOfType(template, 'AWS::EC2::SecurityGroup')) {
      expect(JSON.stringify(props.SecurityGroupEgress)).not.toContain('0.0.0.0/0');
    }
  });

  it('logs to a given bucket instead of acknowledging the logging rules', () => {
    const logged = newTestStack('Logged');
    const loggedNetwork = exampleNetwork(logged);
    const bucket = new AccessLogsBucket(logged, 'Logs').bucket;
    const service = new TcpService(logged, 'DicomTls', {
      vpc: loggedNetwork.vpc,
      serviceName: 'DICOM-TLS',
      subnetMappings: vipMappings(loggedNetwork, '10.12.1.101'),
      ports: [{ port: 2762 }],
      allowedClientCidrs: ['10.50.0.0/16'],
      realServerCidrs: ['10.12.1.0/24'],
      transparent: true,
      accessLogsBucket: bucket,
    });
    const nlb = Template.fromStack(logged).toJSON().Resources[logged.getLogicalId(service.loadBalancer.node.defaultChild as never)].Properties;
    expect(attributesOf(nlb, 'LoadBalancerAttributes')).toMatchObject({
      'access_logs.s3.enabled': 'true',
      'access_logs.s3.bucket': { Ref: logged.getLogicalId(bucket.node.defaultChild as never) },
      'access_logs.s3.prefix': 'DICOM-TLS',
    });
    expect(service.loadBalancer.node.metadata.filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')).toEqual([]);
    expect(nagFindings(logged)).toEqual([]);
  });

  it('has no unacknowledged AwsSolutions or HIPAA.Security finding but the deletion protection HL7 turned off', () => {
    // The opt-out is visible, not acknowledged: the checks are live and only the deliberate choice shows.
    expect(nagFindings(stack)).toEqual([{ rule: 'HIPAA.Security-ELBDeletionProtectionEnabled', resource: 'TestStack/Hl7/LoadBalancer/Resource' }]);
  });
});

describe('TcpService validation', () => {
  const base = (network: SiteNetwork): TcpServiceProps => ({
    vpc: network.vpc,
    serviceName: 'DICOM-Modalities',
    subnetMappings: vipMappings(network, '10.12.1.100'),
    ports: [{ port: 104 }],
    allowedClientCidrs: ['10.50.0.0/16'],
    realServerCidrs: ['10.12.1.0/24'],
    transparent: true,
  });

  it('reports every problem at once, naming the service and the offending values', () => {
    const stack = newTestStack();
    const network = exampleNetwork(stack);
    const [subnetA, subnetB] = network.subnets;
    const problems = problemsOf(
      () =>
        new TcpService(stack, 'Bad', {
          ...base(network),
          subnetMappings: [
            { subnet: subnetA!, privateIpv4Address: '10.12.2.100' },
            { subnet: subnetA!, privateIpv4Address: '10.12.1.255' },
            { subnet: subnetB!, privateIpv4Address: '10.12.2.300' },
          ],
          ports: [{ port: 104 }, { port: 104, targetPort: 70000 }, { port: 0 }],
          allowedClientCidrs: ['10.50.0.0/33'],
          realServerCidrs: ['10.12.1.1/24'],
          healthCheckPort: 65536,
          idleTimeout: Duration.seconds(59),
          deregistrationDelay: Duration.seconds(3601),
          unhealthyDrainingInterval: Duration.seconds(360001),
          healthCheck: { interval: Duration.seconds(5), timeout: Duration.seconds(6), healthyThresholdCount: 11 },
        }),
    );
    expect(problems).toEqual([
      'subnetMappings[0].privateIpv4Address: 10.12.2.100 is outside its subnet subnet-0aaaaaaaaaaaaaaaa (10.12.1.0/24)',
      'subnetMappings[1].subnet: subnet-0aaaaaaaaaaaaaaaa is used twice (one VIP per subnet)',
      'subnetMappings[1].subnet: a second subnet in eu-west-2a (an NLB takes one subnet per availability zone)',
      'subnetMappings[1].privateIpv4Address: 10.12.1.255 cannot be a VIP in 10.12.1.0/24: the broadcast address (reserved by AWS)',
      'subnetMappings[2].privateIpv4Address: 10.12.2.300 is not an IPv4 address',
      'ports[1].targetPort: 70000 is not a port (1–65535)',
      'ports[1].port: 104 is listed twice',
      'ports[2].port: 0 is not a port (1–65535)',
      'allowedClientCidrs[0]: 10.50.0.0/33 is not a CIDR block like 10.12.0.0/16',
      'realServerCidrs[0]: 10.12.1.1/24 has host bits set (did you mean 10.12.1.0/24?)',
      'healthCheckPort: 65536 is not a port (1–65535)',
      'idleTimeout: 59 s is outside 60–6000 s',
      'deregistrationDelay: 3601 s is outside 0–3600 s',
      'unhealthyDrainingInterval: 360001 s is outside 0–360000 s',
      'healthCheck.timeout: 6 s must be less than the interval (5 s)',
      'healthCheck.healthyThresholdCount: 11 must be an integer 2–10',
    ]);
  });

  it('rejects a service without VIPs, ports, clients or name', () => {
    const stack = newTestStack();
    const network = exampleNetwork(stack);
    expect(
      problemsOf(() => new TcpService(stack, 'Empty', { ...base(network), serviceName: ' ', subnetMappings: [], ports: [], allowedClientCidrs: [] })),
    ).toEqual([
      'serviceName: must not be empty',
      'subnetMappings: at least one subnet mapping (static VIP) is required',
      'ports: at least one port is required',
      'allowedClientCidrs: at least one client network is required (nothing could connect)',
    ]);
    expect(() => new TcpService(stack, 'Named', { ...base(network), ports: [] })).toThrow(
      /^TcpService "DICOM-Modalities" \(TestStack\/Named\) has 1 invalid setting:\n {2}- ports: at least one port is required$/,
    );
  });

  it('refuses to synthesize an NLB that could reach no real server', () => {
    const stack = newTestStack();
    const network = exampleNetwork(stack);
    new TcpService(stack, 'NoEgress', { ...base(network), realServerCidrs: undefined });
    expect(() => Template.fromStack(stack)).toThrow(/TcpService "DICOM-Modalities": the NLB security group allows no outbound traffic/);
  });

  it('refuses more security-group rules than the default quota, counting CIDRs × ports', () => {
    const stack = newTestStack();
    const hosts = Array.from({ length: 31 }, (_, index) => `10.12.1.${index + 10}/32`);
    new TcpService(stack, 'ManyHosts', { ...base(exampleNetwork(stack)), ports: [{ port: 104 }, { port: 11112 }], realServerCidrs: hosts });
    expect(() => Template.fromStack(stack)).toThrow(
      /TcpService "DICOM-Modalities": 62 outbound security-group rules exceed the default quota of 60; give fewer, aggregated CIDRs/,
    );
    const fits = newTestStack();
    new TcpService(fits, 'Fits', { ...base(exampleNetwork(fits)), ports: [{ port: 104 }, { port: 11112 }], realServerCidrs: hosts.slice(0, 30) });
    expect(() => Template.fromStack(fits)).not.toThrow();
  });

  it('rejects a malformed CIDR given to allowTrafficToRealServers', () => {
    const stack = newTestStack();
    const service = new TcpService(stack, 'Ok', base(exampleNetwork(stack)));
    expect(() => service.allowTrafficToRealServers('192.168.50.0/16')).toThrow(
      /realServerCidrs: 192\.168\.50\.0\/16 has host bits set \(did you mean 192\.168\.0\.0\/16\?\)/,
    );
  });
});

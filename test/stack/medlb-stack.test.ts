import { Template, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, SiteInput } from '../../lib/site';
import { newProjectApp } from '../helpers/cdk-app';

function synth(input: SiteInput) {
  const site = parseSite(input);
  const app = newProjectApp();
  const stack = new MedlbStack(app, 'Example', { site, env: { region: site.env.region, account: site.env.account } });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = synth(exampleSite);

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (type: string) => Object.values(template.findResources(type)) as Resource[];
const attributes = (list: { Key: string; Value: string }[] | undefined) =>
  Object.fromEntries((list ?? []).map((attribute) => [attribute.Key, attribute.Value]));

describe('example site stack (guide §8 on AWS)', () => {
  test('one internal NLB per TCP service with the guide VIPs as static IPs (+ the viewer static VIP NLB)', () => {
    const nlbs = resourcesOf('AWS::ElasticLoadBalancingV2::LoadBalancer').filter((lb) => lb.Properties.Type === 'network');
    const firstVips = nlbs.map((lb) => lb.Properties.SubnetMappings[0].PrivateIPv4Address).sort();
    expect(firstVips).toEqual(expect.arrayContaining(['10.12.1.100', '10.12.1.120', '10.12.1.140', '10.12.1.145']));
    for (const nlb of nlbs) {
      expect(nlb.Properties.Scheme).toBe('internal');
      expect(nlb.Properties.SecurityGroups).toHaveLength(1);
      expect(attributes(nlb.Properties.LoadBalancerAttributes)['load_balancing.cross_zone.enabled']).toBe('true');
    }
  });

  test('listeners 104, 11112, 2575 and 17035 ×2, each TCP with a 1 h idle timeout', () => {
    const tcpListeners = resourcesOf('AWS::ElasticLoadBalancingV2::Listener').filter((l) => l.Properties.Protocol === 'TCP');
    const servicePorts = tcpListeners.map((l) => l.Properties.Port).filter((port) => port !== 443).sort((a, b) => a - b);
    expect(servicePorts).toEqual([104, 2575, 11112, 17035, 17035]);
    for (const listener of tcpListeners.filter((l) => l.Properties.Port !== 443)) {
      expect(attributes(listener.Properties.ListenerAttributes)['tcp.idle_timeout.seconds']).toBe('3600');
    }
  });

  test('service target groups: empty, source-IP stickiness, client-IP preservation from `transparent`', () => {
    const ipGroups = resourcesOf('AWS::ElasticLoadBalancingV2::TargetGroup').filter(
      (tg) => tg.Properties.TargetType === 'ip' && tg.Properties.Protocol === 'TCP',
    );
    const byPort = new Map<number, Record<string, string>[]>();
    for (const tg of ipGroups) {
      expect(tg.Properties.Targets).toBeUndefined();
      const attrs = attributes(tg.Properties.TargetGroupAttributes);
      expect(attrs['stickiness.enabled']).toBe('true');
      expect(attrs['stickiness.type']).toBe('source_ip');
      expect(attrs['deregistration_delay.timeout_seconds']).toBe('300');
      expect(attrs['deregistration_delay.connection_termination.enabled']).toBe('true');
      byPort.set(tg.Properties.Port, [...(byPort.get(tg.Properties.Port) ?? []), attrs]);
    }
    expect(byPort.get(104)![0]!['preserve_client_ip.enabled']).toBe('true'); // DICOM: transparent (guide Layer 4 DR)
    expect(byPort.get(11112)![0]!['preserve_client_ip.enabled']).toBe('true');
    expect(byPort.get(2575)![0]!['preserve_client_ip.enabled']).toBe('false'); // HL7: SNAT
  });

  test('DICOM NLB health check probes port 104 on both target groups (check port = first port)', () => {
    const dicomGroups = resourcesOf('AWS::ElasticLoadBalancingV2::TargetGroup').filter((tg) => [104, 11112].includes(tg.Properties.Port));
    expect(dicomGroups).toHaveLength(2);
    for (const tg of dicomGroups) {
      expect(tg.Properties.HealthCheckProtocol).toBe('TCP');
      expect(String(tg.Properties.HealthCheckPort)).toBe('104');
    }
  });

  test('service target groups: unhealthy targets drain for the deregistration delay; NLB check 5 s × 2, timeout 4 s', () => {
    const serviceGroups = resourcesOf('AWS::ElasticLoadBalancingV2::TargetGroup').filter(
      (tg) => tg.Properties.TargetType === 'ip' && tg.Properties.Protocol === 'TCP',
    );
    expect(serviceGroups).toHaveLength(5);
    for (const tg of serviceGroups) {
      expect(attributes(tg.Properties.TargetGroupAttributes)).toMatchObject({
        'target_health_state.unhealthy.connection_termination.enabled': 'false',
        'target_health_state.unhealthy.draining_interval_seconds': '300',
      });
      expect(tg.Properties).toMatchObject({
        HealthCheckIntervalSeconds: 5,
        HealthCheckTimeoutSeconds: 4,
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 3,
      });
    }
  });

  test("a service's nlbHealthCheck reaches its target groups; the draining interval follows its deregistration delay", () => {
    const input = structuredClone(exampleSite) as any;
    input.services[1].deregistrationDelaySeconds = 60;
    input.services[1].nlbHealthCheck = { intervalSeconds: 10, timeoutSeconds: 6, healthyThresholdCount: 3, unhealthyThresholdCount: 4 };
    input.services[2].nlbHealthCheck = { unhealthyDrainingIntervalSeconds: 7200 };
    const groups = Object.values(synth(input).template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')) as Resource[];
    const hl7 = groups.find((tg) => tg.Properties.Port === 2575)!;
    expect(hl7.Properties).toMatchObject({ HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 6, HealthyThresholdCount: 3, UnhealthyThresholdCount: 4 });
    expect(attributes(hl7.Properties.TargetGroupAttributes)['target_health_state.unhealthy.draining_interval_seconds']).toBe('60');
    const registry = groups.filter((tg) => tg.Properties.Port === 17035).map((tg) => attributes(tg.Properties.TargetGroupAttributes));
    expect(registry.map((attrs) => attrs['target_health_state.unhealthy.draining_interval_seconds']).sort()).toEqual(['300', '7200']);
  });

  test('viewer: internal ALB, HTTPS 443 with an explicit TLS 1.3 policy, lb_cookie stickiness 1 h, idle 3600', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      SslPolicy: Match.stringLikeRegexp('^ELBSecurityPolicy-TLS13-'),
      Certificates: [{ CertificateArn: Match.stringLikeRegexp('^arn:aws:acm:eu-west-2:') }],
    });
    const alb = resourcesOf('AWS::ElasticLoadBalancingV2::LoadBalancer').find((lb) => lb.Properties.Type === 'application')!;
    expect(alb.Properties.Scheme).toBe('internal');
    const albAttrs = attributes(alb.Properties.LoadBalancerAttributes);
    expect(albAttrs['idle_timeout.timeout_seconds']).toBe('3600');
    expect(albAttrs['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
    expect(albAttrs['access_logs.s3.enabled']).toBe('true');
    const viewerGroup = resourcesOf('AWS::ElasticLoadBalancingV2::TargetGroup').find((tg) => tg.Properties.Protocol === 'HTTPS')!;
    expect(viewerGroup.Properties.Targets).toBeUndefined();
    const attrs = attributes(viewerGroup.Properties.TargetGroupAttributes);
    expect(attrs['stickiness.type']).toBe('lb_cookie');
    expect(attrs['stickiness.lb_cookie.duration_seconds']).toBe('3600');
  });

  test('controller: scheduled every minute, reserved concurrency 1, in the VPC, post-deploy round, encrypted table with PITR', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: { Variables: Match.objectLike({ MEDLB_SITE: 'example-hospital' }) },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    const postDeploy = resourcesOf('Custom::AWS').map((r) => JSON.stringify(r.Properties.Create)).filter((c) => c.includes('invoke'));
    expect(postDeploy).toHaveLength(1);
    expect(postDeploy[0]).toMatch(/InvocationType\\":\\"Event/);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      PointInTimeRecoverySpecification: Match.absent(),
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('controller config is written to the table at deploy time with every service (viewer included)', () => {
    const writer = Object.values(template.findResources('Custom::AWS')).find((r: any) =>
      JSON.stringify(r.Properties.Create).includes('putItem'),
    ) as Resource;
    const text = JSON.stringify(writer.Properties.Create);
    for (const name of ['DICOM-Modalities', 'HL7', 'XDS-Registry', 'XDS-Repository', 'HTTPS-Viewer']) {
      expect(text).toContain(`\\\\\\"name\\\\\\":\\\\\\"${name}\\\\\\"`);
    }
  });

  test('IAM: register/deregister only on the site target groups, no wildcard action or principal', () => {
    const policy = resourcesOf('AWS::IAM::ManagedPolicy')[0];
    const statements = policy!.Properties.PolicyDocument.Statement as any[];
    const register = statements.find((s) => s.Sid === 'RegisterIntoOwnedTargetGroups');
    expect(register.Resource).toHaveLength(7 - 1); // every service TG + the viewer TG; not the static-VIP ALB-type TG
    for (const arn of register.Resource) expect(arn).toEqual({ Ref: expect.stringMatching(/TargetGroup|Tg/i) });
    const everyStatement = [
      ...resourcesOf('AWS::IAM::ManagedPolicy'),
      ...resourcesOf('AWS::IAM::Policy'),
    ].flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);
    for (const statement of everyStatement) {
      for (const action of [statement.Action].flat()) expect(action).not.toBe('*');
      expect(statement.Principal).toBeUndefined();
    }
  });

  test('cdk-nag AwsSolutions and HIPAA.Security: zero unacknowledged findings', () => {
    const violations = [new AwsSolutionsChecks(), new HIPAASecurityChecks()].flatMap((checks) => checks.validateScope(stack).violations);
    expect(violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });

  test('deterministic snapshot of the example stack (asset hashes masked)', () => {
    const json = JSON.stringify(template.toJSON(), null, 1).replace(/[0-9a-f]{64}(\.zip)?/g, '<asset-hash>');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});

describe('a large pool', () => {
  test('80 DICOM servers fit the security-group quotas: their networks are widened to /24s, not refused', () => {
    const input = structuredClone(exampleSite) as any;
    input.services[0].realServers = Array.from({ length: 80 }, (_, i) => ({ label: `DICOM${i + 1}`, ip: `10.12.${1 + (i % 2)}.${20 + Math.floor(i / 2)}` }));
    const { template: large } = synth(input);
    const dicomSg = Object.values(large.findResources('AWS::EC2::SecurityGroup')).find((sg: any) =>
      String(sg.Properties.GroupDescription).includes('DICOM-Modalities'),
    ) as Resource;
    const egress = dicomSg.Properties.SecurityGroupEgress as { CidrIp: string; FromPort: number }[];
    expect([...new Set(egress.map((rule) => rule.CidrIp))].sort()).toEqual(['10.12.1.0/24', '10.12.2.0/24']);
    expect(new Set(egress.map((rule) => rule.FromPort))).toEqual(new Set([104, 11112]));
  });
});

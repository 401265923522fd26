/**
 * A real server with its own port (appliance "real server port") in a single-port service, through the stack:
 * the derived controller config carries the target's port, the target group's NLB health check runs on
 * `traffic-port` (so each target is checked where it is registered), the NLB and the controller may reach the
 * server's port, and a service without such servers keeps its fixed check port.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { checkEgressOf, deriveControllerConfig } from '../../lib/controller-config';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, type SiteInput } from '../../lib/site';
import { parseControllerConfig } from '../../contract/controller-config';
import { newProjectApp } from '../helpers/cdk-app';

type Loose = any;

function siteWithOwnPort(): SiteInput {
  const site = structuredClone(exampleSite) as Loose;
  // The example's HL7 service: one port, 2575; HL72 listens on 3575.
  site.services[1].realServers[1].port = 3575;
  // The viewer (one port, 443 on the servers): VIEW1 serves on 8443.
  site.viewer.realServers[0].port = 8443;
  return site;
}

describe('a real server with its own port', () => {
  const site = parseSite(siteWithOwnPort());
  const stack = new MedlbStack(newProjectApp(), 'ServerPort', { site, env: { region: site.env.region, account: site.env.account } });
  const template = Template.fromStack(stack);
  const resources = Object.values(template.toJSON().Resources as Record<string, Loose>);

  test('the controller config registers and checks that target on its port; parses as config v1', () => {
    const groups = new Map(
      [...site.services.map((s) => s.label), site.viewer!.label].map((label, i) => [
        label,
        [{ arn: `arn:aws:elasticloadbalancing:eu-west-2:111122223333:targetgroup/tg${i}/0123456789abcdef`, port: label === 'HL7' ? 2575 : 104 }],
      ]),
    );
    const config = parseControllerConfig(deriveControllerConfig(site, groups));
    const hl7 = config.services.find((s) => s.name === 'HL7')!;
    expect(hl7.check.port).toBe(2575);
    expect(hl7.targets).toEqual([
      { name: 'HL71', ip: '10.12.1.130' },
      { name: 'HL72', ip: '10.12.1.131', port: 3575 },
    ]);
    expect(checkEgressOf(site)).toEqual(expect.arrayContaining([expect.objectContaining({ port: 3575 })]));
    expect(checkEgressOf(site).filter((rule) => rule.port === 3575).every((rule) => rule.cidr.startsWith('10.12.1.'))).toBe(true);
  });

  test("the HL7 target group's NLB check runs on traffic-port; DICOM keeps its check port", () => {
    const groups = resources.filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && r.Properties.TargetType === 'ip');
    const byPort = (port: number) => groups.filter((g) => g.Properties.Port === port).map((g) => g.Properties.HealthCheckPort);
    expect(byPort(2575)).toEqual(['traffic-port']);
    expect(byPort(104)).toEqual(['104']);
    expect(byPort(11112)).toEqual(['104']);
  });

  test("the HL7 NLB's security group and the controller's reach the server's own port", () => {
    const egress = resources
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroup')
      .flatMap((r) => (r.Properties.SecurityGroupEgress ?? []) as Loose[])
      .concat(resources.filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress').map((r) => r.Properties));
    const to3575 = egress.filter((rule) => rule.FromPort === 3575 && rule.ToPort === 3575);
    const descriptions = to3575.map((rule) => String(rule.Description));
    expect(descriptions.some((d) => d.includes('HL7 real servers'))).toBe(true);
    expect(descriptions.some((d) => d.startsWith('health check 10.12.1.') && d.endsWith(':3575'))).toBe(true);
  });

  test("a viewer server's own port: the ALB may reach it, its check runs on the traffic port, the controller probes it there", () => {
    const egress8443 = resources
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroup')
      .flatMap((r) => (r.Properties.SecurityGroupEgress ?? []) as Loose[])
      .filter((rule) => rule.FromPort === 8443)
      .map((rule) => String(rule.Description));
    expect(egress8443.some((d) => d.includes('servers') && !d.startsWith('health check'))).toBe(true);
    expect(egress8443.some((d) => d.startsWith('health check') && d.endsWith(':8443'))).toBe(true);
    const albGroups = resources.filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && r.Properties.Protocol === 'HTTPS');
    expect(albGroups.map((g) => g.Properties.HealthCheckPort ?? 'traffic-port')).toEqual(['traffic-port']);
  });
});

/**
 * A site whose real servers are (partly) discovered from EC2: it synthesizes, the derived controller config
 * carries the selector (with the VPC id), the controller may call ec2:DescribeInstances (and only then), its
 * egress and the load balancers' reach the VPC (or the selector's subnets) on the check/target ports, and
 * cdk-nag stays clean.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { checkEgressOf, deriveControllerConfig } from '../../lib/controller-config';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, type SiteInput } from '../../lib/site';
import { parseControllerConfig } from '../../contract/controller-config';
import { newProjectApp } from '../helpers/cdk-app';

type Loose = any;  

function discoveringSite(mutate: (site: Loose) => void = () => {}): SiteInput {
  const site = structuredClone(exampleSite) as Loose;
  site.services[0].discover = { tags: { Role: ['pacs-dicom'] } };
  site.services[1].realServers = [];
  site.services[1].discover = { tags: { Role: ['hl7-engine'] }, instanceIds: ['i-0123456789abcdef0'], subnetIds: ['subnet-0bbbbbbbbbbbbbbb2'] };
  mutate(site);
  return site;
}

function synth(input: SiteInput) {
  const site = parseSite(input);
  const stack = new MedlbStack(newProjectApp(), 'Discovery', { site, env: { region: site.env.region, account: site.env.account } });
  return { site, stack, template: Template.fromStack(stack) };
}

const statementsOf = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p: Loose) => p.Properties.PolicyDocument.Statement as Loose[]);

describe('a site with EC2 discovery', () => {
  const { site, stack, template } = synth(discoveringSite());

  test('the derived controller config carries each selector with the VPC id, and parses as config v1', () => {
    const arn = (n: string) => `arn:aws:elasticloadbalancing:eu-west-2:111122223333:targetgroup/${n}/0123456789abcdef`;
    const groups = new Map([...site.services.map((s) => s.label), site.viewer!.label].map((label, i) => [label, [{ arn: arn(`tg${i}`), port: 104 }]]));
    const config = parseControllerConfig(deriveControllerConfig(site, groups));
    expect(config.services[0]).toMatchObject({ targets: [{ name: 'DICOM1' }, { name: 'DICOM2' }], discovery: { tags: { Role: ['pacs-dicom'] }, vpcId: 'vpc-0123456789abcdef0' } });
    expect(config.services[1]!.targets).toEqual([]);
    expect(config.services[1]!.discovery).toEqual({
      tags: { Role: ['hl7-engine'] },
      instanceIds: ['i-0123456789abcdef0'],
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0bbbbbbbbbbbbbbb2'],
    });
    expect(config.services[2]!.discovery).toBeUndefined();
  });

  test('the config written at deploy time holds the selector', () => {
    const writer = Object.values(template.findResources('Custom::AWS')).find((r: Loose) => JSON.stringify(r.Properties.Create).includes('putItem')) as Loose;
    const text = JSON.stringify(writer.Properties.Create);
    expect(text).toContain('pacs-dicom');
    expect(text).toContain('i-0123456789abcdef0');
    expect(text).toContain('vpc-0123456789abcdef0');
  });

  test('IAM: ec2:DescribeInstances in its own statement on "*", acknowledged with the reason', () => {
    const discover = statementsOf(template).find((s) => s.Sid === 'DiscoverInstances');
    expect(discover).toEqual({ Sid: 'DiscoverInstances', Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' });
    const acknowledgement = stack.controller.policy.node.metadata.find((m) => m.type === 'aws:cdk:acknowledged-rules');
    expect(JSON.stringify(acknowledgement?.data)).toMatch(/ec2:DescribeInstances \(EC2 discovery of real servers; a read-only List-type action that supports no resource ARN/);
  });

  test('egress: the controller reaches the check port in the VPC (or the selector subnets); the NLBs reach the target ports there', () => {
    expect(checkEgressOf(site)).toEqual(expect.arrayContaining([{ cidr: '10.12.0.0/16', port: 104 }, { cidr: '10.12.2.0/24', port: 2575 }]));
    const egress = (template.toJSON().Resources as Record<string, Loose>);
    const rules = Object.values(egress).flatMap((r: Loose) =>
      r.Type === 'AWS::EC2::SecurityGroup' ? (r.Properties.SecurityGroupEgress ?? []) : r.Type === 'AWS::EC2::SecurityGroupEgress' ? [r.Properties] : [],
    );
    const has = (cidr: string, port: number) => rules.some((rule: Loose) => rule.CidrIp === cidr && rule.FromPort === port && rule.ToPort === port);
    expect(has('10.12.0.0/16', 104)).toBe(true); // DICOM: whole VPC (controller and NLB)
    expect(has('10.12.0.0/16', 11112)).toBe(true); // the NLB's second target port
    expect(has('10.12.2.0/24', 2575)).toBe(true); // HL7: only its selector's subnet
    expect(has('10.12.0.0/16', 2575)).toBe(false);
  });

  test('cdk-nag AwsSolutions and HIPAA.Security: zero unacknowledged findings', () => {
    const violations = [new AwsSolutionsChecks(), new HIPAASecurityChecks()].flatMap((checks) => checks.validateScope(stack).violations);
    expect(violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });
});

describe('sites without discovery, and a new VPC', () => {
  test('the example site grants no ec2:DescribeInstances', () => {
    const { template } = synth(exampleSite);
    const actions = statementsOf(template).flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('ec2:DescribeInstances');
    expect(actions).toContain('elasticloadbalancing:DescribeTargetHealth');
  });

  test('a new VPC: the selector carries the VPC id the stack passes (a deploy-time reference)', () => {
    const site = parseSite(
      discoveringSite((raw) => {
        delete raw.services[1].discover.subnetIds;
        raw.network = { newVpc: { cidr: '10.12.0.0/16' } };
        raw.controller = { awsApiAccess: 'nat' };
      }),
    );
    const groups = new Map([...site.services.map((s) => s.label), site.viewer!.label].map((label) => [label, [{ arn: 'arn', port: 104 }]]));
    const config = deriveControllerConfig(site, groups, { vpcId: '${Token[TOKEN.123]}' });
    expect(config.services[0]!.discovery).toEqual({ tags: { Role: ['pacs-dicom'] }, vpcId: '${Token[TOKEN.123]}' });
    expect(checkEgressOf(site)).toEqual(expect.arrayContaining([{ cidr: '10.12.0.0/16', port: 2575 }]));
  });
});

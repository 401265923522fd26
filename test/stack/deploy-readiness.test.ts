/**
 * Day-one deploy safety, offline: a site with placeholder ids synthesizes but carries a CloudFormation rule that
 * refuses the deploy before any resource is created; the EC2 interface endpoint exists only for sites that use
 * discovery; the runbook's names are stack outputs.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, type SiteInput } from '../../lib/site';
import { findPlaceholderIds } from '../../lib/site/placeholders';
import { newProjectApp } from '../helpers/cdk-app';

type Loose = any;  

function templateOf(input: SiteInput): Template {
  const site = parseSite(input);
  return Template.fromStack(new MedlbStack(newProjectApp(), 'Site', { site, env: { region: site.env.region, account: site.env.account } }));
}

/** The example with every placeholder replaced by ids that look real. */
function filledInSite(): SiteInput {
  const text = JSON.stringify(exampleSite)
    .replaceAll('vpc-0123456789abcdef0', 'vpc-0f3a9c51d2e84b7a6')
    .replaceAll('subnet-0aaaaaaaaaaaaaaa1', 'subnet-04c1e8b2a9d7f3e51')
    .replaceAll('subnet-0bbbbbbbbbbbbbbb2', 'subnet-0e72d4a1c3b5f9a62')
    .replaceAll('rtb-0aaaaaaaaaaaaaaa1', 'rtb-08d2f6a4c1e3b5d71')
    .replaceAll('rtb-0bbbbbbbbbbbbbbb2', 'rtb-0a4c6e8f1b3d5f792')
    .replaceAll('111122223333', '730335384219')
    .replaceAll('00000000-0000-0000-0000-000000000000', '4d2f7c1e-93ab-4c5d-8e6f-0a1b2c3d4e5f');
  return JSON.parse(text) as SiteInput;
}

const exampleTemplate = templateOf(exampleSite);

describe('placeholder ids', () => {
  test('are found anywhere in a site: the example has its VPC, subnets, route tables, account and certificate', () => {
    expect(findPlaceholderIds(exampleSite)).toEqual(
      expect.arrayContaining(['vpc-0123456789abcdef0', 'subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2', 'rtb-0aaaaaaaaaaaaaaa1', '111122223333', '00000000-0000-0000-0000-000000000000']),
    );
    expect(findPlaceholderIds(filledInSite())).toEqual([]);
    expect(findPlaceholderIds({ a: ['i-0ccccccccccccccc3', 'arn:aws:acm:eu-west-2:123456789012:certificate/x'] })).toEqual(['i-0ccccccccccccccc3', '123456789012']);
  });

  test('make the template refuse to deploy: a rule that always fails, naming them, on a parameter that cannot be overridden', () => {
    const template = exampleTemplate.toJSON() as Loose;
    const rule = Object.entries(template.Rules as Record<string, Loose>).find(([id]) => id.startsWith('PlaceholderGuardRefusePlaceholderIds'));
    expect(rule).toBeDefined();
    const [assertion] = rule![1].Assertions;
    const [parameterId] = Object.keys(template.Parameters).filter((id) => id.startsWith('PlaceholderGuardPlaceholderIds'));
    expect(assertion.Assert).toEqual({ 'Fn::Equals': [{ Ref: parameterId }, ''] });
    expect(assertion.AssertDescription).toMatch(/^medlb site \S+ still has \d+ placeholder id\(s\): .*vpc-0123456789abcdef0.*subnet-0aaaaaaaaaaaaaaa1.*nothing was created\.$/);
    const parameter = template.Parameters[parameterId!];
    expect(parameter.AllowedValues).toEqual([parameter.Default]);
    expect(parameter.Default).not.toBe('');
  });

  test('a filled-in site has neither the rule nor the parameter', () => {
    const template = templateOf(filledInSite()).toJSON() as Loose;
    expect(Object.keys(template.Rules ?? {}).filter((id) => id.startsWith('PlaceholderGuard'))).toEqual([]);
    expect(Object.keys(template.Parameters ?? {}).filter((id) => id.startsWith('PlaceholderGuard'))).toEqual([]);
  });
});

describe('VPC endpoints', () => {
  const interfaceServices = (template: Template) =>
    Object.values(template.findResources('AWS::EC2::VPCEndpoint'))
      .filter((e: Loose) => e.Properties.VpcEndpointType === 'Interface')
      .map((e: Loose) => JSON.stringify(e.Properties.ServiceName));

  test('a site without discovery gets no EC2 interface endpoint (only ELBv2, and CloudWatch Logs for the audit copy)', () => {
    const services = interfaceServices(exampleTemplate);
    expect(services).toHaveLength(2);
    expect(services[0]).toMatch(/elasticloadbalancing/);
    expect(services[1]).toMatch(/\.logs"/);
  });

  test('a site with discovery gets the EC2 interface endpoint too', () => {
    const discovering = structuredClone(exampleSite) as Loose;
    discovering.services[0].discover = { tags: { Role: ['pacs-dicom'] } };
    const services = interfaceServices(templateOf(discovering));
    expect(services).toHaveLength(3);
    expect(services.some((s) => /\.ec2"/.test(s))).toBe(true);
  });
});

test("the runbook's names are stack outputs: controller function, log group and schedule rule", () => {
  const outputs = exampleTemplate.toJSON().Outputs as Record<string, Loose>;
  expect(outputs.ControllerFunctionName).toBeDefined();
  expect(outputs.ControllerLogGroupName.Value).toEqual({ Ref: expect.stringMatching(/^ControllerLogGroup/) });
  expect(outputs.ControllerScheduleRuleName.Value).toEqual({ Ref: expect.stringMatching(/^ControllerSchedule/) });
});

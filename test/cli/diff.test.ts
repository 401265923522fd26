import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { findTrafficReplacements, run, type CfnTemplate } from '../../lambda/cli/diff';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, type Site } from '../../lib/site';
import { newProjectApp } from '../helpers/cdk-app';

 
type LooseSite = any;

/** The example site after a change, parsed. */
function siteWith(change: (site: LooseSite) => void): Site {
  const input = structuredClone(exampleSite) as LooseSite;
  change(input);
  return parseSite(input);
}

/** The template `cdk synth` would write: path metadata on (as the CLI sets it), Lambda bundling skipped. */
function templateOf(site: Site): CfnTemplate {
  const context = { ...newProjectApp().node.getAllContext(), 'aws:cdk:enable-path-metadata': true, 'aws:cdk:bundling-stacks': [] };
  const app = new App({ context });
  const stack = new MedlbStack(app, 'Medlb-example-hospital', { site, env: { region: site.env.region } });
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

const deployedSite = siteWith(() => undefined);
const deployed = templateOf(deployedSite);
const trafficIds = (template: CfnTemplate) =>
  Object.entries(template.Resources ?? {})
    .filter(([, resource]) => /ElasticLoadBalancingV2|SecurityGroup$/.test(resource.Type))
    .map(([id]) => id)
    .sort();

describe('findTrafficReplacements', () => {
  it('a changed targetPort replaces the target group: names it, the property and the site field', () => {
    const site = siteWith((raw) => (raw.services[0].ports[0].targetPort = 1104));
    const found = findTrafficReplacements(deployed, templateOf(site), site);
    expect(found).toEqual([
      expect.objectContaining({
        kind: 'replace',
        type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
        logicalId: expect.stringMatching(/^DICOMModalitiesTargetGroup104/),
        path: 'DICOM-Modalities/TargetGroup104',
        properties: [{ name: 'Port', oldValue: 104, newValue: 1104 }],
        siteFields: ['services[0].ports[0].targetPort'],
        effect: expect.stringContaining('new, EMPTY target group'),
      }),
    ]);
  });

  it('a renamed service re-creates its NLB (same VIPs), listener, target group and security group under new ids', () => {
    const site = siteWith((raw) => (raw.services[1].label = 'HL7-Engine'));
    const found = findTrafficReplacements(deployed, templateOf(site), site);
    expect(found.map((item) => `${item.kind} ${item.type.split('::').pop()} ${item.path}`).sort()).toEqual([
      'rename Listener HL7/LoadBalancer/Listener2575',
      'rename LoadBalancer HL7/LoadBalancer',
      'rename SecurityGroup HL7/SecurityGroup',
      'rename TargetGroup HL7/TargetGroup2575',
    ]);
    const nlb = found.find((item) => item.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer')!;
    expect(nlb.logicalId).toMatch(/^HL7LoadBalancer/);
    expect(nlb.newLogicalId).toMatch(/^HL7EngineLoadBalancer/);
    expect(nlb.siteFields).toEqual(['services[1].label (was "HL7", now "HL7-Engine"): set services[1].id: "HL7" to keep the resources']);
    expect(nlb.effect).toMatch(/with the same PrivateIPv4Address the create fails and the stack rolls back/);
  });

  it('a renamed service that keeps its id, a restyled label and other cosmetic edits replace nothing', () => {
    const site = siteWith((raw) => {
      raw.services[1].label = 'HL7-Engine';
      raw.services[1].id = 'HL7';
      raw.services[0].label = 'Dicom-Modalities';
      raw.services[0].id = 'DICOM-Modalities';
      raw.viewer.label = 'Https-Viewer';
      raw.viewer.id = 'HTTPS-Viewer';
      raw.services[0].realServers.push({ label: 'DICOM3', ip: '10.12.1.112' });
      raw.services[2].healthCheck.timeoutMs = 5000;
      raw.services[3].nlbHealthCheck = { intervalSeconds: 10, timeoutSeconds: 6 };
    });
    const synthesized = templateOf(site);
    expect(findTrafficReplacements(deployed, synthesized, site)).toEqual([]);
    expect(trafficIds(synthesized)).toEqual(trafficIds(deployed));
  });

  it('a removed service deletes what held its traffic', () => {
    const site = siteWith((raw) => raw.services.splice(3, 1));
    const found = findTrafficReplacements(deployed, templateOf(site), site);
    expect(found.map((item) => `${item.kind} ${item.path}`).sort()).toEqual([
      'remove XDS-Repository/LoadBalancer',
      'remove XDS-Repository/LoadBalancer/Listener17035',
      'remove XDS-Repository/SecurityGroup',
      'remove XDS-Repository/TargetGroup17035',
    ]);
  });
});

describe('medlb diff', () => {
  let dir: string;
  let out: string[];
  let err: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medlb-diff-test-'));
    writeFileSync(join(dir, 'deployed.json'), JSON.stringify(deployed));
    writeFileSync(join(dir, 'port.json'), JSON.stringify(templateOf(siteWith((raw) => (raw.services[0].ports[0].targetPort = 1104)))));
    writeFileSync(join(dir, 'same.json'), JSON.stringify(templateOf(siteWith((raw) => raw.services[0].realServers.pop()))));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('refuses a replacement with exit 1, naming resource, property and site field', async () => {
    expect(await run(['--template', join(dir, 'port.json'), '--deployed', join(dir, 'deployed.json')])).toBe(1);
    const report = out.join('');
    expect(report).toMatch(/^REPLACE AWS::ElasticLoadBalancingV2::TargetGroup DICOMModalitiesTargetGroup104\w+ \(DICOM-Modalities\/TargetGroup104\)$/m);
    expect(report).toContain('  property: Port 104 -> 1104 (forces replacement)');
    expect(report).toContain('  site field: services[DICOM-Modalities].ports[port 104].targetPort');
    expect(report).toMatch(/^refused: 1 replacement/m);
  });

  it('exits 0 with --allow-replacement, still reporting it', async () => {
    expect(await run(['--template', join(dir, 'port.json'), '--deployed', join(dir, 'deployed.json'), '--allow-replacement'])).toBe(0);
    expect(out.join('')).toMatch(/^allowed \(--allow-replacement\): 1 replacement/m);
  });

  it('prints "no replacement" and exits 0 when nothing holding traffic is replaced', async () => {
    expect(await run(['--template', join(dir, 'same.json'), '--deployed', join(dir, 'deployed.json')])).toBe(0);
    expect(out.join('')).toMatch(/^no replacement/);
  });

  it.each([
    [[], /give the new template/],
    [['--template', 'x.json'], /give the deployed template: --stack NAME or --deployed FILE/],
    [['--template', 'x.json', '--stack', 'S', '--deployed', 'y.json'], /one of them/],
    [['-c', 'region=eu-west-2', '--deployed', 'y.json'], /-c takes site=FILE/],
  ])('usage errors exit 2: %j', async (args, message) => {
    expect(await run(args)).toBe(2);
    expect(err.join('')).toMatch(message);
  });

  it('an unreadable or non-template file is an input error (exit 2)', async () => {
    writeFileSync(join(dir, 'not-a-template.json'), '{"a":1}');
    expect(await run(['--template', join(dir, 'missing.json'), '--deployed', join(dir, 'deployed.json')])).toBe(2);
    expect(await run(['--template', join(dir, 'not-a-template.json'), '--deployed', join(dir, 'deployed.json')])).toBe(2);
    expect(err.join('')).toMatch(/missing\.json cannot be read[\s\S]*not-a-template\.json is not a CloudFormation template/);
  });

  it('prints its usage on stdout for --help', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(out.join('')).toMatch(/^usage: medlb diff/);
  });
});

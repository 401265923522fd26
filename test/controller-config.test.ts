import { checkEgressOf, deriveControllerConfig, OwnedTargetGroup } from '../lib/controller-config';
import { exampleSite, parseSite, SiteInput } from '../lib/site';
import { parseControllerConfig } from '../contract/controller-config';

const arn = (name: string) => `arn:aws:elasticloadbalancing:eu-west-2:111122223333:targetgroup/${name}/0123456789abcdef`;

function groupsFor(input: SiteInput): Map<string, OwnedTargetGroup[]> {
  const site = parseSite(input);
  const groups = new Map<string, OwnedTargetGroup[]>();
  for (const service of site.services) {
    groups.set(service.label, service.ports.map((p) => ({ arn: arn(`${service.label.slice(0, 20)}-${p.port}`), port: p.targetPort })));
  }
  if (site.viewer) groups.set(site.viewer.label, [{ arn: arn('viewer-443'), port: site.viewer.targetPort }]);
  return groups;
}

describe('controller config derived from the site', () => {
  const site = parseSite(exampleSite);
  const config = parseControllerConfig(deriveControllerConfig(site, groupsFor(exampleSite)));

  test('every service of the example site, the viewer included, with its check and target groups', () => {
    expect(config.services.map((s) => s.name)).toEqual(['DICOM-Modalities', 'HL7', 'XDS-Registry', 'XDS-Repository', 'HTTPS-Viewer']);
    const dicom = config.services[0];
    expect(dicom).toMatchObject({
      mode: 'balanced',
      rise: 2,
      fall: 3,
      check: { protocol: 'dicom', port: 104, timeoutMs: 3000 },
      targetGroups: [
        { arn: arn('DICOM-Modalities-104'), port: 104 },
        { arn: arn('DICOM-Modalities-11112'), port: 11112 },
      ],
      targets: [
        { name: 'DICOM1', ip: '10.12.1.110' },
        { name: 'DICOM2', ip: '10.12.1.111' },
      ],
      vips: ['10.12.1.100', '10.12.2.100'],
      ports: [104, 11112],
    });
    expect(config.services[4]!.check).toMatchObject({ protocol: 'https', port: 443, path: '/' });
    expect(config.intervalSeconds).toBe(10);
  });

  test('templates stay minimal: no undefined check fields, no rise/fall inside the check', () => {
    const hl7Check = deriveControllerConfig(site, groupsFor(exampleSite)).services[1]!.check;
    expect(Object.values(hl7Check)).not.toContain(undefined);
    expect(hl7Check).not.toHaveProperty('rise');
  });

  test('on-premises servers are registered with AvailabilityZone=all; weight 0 is drained', () => {
    const input = structuredClone(exampleSite) as any;
    input.services[1].realServers.push({ label: 'HL7-ONPREM', ip: '192.168.50.10' });
    input.services[1].realServers[0].weight = 0;
    input.services[1].realServers[1].weight = 1;
    const derived = parseControllerConfig(deriveControllerConfig(parseSite(input), groupsFor(input)));
    expect(derived.services[1]!.targets).toEqual([
      { name: 'HL71', ip: '10.12.1.130', drained: true },
      { name: 'HL72', ip: '10.12.1.131' },
      { name: 'HL7-ONPREM', ip: '192.168.50.10', availabilityZone: 'all' },
    ]);
  });

  test('a service without target groups is a stack bug, named', () => {
    const groups = groupsFor(exampleSite);
    groups.delete('HL7');
    expect(() => deriveControllerConfig(site, groups)).toThrow('service HL7: the stack created no target group for it');
  });
});

describe('controller egress', () => {
  test('one rule per real server and check port', () => {
    expect(checkEgressOf(parseSite(exampleSite))).toEqual(
      expect.arrayContaining([
        { cidr: '10.12.1.110/32', port: 104 },
        { cidr: '10.12.1.130/32', port: 2575 },
        { cidr: '10.12.1.150/32', port: 17035 },
        { cidr: '10.12.1.170/32', port: 443 },
      ]),
    );
  });

  test('a large site is aggregated per /24 so the security group stays under its rule limit', () => {
    const input = structuredClone(exampleSite) as any;
    input.services[0].realServers = Array.from({ length: 60 }, (_, i) => ({ label: `D${i}`, ip: `10.12.1.${10 + i}` }));
    const rules = checkEgressOf(parseSite(input));
    expect(rules.length).toBeLessThan(50);
    expect(rules).toContainEqual({ cidr: '10.12.1.0/24', port: 104 });
  });
});

describe('trusted CA certificates', () => {
  test('a viewer check with the hospital CA reaches the controller config as given, and parses', async () => {
    const { testCertificateAuthority } = await import('./peers/http-peers');
    const hospitalCa = await testCertificateAuthority();
    const input = structuredClone(exampleSite) as any;
    input.viewer.healthCheck = { caCertificates: hospitalCa.cert };
    const config = parseControllerConfig(deriveControllerConfig(parseSite(input), groupsFor(input)));
    expect(config.services.find((s) => s.name === 'HTTPS-Viewer')!.check).toMatchObject({ protocol: 'https', caCertificates: hospitalCa.cert });
  });

  test('the controller config refuses a bundle that does not parse', () => {
    const config = deriveControllerConfig(parseSite(exampleSite), groupsFor(exampleSite));
    (config.services[4]!.check as any).caCertificates = 'garbage';
    expect(() => parseControllerConfig(config)).toThrow(/services\[4\]\.check\.caCertificates: holds no PEM certificate/);
  });
});

/** Check settings a production endpoint asks for: certificate names per check and per server, HL7 MSH fields, warnings. */
import { parseControllerConfig } from '../../contract/controller-config';
import { deriveControllerConfig, type OwnedTargetGroup } from '../../lib/controller-config';
import { parseSite, siteWarnings } from '../../lib/site';
import { exampleWith, problemsAfter } from './fixtures';

const arn = (name: string) => `arn:aws:elasticloadbalancing:eu-west-2:111122223333:targetgroup/${name}/0123456789abcdef`;

function configOf(input: unknown) {
  const site = parseSite(input);
  const groups = new Map<string, OwnedTargetGroup[]>();
  for (const service of site.services) groups.set(service.label, service.ports.map((p) => ({ arn: arn(`${service.label}-${p.port}`), port: p.targetPort })));
  if (site.viewer) groups.set(site.viewer.label, [{ arn: arn('viewer-443'), port: site.viewer.targetPort }]);
  return parseControllerConfig(deriveControllerConfig(site, groups));
}

describe('serverName', () => {
  it('reaches the controller config per check and per real server', () => {
    const input = exampleWith((s) => {
      s.services[0].healthCheck = { ...s.services[0].healthCheck, tls: true, serverName: 'pacs.hospital.example' };
      s.services[0].realServers[1].serverName = 'pacs-02.hospital.example';
    });
    const dicom = configOf(input).services[0];
    expect(dicom!.check).toMatchObject({ tls: true, serverName: 'pacs.hospital.example' });
    expect(dicom!.targets.map((target) => target.serverName)).toEqual([undefined, 'pacs-02.hospital.example']);
  });

  it("is refused on a real server whose service's check does not use TLS, and as an address", () => {
    expect(
      problemsAfter((s) => {
        s.services[1].realServers[0].serverName = 'hl7-01.hospital.example';
        s.viewer.realServers[0].serverName = '10.12.1.170';
      }),
    ).toEqual([
      {
        path: 'services[1].realServers[0].serverName',
        message: "names the certificate this server's check verifies, but the service's health check (protocol hl7) does not use TLS: set healthCheck.tls: true, use protocol https, or remove it",
      },
      {
        path: 'viewer.realServers[0].serverName',
        message: 'is an address, not a DNS name: SNI carries names only (leave the server name out to verify the address itself) (got "10.12.1.170")',
      },
    ]);
  });

  it('on a check needs TLS like caCertificates', () => {
    expect(problemsAfter((s) => (s.services[1].healthCheck.serverName = 'hl7.hospital.example'))).toEqual([
      { path: 'services[1].healthCheck.serverName', message: 'verify certificates, which needs TLS: set tls: true or use protocol https' },
    ]);
  });
});

describe('HL7 MSH settings', () => {
  it('reach the controller config as written', () => {
    const msh = { sendingApplication: 'MEDLB', sendingFacility: 'IT-OPS', receivingApplication: 'ENGINE', receivingFacility: 'HOSPITAL', processingId: 'T' };
    const input = exampleWith((s) => Object.assign(s.services[1].healthCheck, msh));
    expect(configOf(input).services[1]!.check).toMatchObject(msh);
  });

  it('are refused with a separator in them or an unknown processing id', () => {
    expect(
      problemsAfter((s) => Object.assign(s.services[1].healthCheck, { receivingApplication: 'A|B', processingId: 'X' })),
    ).toEqual([
      { path: 'services[1].healthCheck.receivingApplication', message: expect.stringMatching(/^has characters outside printable ASCII or one of the separators/) },
      { path: 'services[1].healthCheck.processingId', message: expect.stringMatching(/^must be one of P, T, D/) },
    ]);
  });
});

describe('siteWarnings', () => {
  it('warns, without failing validation, when an HL7 check sends an admission, order or result', () => {
    const input = exampleWith((s) => (s.services[1].healthCheck.messageType = 'ADT^A01'));
    const site = parseSite(input);
    expect(siteWarnings(site)).toEqual([
      { path: 'services[1].healthCheck.messageType', message: expect.stringMatching(/^HL7 message type ADT\^A01 is a clinical message \(admission/) },
    ]);
  });

  it('is silent for the default, non-clinical message', () => {
    expect(siteWarnings(parseSite(exampleWith(() => undefined)))).toEqual([]);
  });
});

describe('no silent test identities in a deployed site', () => {
  it('a site written for the previous version is told exactly what to add, and who provides it', () => {
    const problems = problemsAfter((s) => {
      delete s.services[0].healthCheck.calledAeTitle;
      delete s.services[2].healthCheck.patientId;
      delete s.services[3].healthCheck.repositoryUniqueId;
      delete s.services[3].healthCheck.documentUniqueId;
    });
    expect(problems).toEqual([
      {
        path: 'services[0].healthCheck.calledAeTitle',
        message:
          'is required for a dicom check (medlb no longer falls back to the test AE title ANY-SCP, which a production PACS rejects): ' +
          'add calledAeTitle: "<the PACS\'s AE title>". The PACS administrator provides it, and must accept associations from the ' +
          'calling AE title "MEDLB" (healthCheck.callingAeTitle) coming from the controller\'s subnets',
      },
      { path: 'services[2].healthCheck.patientId', message: expect.stringMatching(/^is required for an xds registry check .*add patientId: "<id>\^\^\^&<assigning authority OID>&ISO".*registry administrator provides/) },
      { path: 'services[3].healthCheck.repositoryUniqueId', message: expect.stringMatching(/^is required for an xds repository check: add repositoryUniqueId: .*repository administrator provides/) },
      { path: 'services[3].healthCheck.documentUniqueId', message: expect.stringMatching(/^is required for an xds repository check: add documentUniqueId: .*does not hold/) },
    ]);
  });

  it('names the calling AE title the site gives', () => {
    const [problem] = problemsAfter((s) => {
      delete s.services[0].healthCheck.calledAeTitle;
      s.services[0].healthCheck.callingAeTitle = 'LB-PROBE';
    });
    expect(problem!.message).toContain('calling AE title "LB-PROBE"');
  });

  it('asks for a registry patient id only for the registry transaction (the default one)', () => {
    expect(problemsAfter((s) => (s.services[2].healthCheck = { protocol: 'xds' }))).toEqual([
      { path: 'services[2].healthCheck.patientId', message: expect.stringMatching(/^is required for an xds registry check/) },
    ]);
  });

  test.each([
    ['4711^^^&1.2.3.4.5&ISO', true],
    ['MEDLB-PROBE^^^&1.3.6.1.4.1.21367.2005.3.7&ISO', true],
    ['4711', false],
    ['4711^^^1.2.3&ISO', false],
    ['4711^^^&1.2.3', false],
    ['4711^^^&HOSP&L', false],
    ['^^^&1.2.3&ISO', false],
  ])('patient id %s usable: %s', (patientId, usable) => {
    const problems = problemsAfter((s) => (s.services[2].healthCheck.patientId = patientId));
    expect(problems).toEqual(usable ? [] : [{ path: 'services[2].healthCheck.patientId', message: expect.stringMatching(/^is not a CX patient id with its ISO assigning authority/) }]);
  });

  it('the example site states its identities; the controller config carries them', () => {
    const checks = configOf(exampleWith(() => undefined)).services.map((service) => service.check);
    expect(checks[0]).toMatchObject({ calledAeTitle: 'PACS', callingAeTitle: 'MEDLB' });
    expect(checks[2]).toMatchObject({ patientId: 'MEDLB-PROBE^^^&1.2.826.0.1.3680043.10.1234&ISO' });
    expect(checks[3]).toMatchObject({ repositoryUniqueId: '1.2.826.0.1.3680043.10.1234.1', documentUniqueId: '1.2.826.0.1.3680043.10.1234.999999999' });
  });
});

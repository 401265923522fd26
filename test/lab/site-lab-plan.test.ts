/**
 * The plan of `medlb lab` (pure): which loopback address and port stands for each site VIP, port and real
 * server, the controller config derived from the site and pointed at them, the target groups' NLB settings,
 * and what cannot run.
 */
import { parseControllerConfig } from '../../contract/controller-config';
import { parseSite } from '../../lib/site';
import { LabCertificateAuthority } from '../../lab/lab-certificates';
import { labPort, planSiteLab, type SiteLabPlanOptions } from '../../lab/site-lab-plan';
import { exampleWith, type LooseSite } from '../site/fixtures';

let CA: string;
beforeAll(async () => {
  CA = (await LabCertificateAuthority.create()).certificate;
});

function plan(mutate: (site: LooseSite) => void = () => undefined, options: Partial<SiteLabPlanOptions> = {}) {
  return planSiteLab(parseSite(exampleWith(mutate)), { caCertificate: CA, ...options });
}

describe('planSiteLab', () => {
  it('maps every site VIP and port to <prefix>.c.d and an unprivileged port, one listener address each', () => {
    const { vips } = plan();
    const lines = vips.map((v) => `${v.service} ${v.siteAddress}:${v.sitePort} -> ${v.host}:${v.port}`);
    expect(lines).toEqual([
      'DICOM-Modalities 10.12.1.100:104 -> 127.0.1.100:10104',
      'DICOM-Modalities 10.12.2.100:104 -> 127.0.2.100:10104',
      'DICOM-Modalities 10.12.1.100:11112 -> 127.0.1.100:11112',
      'DICOM-Modalities 10.12.2.100:11112 -> 127.0.2.100:11112',
      'HL7 10.12.1.120:2575 -> 127.0.1.120:2575',
      'HL7 10.12.2.120:2575 -> 127.0.2.120:2575',
      'XDS-Registry 10.12.1.140:17035 -> 127.0.1.140:17035',
      'XDS-Registry 10.12.2.140:17035 -> 127.0.2.140:17035',
      'XDS-Repository 10.12.1.145:17035 -> 127.0.1.145:17035',
      'XDS-Repository 10.12.2.145:17035 -> 127.0.2.145:17035',
      'HTTPS-Viewer 10.12.1.160:443 -> 127.0.1.160:10443',
      'HTTPS-Viewer 10.12.2.160:443 -> 127.0.2.160:10443',
    ]);
    expect(labPort(104)).toBe(10104);
    expect(labPort(1024)).toBe(1024);
    expect(labPort(104, new Map([[104, 4104]]))).toBe(4104);
  });

  it('derives the controller config from the site and points it at the stand-ins; it passes the config schema', () => {
    const { config, servers } = plan();
    const parsed = parseControllerConfig(config, 'lab');
    const dicom = parsed.services.find((s) => s.name === 'DICOM-Modalities');
    expect(dicom?.check).toMatchObject({ protocol: 'dicom', port: 10104, calledAeTitle: 'PACS', callingAeTitle: 'MEDLB' });
    expect(dicom?.targets.map((t) => `${t.name} ${t.ip}`)).toEqual(['DICOM1 127.0.1.110', 'DICOM2 127.0.1.111']);
    expect(dicom?.targetGroups.map((g) => g.port)).toEqual([10104, 11112]);
    expect(parsed.intervalSeconds).toBe(10);
    // The https check trusts the lab CA instead of skipping verification.
    expect(parsed.services.find((s) => s.name === 'HTTPS-Viewer')?.check).toMatchObject({ protocol: 'https', port: 10443, caCertificates: CA });
    expect(servers.find((s) => s.label === 'DICOM1')).toMatchObject({
      kind: 'stand-in',
      host: '127.0.1.110',
      listeners: [
        { port: 10104, protocol: 'dicom', calledAeTitles: ['PACS'], tls: false },
        { port: 11112, protocol: 'dicom', calledAeTitles: ['PACS'], tls: false },
      ],
    });
  });

  it('plays a real server with its own port: its stand-in listens there, the config registers it there, the NLB check runs on traffic-port', () => {
    const { config, servers, targetGroups } = plan((site) => (site.services[1].realServers[1].port = 3575));
    const hl7 = parseControllerConfig(config, 'lab').services.find((s) => s.name === 'HL7');
    expect(hl7?.targets.map((t) => [t.name, t.port])).toEqual([
      ['HL71', undefined],
      ['HL72', 3575],
    ]);
    expect(servers.find((s) => s.label === 'HL72')?.listeners.map((l) => l.port)).toEqual([3575]);
    expect(servers.find((s) => s.label === 'HL71')?.listeners.map((l) => l.port)).toEqual([2575]);
    expect(targetGroups.filter((g) => g.service === 'HL7').map((g) => g.healthCheck.port)).toEqual(['traffic-port']);
    expect(targetGroups.filter((g) => g.service === 'DICOM-Modalities').map((g) => g.healthCheck.port)).toEqual([10104, 10104]);
  });

  it("gives each target group the site's NLB check on the check port and its data-plane attributes", () => {
    const { targetGroups } = plan((site) => {
      site.services[0].deregistrationDelaySeconds = 120;
      site.services[0].nlbHealthCheck = { intervalSeconds: 10, timeoutSeconds: 6, unhealthyDrainingIntervalSeconds: 30 };
      site.services[1].persistence = 'none';
    });
    const dicom = targetGroups.filter((g) => g.service === 'DICOM-Modalities');
    expect(dicom).toHaveLength(2);
    for (const group of dicom) {
      expect(group.healthCheck).toEqual({ port: 10104, intervalSeconds: 10, timeoutSeconds: 6, healthyThresholdCount: 2, unhealthyThresholdCount: 3 });
      expect(group.attributes).toMatchObject({
        'deregistration_delay.timeout_seconds': '120',
        'target_health_state.unhealthy.connection_termination.enabled': 'false',
        'target_health_state.unhealthy.draining_interval_seconds': '30',
        'stickiness.enabled': 'true',
        'preserve_client_ip.enabled': 'true',
      });
    }
    expect(targetGroups.find((g) => g.service === 'HL7')?.attributes).toMatchObject({ 'stickiness.enabled': 'false', 'preserve_client_ip.enabled': 'false' });
  });

  it('takes the prefix, port overrides and your own servers; a collision or 127.0.0.1 gets a spare address', () => {
    const result = plan(
      (site) => {
        site.services[1].realServers[0].ip = '10.99.1.110';
        // On premises, outside the VPC: still one more loopback address in the lab.
        site.services[2].realServers[0].ip = '10.20.0.1';
        site.services[2].transparent = false;
      },
      { prefix: '127.7', ports: new Map([[2575, 12575]]), servers: new Map([['10.12.1.131', '127.0.0.9']]) },
    );
    const hl7 = result.servers.filter((s) => s.targets.some((t) => t.startsWith('HL7/')));
    // 10.99.1.110 would be 127.7.1.110, already DICOM1's: it gets the first spare address.
    expect(hl7.map((s) => `${s.label} ${s.host} ${s.kind} ${s.listeners.map((l) => l.port).join(',')}`)).toEqual(['HL71 127.7.254.1 stand-in 12575', 'HL72 127.0.0.9 yours 12575']);
    expect(result.servers.find((s) => s.label === 'XDS1')?.host).toBe('127.7.0.1');
    // With the default prefix it would be 127.0.0.1, where the lab's API endpoints listen.
    const withDefaultPrefix = plan((site) => {
      site.services[2].realServers[0].ip = '10.20.0.1';
      site.services[2].transparent = false;
    });
    expect(withDefaultPrefix.servers.find((s) => s.label === 'XDS1')?.host).toBe('127.0.254.1');
    expect(withDefaultPrefix.config.services.find((s) => s.name === 'XDS-Registry')?.targets).toEqual([{ name: 'XDS1', ip: '127.0.254.1' }]);
    expect(result.config.services.find((s) => s.name === 'HL7')?.targets.map((t) => t.ip)).toEqual(['127.7.254.1', '127.0.0.9']);
  });

  it('leaves out a check client certificate (no Secrets Manager in the lab), saying so', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/viewer-client-AbCdEf';
    const result = plan((site) => (site.viewer.healthCheck.clientCertificate = { secretArn }));
    expect(result.config.services.find((s) => s.name === 'HTTPS-Viewer')?.check).not.toHaveProperty('clientCertificate');
    expect(result.notes).toContain(`HTTPS-Viewer: the check's client certificate (${secretArn}) is not presented in the lab; the stand-ins do not ask for one`);
  });

  it('reports what cannot run: one address and port checked with two protocols; EC2 discovery is left out', () => {
    const result = plan((site) => {
      site.services[1].realServers[0].ip = '10.12.1.110';
      site.services[1].ports = [{ port: 104 }];
      site.services[1].healthCheck.port = 104;
      site.services[0].discover = { tags: { Role: ['pacs'] } };
    });
    expect(result.problems).toEqual([
      'HL7/HL71: 10.12.1.110 port 10104 is checked as hl7 here and as dicom by another service; one stand-in cannot be both',
    ]);
    expect(result.notes).toEqual(['DICOM-Modalities: servers discovered from EC2 are not played by the lab; its static real servers are']);
    expect(result.config.services.find((s) => s.name === 'DICOM-Modalities')).not.toHaveProperty('discovery');
  });
});

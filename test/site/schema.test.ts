import {
  exampleSite,
  isExistingVpc,
  isInVpc,
  parseSite,
  realServerAddressesOf,
  siteProblems,
  SiteValidationError,
  staticVipAddressesOf,
  subnetOf,
  vipAddressesOf,
  vipSubnetMappings,
  vpcCidrOf,
  DEFAULT_VIEWER_SSL_POLICY,
  type SiteInput,
} from '../../lib/site';
import { exampleWith, problemsAfter } from './fixtures';

/** The smallest valid site: everything optional left out. */
const minimalSite: SiteInput = {
  name: 'minimal',
  env: { region: 'eu-west-2' },
  network: { newVpc: { cidr: '10.50.0.0/16' } },
  allowedClientCidrs: ['10.0.0.0/8'],
  services: [{ label: 'PACS', vip: '10.50.1.10', ports: [{ port: 104 }], realServers: [{ label: 'PACS1', ip: '10.50.2.10' }] }],
};

describe('the example site (guide §8)', () => {
  const site = parseSite(exampleSite);

  it('parses without problems', () => {
    expect(siteProblems(exampleSite)).toEqual([]);
  });

  it('has the guide services, VIPs (guide address first), ports and servers', () => {
    expect(site.name).toBe('example-hospital');
    expect(site.env.region).toBe('eu-west-2');
    expect(
      site.services.map((service) => [service.label, service.vip[0], service.ports.map((p) => p.port), service.realServers.map((r) => `${r.label}=${r.ip}`)]),
    ).toEqual([
      ['DICOM-Modalities', '10.12.1.100', [104, 11112], ['DICOM1=10.12.1.110', 'DICOM2=10.12.1.111']],
      ['HL7', '10.12.1.120', [2575], ['HL71=10.12.1.130', 'HL72=10.12.1.131']],
      ['XDS-Registry', '10.12.1.140', [17035], ['XDS1=10.12.1.150']],
      ['XDS-Repository', '10.12.1.145', [17035], ['XDSREPO1=10.12.1.155']],
    ]);
    expect(site.viewer?.realServers.map((r) => `${r.label}=${r.ip}`)).toEqual(['VIEWER1=10.12.1.170', 'VIEWER2=10.12.1.171']);
  });

  it('uses source-IP persistence and 1 h idle timeouts everywhere (guide §8.7)', () => {
    for (const service of site.services) {
      expect(service.persistence).toBe('source-ip');
      expect(service.idleTimeoutSeconds).toBe(3600);
    }
    expect(site.viewer?.idleTimeoutSeconds).toBe(3600);
    expect(site.viewer?.cookieStickinessSeconds).toBe(3600);
  });

  it('is transparent for DICOM and XDS (Layer 4 DR), not for HL7 (Layer 7 SNAT)', () => {
    expect(Object.fromEntries(site.services.map((s) => [s.label, s.transparent]))).toEqual({
      'DICOM-Modalities': true,
      HL7: false,
      'XDS-Registry': true,
      'XDS-Repository': true,
    });
  });

  it('checks each service with its protocol, DICOM on port 104', () => {
    expect(site.services.map((s) => [s.healthCheck.protocol, s.healthCheck.port, s.healthCheck.transaction])).toEqual([
      ['dicom', 104, undefined],
      ['hl7', 2575, undefined],
      ['xds', 17035, 'registry'],
      ['xds', 17035, 'repository'],
    ]);
    expect([site.viewer?.healthCheck.protocol, site.viewer?.healthCheck.port, site.viewer?.healthCheck.path]).toEqual(['https', 443, '/']);
  });

  it('marks its placeholders clearly', () => {
    expect(site.network.existingVpc?.vpcId).toBe('vpc-0123456789abcdef0');
    expect(site.description).toMatch(/PLACEHOLDER/);
    expect(site.viewer?.certificateArn).toMatch(/^arn:aws:acm:eu-west-2:111122223333:certificate\/0{8}-/);
  });
});

describe('defaults', () => {
  const site = parseSite(minimalSite);
  const service = site.services[0];

  it('resolves service defaults', () => {
    expect(service).toMatchObject({
      vip: ['10.50.1.10'],
      ports: [{ port: 104, targetPort: 104 }],
      transparent: false,
      proxyProtocolV2: false,
      persistence: 'source-ip',
      idleTimeoutSeconds: 3600,
      mode: 'balanced',
      deregistrationDelaySeconds: 300,
      healthCheck: { protocol: 'tcp', port: 104, timeoutMs: 3000, rise: 2, fall: 3 },
    });
    expect(service!.allowedClientCidrs).toBeUndefined();
  });

  it('resolves real-server defaults: weight 1, onPremises inferred from the VPC CIDR', () => {
    const withOnPremises = parseSite({
      ...minimalSite,
      services: [{ ...minimalSite.services![0], realServers: [{ label: 'IN', ip: '10.50.2.10' }, { label: 'OUT', ip: '192.168.7.10' }] }],
    });
    expect(withOnPremises.services[0]!.realServers).toEqual([
      { label: 'IN', ip: '10.50.2.10', weight: 1, onPremises: false },
      { label: 'OUT', ip: '192.168.7.10', weight: 1, onPremises: true },
    ]);
  });

  it('resolves site defaults', () => {
    expect(site.tags).toEqual({});
    expect(site.controller).toEqual({ intervalSeconds: 10, awsApiAccess: 'create-endpoints', maxPinHours: 12 });
    expect(site.notifications).toEqual({ emails: [] });
    expect(site.viewer).toBeUndefined();
    expect(site.network).toEqual({ newVpc: { cidr: '10.50.0.0/16', maxAzs: 2 } });
  });

  it('defaults the check port to the first targetPort, not the listener port', () => {
    const parsed = parseSite({ ...minimalSite, services: [{ ...minimalSite.services![0], ports: [{ port: 104, targetPort: 4104 }, { port: 11112 }] }] });
    expect(parsed.services[0]!.ports).toEqual([
      { port: 104, targetPort: 4104 },
      { port: 11112, targetPort: 11112 },
    ]);
    expect(parsed.services[0]!.healthCheck.port).toBe(4104);
  });

  it('resolves viewer defaults', () => {
    const parsed = parseSite({
      ...minimalSite,
      viewer: { certificateArn: 'arn:aws:acm:eu-west-2:111122223333:certificate/abc', realServers: [{ label: 'V1', ip: '10.50.2.20' }] },
    });
    expect(parsed.viewer).toMatchObject({
      label: 'HTTPS-Viewer',
      sslPolicy: DEFAULT_VIEWER_SSL_POLICY,
      healthCheckPath: '/',
      cookieStickinessSeconds: 3600,
      idleTimeoutSeconds: 3600,
      targetPort: 443,
      mode: 'balanced',
      deregistrationDelaySeconds: 300,
      healthCheck: { protocol: 'https', port: 443, path: '/', timeoutMs: 3000, rise: 2, fall: 3 },
    });
    expect(parsed.viewer?.staticVip).toBeUndefined();
    expect(DEFAULT_VIEWER_SSL_POLICY).toBe('ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09');
  });

  it('drops the editor-only $schema key', () => {
    expect(parseSite({ ...minimalSite, $schema: './site.schema.json' })).not.toHaveProperty('$schema');
  });
});

describe('field rules (schema)', () => {
  const only = (mutate: Parameters<typeof problemsAfter>[0]) => problemsAfter(mutate);

  it.each([
    ['name', (s: any) => (s.name = 'bad name!'), 'name', 'the site name may contain only letters, digits and "-" (got "bad name!")'],
    ['name length', (s: any) => (s.name = 'x'.repeat(33)), 'name', /the site name must be at most 32 characters/],
    ['account', (s: any) => (s.env.account = '1234'), 'env.account', 'must be a 12-digit AWS account id (got "1234")'],
    ['region', (s: any) => (s.env.region = 'London'), 'env.region', 'is not an AWS region like eu-west-2 (got "London")'],
    ['missing region', (s: any) => delete s.env.region, 'env.region', 'is required'],
    ['listener port', (s: any) => (s.services[0].ports[1].port = 70000), 'services[0].ports[1].port', 'must be an integer from 1 to 65535 (got 70000)'],
    ['target port', (s: any) => (s.services[0].ports[0].targetPort = 0), 'services[0].ports[0].targetPort', 'must be an integer from 1 to 65535 (got 0)'],
    ['no ports', (s: any) => (s.services[0].ports = []), 'services[0].ports', 'needs at least one port'],
    ['idle timeout', (s: any) => (s.services[1].idleTimeoutSeconds = 59), 'services[1].idleTimeoutSeconds', 'must be an integer from 60 to 6000 s (got 59)'],
    ['fractional timeout', (s: any) => (s.services[1].idleTimeoutSeconds = 61.5), 'services[1].idleTimeoutSeconds', 'must be an integer from 60 to 6000 s (got 61.5)'],
    ['deregistration delay', (s: any) => (s.services[0].deregistrationDelaySeconds = 3601), 'services[0].deregistrationDelaySeconds', 'must be an integer from 0 to 3600 s (got 3601)'],
    ['check timeout', (s: any) => (s.services[0].healthCheck.timeoutMs = 99), 'services[0].healthCheck.timeoutMs', 'must be an integer from 100 to 60000 ms (got 99)'],
    ['rise', (s: any) => (s.services[0].healthCheck.rise = 0), 'services[0].healthCheck.rise', 'must be an integer from 1 to 10 (got 0)'],
    ['fall', (s: any) => (s.services[0].healthCheck.fall = 11), 'services[0].healthCheck.fall', 'must be an integer from 1 to 10 (got 11)'],
    ['check port', (s: any) => (s.services[0].healthCheck.port = 65536), 'services[0].healthCheck.port', 'must be an integer from 1 to 65535 (got 65536)'],
    ['interval', (s: any) => (s.controller.intervalSeconds = 61), 'controller.intervalSeconds', 'must be an integer from 5 to 60 s (got 61)'],
    // On the HL7 check: the DICOM one's AE titles would (rightly) be reported as not applying to icmp too.
    ['check protocol', (s: any) => (s.services[1].healthCheck.protocol = 'icmp'), 'services[1].healthCheck.protocol', 'must be one of tcp, dicom, hl7, xds, http, https (got "icmp")'],
    ['persistence', (s: any) => (s.services[0].persistence = 'cookie'), 'services[0].persistence', 'must be source-ip or none (got "cookie")'],
    ['mode', (s: any) => (s.services[0].mode = 'round-robin'), 'services[0].mode', 'must be balanced or failover (got "round-robin")'],
    ['weight', (s: any) => (s.services[0].realServers[0].weight = -1), 'services[0].realServers[0].weight', 'must be an integer from 0 to 65535 (got -1)'],
    ['VIP format', (s: any) => (s.services[0].vip = '10.12.1'), 'services[0].vip', 'is not an IPv4 address like 10.12.1.100 (got "10.12.1")'],
    ['VIP list entry', (s: any) => (s.services[0].vip[1] = '10.12.2.300'), 'services[0].vip[1]', 'is not an IPv4 address like 10.12.1.100 (got "10.12.2.300")'],
    ['real-server IP', (s: any) => (s.services[0].realServers[0].ip = 'dicom1.local'), 'services[0].realServers[0].ip', 'is not an IPv4 address like 10.12.1.100 (got "dicom1.local")'],
    ['client CIDR', (s: any) => (s.allowedClientCidrs = ['10.12.0.1/16']), 'allowedClientCidrs[0]', 'has host bits set (did you mean 10.12.0.0/16?) (got "10.12.0.1/16")'],
    ['no client CIDR', (s: any) => (s.allowedClientCidrs = []), 'allowedClientCidrs', 'needs at least one CIDR'],
    ['VPC prefix', (s: any) => (s.network.existingVpc.cidr = '10.0.0.0/8'), 'network.existingVpc.cidr', 'must have a prefix length from /16 to /28 (AWS VPC and subnet limits) (got "10.0.0.0/8")'],
    ['VPC id', (s: any) => (s.network.existingVpc.vpcId = 'vpc-PLACEHOLDER'), 'network.existingVpc.vpcId', 'is not a VPC id like vpc-0123456789abcdef0 (got "vpc-PLACEHOLDER")'],
    ['no subnets', (s: any) => (s.network.existingVpc.subnets = []), 'network.existingVpc.subnets', 'needs at least one subnet'],
    ['no real servers', (s: any) => (s.services[2].realServers = []), 'services[2].realServers', 'needs at least one real server, or discover (EC2 instances by tags or instance ids)'],
    ['certificate ARN', (s: any) => (s.viewer.certificateArn = 'my-cert'), 'viewer.certificateArn', /^is not an ACM certificate ARN like arn:aws:acm:eu-west-2:111122223333:certificate\/<id> \(got "my-cert"\)$/],
    ['cookie duration', (s: any) => (s.viewer.cookieStickinessSeconds = 604801), 'viewer.cookieStickinessSeconds', 'must be an integer from 1 to 604800 s (got 604801)'],
    ['ALB idle timeout', (s: any) => (s.viewer.idleTimeoutSeconds = 4001), 'viewer.idleTimeoutSeconds', 'must be an integer from 1 to 4000 s (got 4001)'],
    ['e-mail', (s: any) => (s.notifications.emails = ['pacs-oncall']), 'notifications.emails[0]', 'is not an e-mail address (got "pacs-oncall")'],
    ['topic ARN', (s: any) => (s.notifications.existingTopicArn = 'alarms'), 'notifications.existingTopicArn', /^is not an SNS topic ARN/],
    ['reserved tag key', (s: any) => (s.tags = { 'aws:owner': 'me' }), 'tags["aws:owner"]', 'tag keys starting with "aws:" are reserved by AWS (got "aws:owner")'],
    ['typo', (s: any) => (s.services[0].tranparent = true), 'services[0].tranparent', 'is not a known setting (check the spelling); remove it'],
    ['wrong type', (s: any) => (s.services[0].transparent = 'yes'), 'services[0].transparent', 'must be a boolean (got "yes")'],
  ])('%s', (_name, mutate, path, message) => {
    const problems = only(mutate);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(path);
    if (typeof message === 'string') expect(problems[0]!.message).toBe(message);
    else expect(problems[0]!.message).toMatch(message);
  });

  it.each(['PACS\\ARCHIVE', '    ', '', 'ABCDEFGHIJKLMNOPQ', 'CAFÉ', 'TAB\tAE'])('rejects the AE title %j with the rule spelled out', (title) => {
    const problems = only((s) => (s.services[0].healthCheck.calledAeTitle = title));
    expect(problems).toEqual([
      {
        path: 'services[0].healthCheck.calledAeTitle',
        message: `is not a DICOM AE title: 1–16 printable ASCII characters, no backslash, not all spaces (got ${JSON.stringify(title)})`,
      },
    ]);
  });

  it.each(['PACS', 'ANY-SCP', ' PADDED ', 'ABCDEFGHIJKLMNOP', 'A'])('accepts the AE title %j', (title) => {
    expect(only((s) => (s.services[0].healthCheck.callingAeTitle = title))).toEqual([]);
  });

  it.each(['ELBSecurityPolicy-2016-08', 'ELBSecurityPolicy-TLS-1-2-2017-01', 'ELBSecurityPolicy-TLS13-1-0-2021-06', 'ELBSecurityPolicy-TLS13-1-1-2021-06', 'ELBSecurityPolicy-FS-1-2-Res-2020-10'])(
    'rejects the TLS policy %s',
    (policy) => {
      const problems = only((s) => (s.viewer.sslPolicy = policy));
      expect(problems).toHaveLength(1);
      expect(problems[0]!.path).toBe('viewer.sslPolicy');
      expect(problems[0]!.message).toMatch(/^is not a TLS 1\.3 policy with TLS 1\.2 or 1\.3 as its minimum; .*ELBSecurityPolicy-2016-08 allow TLS 1\.0/);
      expect(problems[0]!.message).toContain(`(got "${policy}")`);
    },
  );

  it.each(['ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-3-2021-06', 'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09'])('accepts the TLS policy %s', (policy) => {
    expect(only((s) => (s.viewer.sslPolicy = policy))).toEqual([]);
  });

  it('requires exactly one of existingVpc or newVpc', () => {
    expect(only((s) => (s.network = {}))).toEqual([{ path: 'network', message: 'give either existingVpc or newVpc' }]);
    expect(only((s) => (s.network.newVpc = { cidr: '10.12.0.0/16' }))).toEqual([{ path: 'network', message: 'give either existingVpc or newVpc, not both' }]);
  });
});

describe('appliance settings AWS does not offer', () => {
  it('rejects min/max connections, saying AWS has none', () => {
    expect(problemsAfter((s) => Object.assign(s.services[0].realServers[0], { minConnections: 0, maxConnections: 0 }))).toEqual([
      { path: 'services[0].realServers[0].minConnections', message: 'min/max connections are not offered by AWS Network Load Balancers; remove it' },
      { path: 'services[0].realServers[0].maxConnections', message: 'min/max connections are not offered by AWS Network Load Balancers; remove it' },
    ]);
  });

  it('rejects a persistence timeout, explaining that AWS source-IP affinity has no duration', () => {
    const problems = problemsAfter((s) => (s.services[0].persistenceTimeoutSeconds = 3600));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('services[0].persistenceTimeoutSeconds');
    expect(problems[0]!.message).toMatch(/^AWS source-IP affinity has no duration setting .*; remove it: persistence: 'source-ip' is the equivalent/);
  });

  it('explains that the viewer listens on 443, and keeps port unknown elsewhere', () => {
    expect(problemsAfter((s) => (s.viewer.port = 8443))).toEqual([
      { path: 'viewer.port', message: "the viewer listens on 443; set targetPort for the viewer servers' port" },
    ]);
    expect(problemsAfter((s) => (s.services[0].healthCheck.tcpPort = 104))).toEqual([
      { path: 'services[0].healthCheck.tcpPort', message: 'is not a known setting (check the spelling); remove it' },
    ]);
  });
});

describe('SiteValidationError', () => {
  it('lists every problem once, one per line, with path and value', () => {
    const broken = exampleWith((s) => {
      s.services[2].vip = '10.12.9.1';
      s.services[0].idleTimeoutSeconds = 7000;
    });
    let caught: unknown;
    try {
      parseSite(broken);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SiteValidationError);
    const error = caught as SiteValidationError;
    expect(error.problems).toHaveLength(2);
    expect(error.message.split('\n')).toEqual([
      'the site definition has 2 problems:',
      'services[0].idleTimeoutSeconds: must be an integer from 60 to 6000 s (got 7000)',
      'services[2].vip: 10.12.9.1 is not in any subnet of the VPC (10.12.1.0/24 eu-west-2a, 10.12.2.0/24 eu-west-2b)',
    ]);
  });

  it('reports a non-object site plainly', () => {
    expect(siteProblems('not a site')).toEqual([{ path: 'site', message: 'must be an object (got "not a site")' }]);
    expect(siteProblems(undefined)).toEqual([{ path: 'site', message: 'is required' }]);
  });
});

describe('helpers for the stack', () => {
  const site = parseSite(exampleSite);

  it('lists VIPs as written or parsed', () => {
    expect(vipAddressesOf({ vip: '10.12.1.100' })).toEqual(['10.12.1.100']);
    expect(vipAddressesOf(site.services[0]!)).toEqual(['10.12.1.100', '10.12.2.100']);
    expect(staticVipAddressesOf(site.viewer!)).toEqual(['10.12.1.160', '10.12.2.160']);
  });

  it('knows the VPC and its subnets', () => {
    expect(vpcCidrOf(site)).toBe('10.12.0.0/16');
    expect(isExistingVpc(site.network)).toBe(true);
    expect(isInVpc('10.12.200.1', site)).toBe(true);
    expect(isInVpc('10.13.0.1', site)).toBe(false);
    expect(isInVpc('garbage', site)).toBe(false);
    expect(subnetOf('10.12.2.100', site)?.availabilityZone).toBe('eu-west-2b');
    expect(subnetOf('10.12.3.1', site)).toBeUndefined();
  });

  it('maps VIPs to subnets for the NLB', () => {
    expect(vipSubnetMappings(site.services[1]!.vip, site).map((m) => [m.subnet.subnetId, m.privateIpv4Address])).toEqual([
      ['subnet-0aaaaaaaaaaaaaaa1', '10.12.1.120'],
      ['subnet-0bbbbbbbbbbbbbbb2', '10.12.2.120'],
    ]);
    expect(() => vipSubnetMappings(['10.12.3.1'], site)).toThrow(/VIP 10\.12\.3\.1 is in no listed subnet/);
  });

  it('lists every distinct real-server address', () => {
    expect(realServerAddressesOf(site)).toEqual(['10.12.1.110', '10.12.1.111', '10.12.1.130', '10.12.1.131', '10.12.1.150', '10.12.1.155', '10.12.1.170', '10.12.1.171']);
  });
});

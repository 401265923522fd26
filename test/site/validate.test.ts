/** Cross-field rules (lib/site/validate.ts): each asserted with its path and message, and all reported together. */
import { crossFieldProblems, exampleSite, parseSite, siteProblems } from '../../lib/site';
import { testCertificateAuthority, type TestCertificate } from '../peers/http-peers';
import { exampleWith, problemsAfter, type LooseSite } from './fixtures';

function servers(count: number, firstHost = 10): { label: string; ip: string }[] {
  return Array.from({ length: count }, (_, index) => {
    const host = firstHost + index;
    return { label: `S${index}`, ip: `10.12.${3 + Math.floor(host / 256)}.${host % 256}` };
  });
}

describe('labels', () => {
  it('rejects duplicate service labels, ignoring case', () => {
    expect(problemsAfter((s) => (s.services[3].label = 'xds-registry'))).toEqual([
      { path: 'services[3].label', message: 'xds-registry is already the label of services[2]; labels must be unique (case-insensitive: they name AWS resources)' },
    ]);
  });

  it('counts the viewer as a service', () => {
    expect(problemsAfter((s) => (s.viewer.label = 'HL7'))).toEqual([
      { path: 'viewer.label', message: 'HL7 is already the label of services[1]; labels must be unique (case-insensitive: they name AWS resources)' },
    ]);
  });

  it('rejects duplicate real-server labels within a service regardless of case, not across services', () => {
    expect(problemsAfter((s) => (s.services[0].realServers[1].label = 'DICOM1'))).toEqual([
      { path: 'services[0].realServers[1].label', message: 'DICOM1 is already the label of realServers[0]; labels must be unique in a service (case-insensitive: medlb commands match them in any case)' },
    ]);
    expect(problemsAfter((s) => (s.services[0].realServers[1].label = 'dicom1'))).toEqual([
      { path: 'services[0].realServers[1].label', message: 'dicom1 is already the label of realServers[0]; labels must be unique in a service (case-insensitive: medlb commands match them in any case)' },
    ]);
    expect(problemsAfter((s) => (s.services[1].realServers[0].label = 'DICOM1'))).toEqual([]);
  });
});

describe('VIPs', () => {
  it('must lie in a subnet of the VPC', () => {
    expect(problemsAfter((s) => (s.services[2].vip = '10.12.9.1'))).toEqual([
      { path: 'services[2].vip', message: '10.12.9.1 is not in any subnet of the VPC (10.12.1.0/24 eu-west-2a, 10.12.2.0/24 eu-west-2b)' },
    ]);
  });

  it('must lie in the VPC CIDR of a new VPC (its subnets are laid out by the stack)', () => {
    const site = (vip: string) =>
      exampleWith((s) => {
        s.network = { newVpc: { cidr: '10.12.0.0/16' } };
        s.services = [s.services[1]];
        s.services[0].vip = vip;
        delete s.viewer;
      });
    expect(siteProblems(site('10.12.77.10'))).toEqual([]);
    expect(siteProblems(site('10.99.1.10'))).toEqual([{ path: 'services[0].vip', message: '10.99.1.10 is not in the VPC CIDR 10.12.0.0/16' }]);
  });

  it.each([
    ['10.12.1.0', 'the network address'],
    ['10.12.1.1', 'reserved by AWS for the VPC router'],
    ['10.12.1.2', 'reserved by AWS for the DNS server'],
    ['10.12.1.3', 'reserved by AWS for future use'],
    ['10.12.1.255', 'the broadcast address (reserved by AWS)'],
  ])('may not be the AWS-reserved address %s', (ip, reason) => {
    expect(problemsAfter((s) => (s.services[1].vip[0] = ip))).toEqual([
      { path: 'services[1].vip[0]', message: `${ip} in subnet 10.12.1.0/24 is ${reason}; AWS reserves the first four addresses and the last one of every subnet` },
    ]);
  });

  it('one per subnet', () => {
    expect(problemsAfter((s) => (s.services[0].vip = ['10.12.1.100', '10.12.1.101']))).toEqual([
      { path: 'services[0].vip[1]', message: '10.12.1.101 is in the same subnet (10.12.1.0/24) as 10.12.1.100: a load balancer takes one static IP per subnet' },
    ]);
  });

  it('one subnet per Availability Zone', () => {
    expect(
      problemsAfter((s) => {
        s.network.existingVpc.subnets.push({ subnetId: 'subnet-0ccccccccccccccc3', availabilityZone: 'eu-west-2a', cidr: '10.12.3.0/24', routeTableId: 'rtb-0ccccccccccccccc3' });
        s.services[0].vip = ['10.12.1.100', '10.12.3.100'];
      }),
    ).toEqual([{ path: 'services[0].vip[1]', message: '10.12.3.100 is in eu-west-2a like 10.12.1.100: a load balancer uses one subnet per Availability Zone' }]);
  });

  it('fewer VIPs than subnets is fine (the NLB spans only those subnets)', () => {
    expect(problemsAfter((s) => (s.services[0].vip = '10.12.2.100'))).toEqual([]);
  });

  it('belongs to one service', () => {
    expect(problemsAfter((s) => (s.services[3].vip = ['10.12.1.140', '10.12.2.145']))).toEqual([
      { path: 'services[3].vip[0]', message: '10.12.1.140 is already a VIP of XDS-Registry (services[2].vip[0]); a VIP belongs to one service' },
    ]);
  });

  it("collides with the viewer's static VIP too", () => {
    expect(problemsAfter((s) => (s.viewer.staticVip = ['10.12.1.120']))).toEqual([
      { path: 'viewer.staticVip[0]', message: '10.12.1.120 is already a VIP of HL7 (services[1].vip[0]); a VIP belongs to one service' },
    ]);
  });

  it('is not listed twice', () => {
    expect(problemsAfter((s) => (s.services[0].vip = ['10.12.1.100', '10.12.1.100']))).toEqual([
      { path: 'services[0].vip[1]', message: '10.12.1.100 is listed twice (DICOM-Modalities (services[0].vip[0]))' },
    ]);
  });

  it('is not a real server', () => {
    expect(problemsAfter((s) => (s.services[2].vip = ['10.12.1.131', '10.12.2.140']))).toEqual([
      { path: 'services[2].vip[0]', message: '10.12.1.131 is also the address of real server HL72 (services[1].realServers[1].ip); a VIP cannot be a real server' },
    ]);
  });
});

describe('ports', () => {
  it('rejects a listener port listed twice in a service', () => {
    expect(problemsAfter((s) => s.services[0].ports.push({ port: 104, targetPort: 1104 }))).toEqual([
      { path: 'services[0].ports[2].port', message: '104 is already a listener port of this service (ports[0])' },
    ]);
  });

  it('allows the same port on different services (different NLBs)', () => {
    expect(problemsAfter((s) => (s.services[1].ports = [{ port: 17035 }]))).toEqual([]);
  });

  it('allows a check port that is none of the target ports', () => {
    expect(problemsAfter((s) => (s.services[1].healthCheck.port = 8080))).toEqual([]);
  });
});

describe('real servers', () => {
  it('rejects unequal non-zero weights, explaining that NLB has none', () => {
    expect(
      problemsAfter((s) => {
        s.services[0].realServers[0].weight = 100;
        s.services[0].realServers[1].weight = 50;
      }),
    ).toEqual([
      {
        path: 'services[0].realServers[1].weight',
        message: '50 differs from 100 (DICOM1): NLB has no per-target weight; use equal weights, or 0 to drain a server',
      },
    ]);
  });

  it('compares with the default weight 1 and accepts 0 (drained)', () => {
    expect(problemsAfter((s) => (s.services[0].realServers[1].weight = 100))[0]).toEqual({
      path: 'services[0].realServers[1].weight',
      message: '100 differs from 1 (DICOM1): NLB has no per-target weight; use equal weights, or 0 to drain a server',
    });
    expect(problemsAfter((s) => (s.services[0].realServers[0].weight = 0))).toEqual([]);
    expect(problemsAfter((s) => s.services[0].realServers.forEach((r: LooseSite) => (r.weight = 100)))).toEqual([]);
  });

  it('rejects the same address twice in a service', () => {
    expect(problemsAfter((s) => (s.services[0].realServers[1].ip = '10.12.1.110'))).toEqual([
      { path: 'services[0].realServers[1].ip', message: '10.12.1.110 is already the address of realServers[0]; a target is registered once per target group' },
    ]);
  });

  it('refuses a transparent service with servers outside the VPC, offering proxy protocol v2', () => {
    expect(problemsAfter((s) => (s.services[0].realServers[1].ip = '10.30.1.111'))).toEqual([
      {
        path: 'services[0].realServers[1].ip',
        message:
          '10.30.1.111 is outside the VPC (10.12.0.0/16) but DICOM-Modalities is transparent: AWS preserves the client IP only for targets in the VPC; set transparent: false, optionally with proxyProtocolV2: true',
      },
    ]);
    const fixed = exampleWith((s) => {
      s.services[0].realServers[1].ip = '10.30.1.111';
      s.services[0].transparent = false;
      s.services[0].proxyProtocolV2 = true;
    });
    expect(siteProblems(fixed)).toEqual([]);
    expect(parseSite(fixed).services[0]!.realServers[1]!.onPremises).toBe(true);
  });

  it.each(['8.8.8.8', '172.32.0.5', '127.0.0.1'])('rejects %s, which ELB cannot register', (ip) => {
    expect(problemsAfter((s) => (s.services[1].realServers[1].ip = ip))).toEqual([
      {
        path: 'services[1].realServers[1].ip',
        message: `${ip} cannot be registered with a load balancer: outside the VPC (10.12.0.0/16) only 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 are allowed (no public addresses)`,
      },
    ]);
  });

  it.each(['192.168.10.5', '172.16.4.4', '100.64.0.9', '10.200.0.1'])('accepts the on-premises address %s', (ip) => {
    expect(problemsAfter((s) => (s.services[1].realServers[1].ip = ip))).toEqual([]);
  });

  it('rejects an AWS-reserved address of a listed subnet', () => {
    expect(problemsAfter((s) => (s.services[1].realServers[1].ip = '10.12.2.1'))).toEqual([
      { path: 'services[1].realServers[1].ip', message: '10.12.2.1 in subnet 10.12.2.0/24 is reserved by AWS for the VPC router; no server can have it' },
    ]);
  });

  it('rejects an onPremises flag that contradicts the VPC CIDR, both ways', () => {
    expect(problemsAfter((s) => (s.services[1].realServers[0].onPremises = true))).toEqual([
      {
        path: 'services[1].realServers[0].onPremises',
        message: 'true contradicts 10.12.1.130, which is inside the VPC CIDR 10.12.0.0/16; remove onPremises (it is inferred from the address)',
      },
    ]);
    expect(
      problemsAfter((s) => {
        s.services[1].realServers[0].ip = '192.168.1.5';
        s.services[1].realServers[0].onPremises = false;
      }),
    ).toEqual([
      {
        path: 'services[1].realServers[0].onPremises',
        message: 'false contradicts 192.168.1.5, which is outside the VPC CIDR 10.12.0.0/16; remove onPremises (it is inferred from the address)',
      },
    ]);
    expect(problemsAfter((s) => (s.services[1].realServers[0].onPremises = false))).toEqual([]);
  });

  it('rejects more targets than a cross-zone NLB holds (servers × ports > 500)', () => {
    expect(problemsAfter((s) => (s.services[0].realServers = servers(250)))).toEqual([]);
    expect(problemsAfter((s) => (s.services[0].realServers = servers(251)))).toEqual([
      {
        path: 'services[0].realServers',
        message: '251 real servers × 2 ports = 502 targets; an NLB with cross-zone load balancing holds at most 500 (a target counts once per target group, i.e. per port)',
      },
    ]);
  });
});

describe('health checks', () => {
  it.each([
    [1, 'callingAeTitle', 'MEDLB', 'applies only to protocol dicom, not hl7; remove it'],
    [0, 'messageType', 'QRY^A19', 'applies only to protocol hl7, not dicom; remove it'],
    [0, 'acceptCodes', ['AA'], 'applies only to protocol hl7, not dicom; remove it'],
    [1, 'transaction', 'registry', 'applies only to protocol xds, not hl7; remove it'],
    [0, 'path', '/health', 'applies only to protocol xds or http or https, not dicom; remove it'],
    [2, 'expect', 'Success', 'applies only to protocol http or https, not xds; remove it'],
    [1, 'patientId', 'SENTINEL^^^&1.2.3&ISO', 'applies only to protocol xds, not hl7; remove it'],
  ])('services[%i].healthCheck.%s on the wrong protocol', (service, field, value, message) => {
    expect(problemsAfter((s) => (s.services[service].healthCheck[field] = value))).toEqual([{ path: `services[${service}].healthCheck.${field}`, message }]);
  });

  it('a check timeout that cannot fit the interval is refused, naming the field, the limit and the fix', () => {
    // Interval 10 s: the round needs timeout + 1 000 ms grace + 2 500 ms allowance, so at most 6 500 ms.
    expect(problemsAfter((s) => (s.services[1].healthCheck.timeoutMs = 6_500))).toEqual([]);
    expect(problemsAfter((s) => (s.services[1].healthCheck.timeoutMs = 6_501))).toEqual([
      {
        path: 'services[1].healthCheck.timeoutMs',
        message:
          '6501 ms cannot fit controller.intervalSeconds 10: a round needs the longest check timeout + 1000 ms grace + 2500 ms for ELB writes and state, ' +
          'so the timeout may be at most 6500 ms; lower timeoutMs or raise controller.intervalSeconds to 11',
      },
    ]);
    expect(problemsAfter((s) => ((s.services[1].healthCheck.timeoutMs = 9_000), (s.controller.intervalSeconds = 13)))).toEqual([]);
  });

  it('failback applies to failover services only', () => {
    expect(problemsAfter((s) => ((s.services[1].mode = 'balanced'), (s.services[1].failback = 'manual')))).toEqual([
      { path: 'services[1].failback', message: 'applies only to mode failover, not balanced (a balanced service serves every up server); remove it' },
    ]);
    expect(problemsAfter((s) => ((s.services[1].mode = 'failover'), (s.services[1].failback = 'manual')))).toEqual([]);
  });

  it('tls on http/https says to use the protocol instead', () => {
    expect(problemsAfter((s) => (s.viewer.healthCheck.tls = true))).toEqual([
      { path: 'viewer.healthCheck.tls', message: 'applies only to protocol tcp or dicom or hl7 or xds, not https (http/https choose TLS by protocol: use protocol https); remove it' },
    ]);
  });

  it('insecure needs TLS', () => {
    expect(problemsAfter((s) => (s.services[0].healthCheck.insecure = true))).toEqual([
      { path: 'services[0].healthCheck.insecure', message: 'true skips certificate verification, which needs TLS: set tls: true or use protocol https' },
    ]);
    expect(problemsAfter((s) => Object.assign(s.services[0].healthCheck, { insecure: true, tls: true }))).toEqual([]);
    expect(problemsAfter((s) => (s.viewer.healthCheck.insecure = true))).toEqual([]);
  });

  it('xds sentinels belong to their transaction', () => {
    expect(problemsAfter((s) => (s.services[2].healthCheck.documentUniqueId = '1.2.3.4'))).toEqual([
      { path: 'services[2].healthCheck.documentUniqueId', message: 'applies only to transaction repository, not registry; remove it' },
    ]);
    expect(problemsAfter((s) => (s.services[3].healthCheck.patientId = 'SENTINEL^^^&1.2.3&ISO'))).toEqual([
      { path: 'services[3].healthCheck.patientId', message: 'applies only to transaction registry, not repository; remove it' },
    ]);
    expect(problemsAfter((s) => Object.assign(s.services[3].healthCheck, { documentUniqueId: '1.2.3', repositoryUniqueId: '1.2.4', path: '/xds/iti43' }))).toEqual([]);
  });
});

describe('network', () => {
  it('subnets lie inside the VPC CIDR', () => {
    const problems = problemsAfter((s) => (s.network.existingVpc.subnets[1].cidr = '10.13.2.0/24'));
    expect(problems[0]).toEqual({ path: 'network.existingVpc.subnets[1].cidr', message: '10.13.2.0/24 is not inside the VPC CIDR 10.12.0.0/16' });
  });

  it('subnets do not overlap or repeat', () => {
    expect(
      problemsAfter((s) => {
        s.network.existingVpc.subnets.push({ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', availabilityZone: 'eu-west-2c', cidr: '10.12.1.128/25', routeTableId: 'rtb-0ccccccccccccccc3' });
      }),
    ).toEqual([
      { path: 'network.existingVpc.subnets[2].subnetId', message: 'subnet-0aaaaaaaaaaaaaaa1 is already listed as subnets[0]' },
      { path: 'network.existingVpc.subnets[2].cidr', message: '10.12.1.128/25 overlaps subnets[0] (10.12.1.0/24)' },
    ]);
  });

  it("subnets are in the site's region", () => {
    expect(problemsAfter((s) => (s.network.existingVpc.subnets[1].availabilityZone = 'eu-west-1b'))).toEqual([
      { path: 'network.existingVpc.subnets[1].availabilityZone', message: "eu-west-1b is not in the site's region eu-west-2" },
    ]);
  });
});

describe('ARNs', () => {
  it("the viewer certificate is in the site's region", () => {
    expect(problemsAfter((s) => (s.viewer.certificateArn = 'arn:aws:acm:us-east-1:111122223333:certificate/abc'))).toEqual([
      {
        path: 'viewer.certificateArn',
        message: "arn:aws:acm:us-east-1:111122223333:certificate/abc is in region us-east-1, not the site's region eu-west-2: an ALB uses ACM certificates from its own region",
      },
    ]);
  });

  it("the viewer certificate is in the site's account, when one is pinned", () => {
    expect(problemsAfter((s) => (s.env.account = '444455556666'))).toEqual([
      {
        path: 'viewer.certificateArn',
        message:
          "arn:aws:acm:eu-west-2:111122223333:certificate/00000000-0000-0000-0000-000000000000 belongs to account 111122223333, not the site's account 444455556666: an ALB uses ACM certificates of its own account",
      },
    ]);
    expect(problemsAfter((s) => (s.env.account = '111122223333'))).toEqual([]);
  });

  it("an existing alarm topic is in the site's region", () => {
    expect(problemsAfter((s) => (s.notifications.existingTopicArn = 'arn:aws:sns:eu-west-1:111122223333:pacs-alarms'))).toEqual([
      {
        path: 'notifications.existingTopicArn',
        message: "arn:aws:sns:eu-west-1:111122223333:pacs-alarms is in region eu-west-1, not the site's region eu-west-2: CloudWatch alarms notify topics in their own region",
      },
    ]);
  });
});

describe('the site as a whole', () => {
  it('has something to load-balance', () => {
    expect(
      problemsAfter((s) => {
        s.services = [];
        delete s.viewer;
      }),
    ).toEqual([{ path: 'services', message: 'the site defines no service and no viewer: there is nothing to load-balance' }]);
  });

  it('reports schema and cross-field problems together, in document order', () => {
    const problems = problemsAfter((s) => {
      s.viewer.sslPolicy = 'ELBSecurityPolicy-2016-08';
      s.services[2].vip = '10.12.9.1';
      s.services[0].idleTimeoutSeconds = 'long';
      s.services[0].realServers[1].weight = 7;
      s.services[1].realServers[0].maxConnections = 10;
      s.services[1].healthCheck.calledAeTitle = 'A'.repeat(17);
      s.env.region = 'eu-west-2';
      s.name = '';
    });
    expect(problems.map((p) => p.path)).toEqual([
      'name',
      'services[0].idleTimeoutSeconds',
      'services[0].realServers[1].weight',
      'services[1].healthCheck.calledAeTitle',
      'services[1].realServers[0].maxConnections',
      'services[1].healthCheck.calledAeTitle',
      'services[2].vip',
      'viewer.sslPolicy',
    ]);
  });

  it('crossFieldProblems finds nothing in a parsed example and tolerates garbage', () => {
    expect(crossFieldProblems(parseSite(exampleWith(() => undefined)))).toEqual([]);
    for (const garbage of [null, 42, [], { services: 'x', network: { existingVpc: { subnets: [null, { cidr: 5 }] } }, viewer: [] }]) {
      expect(() => crossFieldProblems(garbage)).not.toThrow();
    }
  });
});

describe('controller API access', () => {
  test('create-endpoints in an existing VPC needs every subnet route table', () => {
    const input = structuredClone(exampleSite) as any;
    delete input.network.existingVpc.subnets[1].routeTableId;
    expect(siteProblems(input)).toEqual([
      {
        path: 'network.existingVpc.subnets[1].routeTableId',
        message:
          'is needed to create the DynamoDB gateway endpoint (controller.awsApiAccess: create-endpoints); give it, or set controller.awsApiAccess to existing-endpoints or nat',
      },
    ]);
    input.controller.awsApiAccess = 'existing-endpoints';
    expect(siteProblems(input)).toEqual([]);
  });
});

describe('health-check CA certificates', () => {
  const withCheck = (check: Record<string, unknown>) => {
    const input = structuredClone(exampleSite) as any;
    input.viewer.healthCheck = { ...input.viewer.healthCheck, ...check };
    return input;
  };
  const PEM_CA = [
    '-----BEGIN CERTIFICATE-----',
    'MIIBdzCCAR2gAwIBAgIUUqsj0u6+2wb0s6cYpkfE2HJzlIIwCgYIKoZIzj0EAwIw',
    '-----END CERTIFICATE-----',
  ].join('\n');

  test('text that is not a PEM certificate is refused with the reason', () => {
    expect(siteProblems(withCheck({ caCertificates: 'not a certificate' }))).toEqual([
      {
        path: 'viewer.healthCheck.caCertificates',
        message: expect.stringContaining('holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)'),
      },
    ]);
    expect(siteProblems(withCheck({ caCertificates: PEM_CA }))).toEqual([
      { path: 'viewer.healthCheck.caCertificates', message: expect.stringMatching(/^certificate 1 does not parse: /) },
    ]);
  });

  test('it needs TLS and contradicts insecure', () => {
    const input = structuredClone(exampleSite) as any;
    input.services[1].healthCheck = { protocol: 'hl7', caCertificates: 'x' };
    expect(siteProblems(input).filter((p) => p.path === 'services[1].healthCheck.caCertificates').map((p) => p.message)).toContain(
      'verify certificates, which needs TLS: set tls: true or use protocol https',
    );
    expect(siteProblems(withCheck({ insecure: true, caCertificates: 'x' })).map((p) => p.message)).toContain(
      'contradicts insecure: true (which skips verification); remove one of them',
    );
  });
});

describe('key material where certificates belong', () => {
  const withCa = (caCertificates: string) => {
    const input = structuredClone(exampleSite) as any;
    input.viewer.healthCheck = { ...input.viewer.healthCheck, caCertificates };
    return input;
  };
  /** The base64 body lines of a PEM private key: none may appear in any message or template. */
  const keyLines = (pem: string) => pem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));

  test.each([
    ['a certificate and its private key (a bundle pasted whole)', (ca: TestCertificate) => `${ca.cert}\n${ca.key}`],
    ['a lone private key', (ca: TestCertificate) => ca.key],
  ])('%s is refused without echoing the key', async (_what, build) => {
    const ca = await testCertificateAuthority();
    const pem = build(ca);
    const problems = siteProblems(withCa(pem));
    expect(problems).toEqual([{ path: 'viewer.healthCheck.caCertificates', message: expect.stringMatching(/^holds a PRIVATE KEY, which must never be given here/) }]);
    const everything = JSON.stringify(problems);
    for (const line of keyLines(ca.key)) expect(everything).not.toContain(line);
    expect(() => parseSite(withCa(pem))).toThrow(/PRIVATE KEY/);
    try {
      parseSite(withCa(pem));
    } catch (error) {
      for (const line of keyLines(ca.key)) expect(String((error as Error).message)).not.toContain(line);
    }
  });

  test('a CA certificate alone is accepted and only it reaches the controller config', async () => {
    const ca = await testCertificateAuthority();
    expect(siteProblems(withCa(ca.cert))).toEqual([]);
    expect(JSON.stringify(parseSite(withCa(ca.cert)))).not.toMatch(/PRIVATE KEY/);
  });
});

/**
 * The lab's ELBv2 endpoint against the REAL SDK client: if the SDK parses its XML, the end-to-end test's
 * assertions are about ELB behaviour and not about an endpoint that only fakes itself.
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { Elbv2Endpoint } from '../../lab/elbv2-endpoint';

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/fake-tg/0123456789abcdef';
const MISSING_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/missing/0123456789abcdef';

describe('lab ELBv2 endpoint with the real SDK client', () => {
  let fake: Elbv2Endpoint;
  let client: ElasticLoadBalancingV2Client;

  beforeEach(async () => {
    fake = await Elbv2Endpoint.start({ host: '127.0.0.1', healthModel: 'describes', drainingDescribes: 2 });
    fake.createTargetGroup(ARN);
    client = new ElasticLoadBalancingV2Client({
      endpoint: fake.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await fake.close();
  });

  it('registers targets, reports initial then healthy, with AZ and reason parsed', async () => {
    await client.send(
      new RegisterTargetsCommand({
        TargetGroupArn: ARN,
        Targets: [
          { Id: '127.0.0.2', Port: 104 },
          { Id: '127.0.0.3', Port: 104, AvailabilityZone: 'us-east-1a' },
        ],
      }),
    );
    const first = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: ARN }));
    expect(first.TargetHealthDescriptions).toEqual([
      expect.objectContaining({
        Target: { Id: '127.0.0.2', Port: 104 },
        HealthCheckPort: '104',
        TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' },
      }),
      expect.objectContaining({
        Target: { Id: '127.0.0.3', Port: 104, AvailabilityZone: 'us-east-1a' },
        TargetHealth: expect.objectContaining({ State: 'initial' }),
      }),
    ]);
    const second = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: ARN }));
    expect(second.TargetHealthDescriptions?.map((d) => d.TargetHealth?.State)).toEqual(['healthy', 'healthy']);
    expect(fake.callsOf('RegisterTargets')[0]?.targets).toEqual([
      { id: '127.0.0.2', port: 104, availabilityZone: undefined },
      { id: '127.0.0.3', port: 104, availabilityZone: 'us-east-1a' },
    ]);
  });

  it('shows a deregistered target as draining for the configured describes, then drops it', async () => {
    fake.seedTarget(ARN, { id: '127.0.0.4', port: 11112 });
    await client.send(new DeregisterTargetsCommand({ TargetGroupArn: ARN, Targets: [{ Id: '127.0.0.4', Port: 11112 }] }));
    const states: (string | undefined)[][] = [];
    for (let i = 0; i < 3; i += 1) {
      const out = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: ARN }));
      states.push((out.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State));
    }
    expect(states).toEqual([['draining'], ['draining'], []]);
  });

  it('reports unused for a named target that is not registered', async () => {
    const out = await client.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: ARN, Targets: [{ Id: '127.0.0.9', Port: 80 }] }),
    );
    expect(out.TargetHealthDescriptions?.[0]?.TargetHealth).toEqual({ State: 'unused', Reason: 'Target.NotRegistered' });
  });

  it('answers a missing target group with the modelled TargetGroupNotFound exception', async () => {
    const error = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: MISSING_ARN })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetGroupNotFoundException);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 400 }, message: 'One or more target groups not found' });
  });

  it('answers injected throttling with Throttling "Rate exceeded" and then serves again', async () => {
    fake.throttleNext(1, 'DescribeTargetHealth');
    const error = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: ARN })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new DescribeTargetHealthCommand({ TargetGroupArn: ARN }))).resolves.toBeDefined();
    expect(fake.callsOf('DescribeTargetHealth').map((c) => c.outcome)).toEqual(['Throttling', 'ok']);
  });

  it('rejects deregistering a target that is not registered with InvalidTarget', async () => {
    const error = await client
      .send(new DeregisterTargetsCommand({ TargetGroupArn: ARN, Targets: [{ Id: '127.0.0.5', Port: 104 }] }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidTargetException', message: expect.stringContaining('not registered') });
  });

  it('lets the SDK retry throttling with its own strategy when the client allows it', async () => {
    const retrying = new ElasticLoadBalancingV2Client({
      endpoint: fake.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 2,
    });
    fake.throttleNext(1);
    try {
      const out = await retrying.send(new DescribeTargetHealthCommand({ TargetGroupArn: ARN }));
      expect(out.$metadata.attempts).toBe(2);
    } finally {
      retrying.destroy();
    }
  });

  describe('target validation against the VPC CIDR, as AWS does it', () => {
    const register = (endpoint: Elbv2Endpoint, Targets: { Id: string; Port: number; AvailabilityZone?: string }[]) => {
      const sdk = new ElasticLoadBalancingV2Client({
        endpoint: endpoint.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        maxAttempts: 1,
      });
      return sdk.send(new RegisterTargetsCommand({ TargetGroupArn: ARN, Targets })).finally(() => sdk.destroy());
    };
    const rejection = (promise: Promise<unknown>) => promise.then(() => 'registered', (e: { name: string; message: string }) => `${e.name}: ${e.message}`);

    it('treats loopback as inside the default VPC: registered without an Availability Zone, refused with all', async () => {
      await expect(register(fake, [{ Id: '127.0.0.8', Port: 104 }])).resolves.toBeDefined();
      expect(await rejection(register(fake, [{ Id: '127.0.0.9', Port: 104, AvailabilityZone: 'all' }]))).toBe(
        "ValidationError: The IP address '127.0.0.9' is within the VPC, and cannot have its Availability Zone overridden to 'all' from 'us-east-1a'",
      );
      expect(fake.registeredIds(ARN)).toEqual(['127.0.0.8']);
    });

    it('requires AvailabilityZone=all and a private address outside the VPC, and rejects the whole call for one bad target', async () => {
      // Nothing here is ever connected to: these are API calls only, no listener uses the group.
      const narrow = await Elbv2Endpoint.start({ host: '127.0.0.1', vpcCidr: '127.0.0.0/24' });
      narrow.createTargetGroup(ARN);
      try {
        expect(await rejection(register(narrow, [{ Id: '127.0.0.20', Port: 104 }, { Id: '192.168.40.7', Port: 104 }]))).toBe(
          "ValidationError: The Availability Zone is required for IP address '192.168.40.7' because it is not in the VPC",
        );
        expect(narrow.registeredIds(ARN)).toEqual([]);
        expect(await rejection(register(narrow, [{ Id: '10.99.0.7', Port: 104, AvailabilityZone: 'us-east-1b' }]))).toBe(
          "ValidationError: Availability Zones for IP address must be all when not within the VPC (IP address '10.99.0.7')",
        );
        expect(await rejection(register(narrow, [{ Id: '127.0.1.5', Port: 104, AvailabilityZone: 'all' }]))).toMatch(
          /^ValidationError: The IP address '127\.0\.1\.5' is outside the VPC and not in a private range/,
        );
        expect(await rejection(register(narrow, [{ Id: 'pacs.example', Port: 104 }]))).toBe(
          "ValidationError: The IP address 'pacs.example' is not a valid IPv4 address",
        );
        for (const Id of ['10.99.0.7', '172.31.4.4', '192.168.40.7', '100.64.0.9']) {
          expect(await rejection(register(narrow, [{ Id, Port: 104, AvailabilityZone: 'all' }]))).toBe('registered');
        }
        expect(narrow.registeredIds(ARN)).toEqual(['10.99.0.7', '100.64.0.9', '172.31.4.4', '192.168.40.7']);
      } finally {
        await narrow.close();
      }
    });

    it('accepts extra private ranges, so a loopback lab can play an on-premises server', async () => {
      const lab = await Elbv2Endpoint.start({ host: '127.0.0.1', vpcCidr: '127.0.0.0/24', extraPrivateCidrs: ['127.0.1.0/24'] });
      lab.createTargetGroup(ARN);
      try {
        expect(await rejection(register(lab, [{ Id: '127.0.1.5', Port: 104 }]))).toMatch(/Availability Zone is required for IP address '127\.0\.1\.5'/);
        expect(await rejection(register(lab, [{ Id: '127.0.1.5', Port: 104, AvailabilityZone: 'all' }]))).toBe('registered');
        expect(await rejection(register(lab, [{ Id: '127.0.2.5', Port: 104, AvailabilityZone: 'all' }]))).toMatch(/not in a private range/);
      } finally {
        await lab.close();
      }
    });

    it('refuses a malformed VPC CIDR at start', async () => {
      await expect(Elbv2Endpoint.start({ vpcCidr: '127.0.0.0/33' })).rejects.toThrow("not an IPv4 CIDR block: '127.0.0.0/33'");
    });
  });
});

/**
 * The fake ELBv2 endpoint against the REAL SDK client: if the SDK parses its XML, the end-to-end test's
 * assertions are about ELB behaviour and not about a fake that only fakes itself.
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { FakeElbv2 } from './fake-elbv2';

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/fake-tg/0123456789abcdef';
const MISSING_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/missing/0123456789abcdef';

describe('fake ELBv2 endpoint with the real SDK client', () => {
  let fake: FakeElbv2;
  let client: ElasticLoadBalancingV2Client;

  beforeEach(async () => {
    fake = await FakeElbv2.start({ host: '127.0.0.1', drainingDescribes: 2 });
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
          { Id: '127.0.0.3', Port: 104, AvailabilityZone: 'all' },
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
        Target: { Id: '127.0.0.3', Port: 104, AvailabilityZone: 'all' },
        TargetHealth: expect.objectContaining({ State: 'initial' }),
      }),
    ]);
    const second = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: ARN }));
    expect(second.TargetHealthDescriptions?.map((d) => d.TargetHealth?.State)).toEqual(['healthy', 'healthy']);
    expect(fake.callsOf('RegisterTargets')[0]?.targets).toEqual([
      { id: '127.0.0.2', port: 104, availabilityZone: undefined },
      { id: '127.0.0.3', port: 104, availabilityZone: 'all' },
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
});

/**
 * The controller's ELBv2 and EC2 adapters against the lab's Query-API endpoints, with the REAL AWS SDK built
 * the way the CLI and the Lambda build it (createElbv2Client / createEc2Client) and pointed at the endpoints
 * through AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 / AWS_ENDPOINT_URL_EC2: batching, the redo after "not
 * registered", the retry budget under throttling and error parsing are all the SDK's and the endpoint's doing,
 * not a mock's.
 */
import { createEc2Client, Ec2InstanceDiscovery } from '../../lambda/adapters/ec2-discovery';
import { createElbv2Client, ElbApiError, Elbv2TargetGroups, TargetGroupNotFoundError } from '../../lambda/adapters/elbv2';
import { Ec2Endpoint } from '../../lab/ec2-endpoint';
import { Elbv2Endpoint } from '../../lab/elbv2-endpoint';

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/adapter/0123456789abcdef';
const ENV_KEYS = ['AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2', 'AWS_ENDPOINT_URL_EC2', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let elbEndpoint: Elbv2Endpoint;
let ec2Endpoint: Ec2Endpoint;

beforeAll(async () => {
  // 127.0.0.0/24 is the VPC, so an address beyond it plays an on-premises server (never connected to here).
  elbEndpoint = await Elbv2Endpoint.start({ host: '127.0.0.1', vpcCidr: '127.0.0.0/24' });
  ec2Endpoint = await Ec2Endpoint.start({ host: '127.0.0.1', pageSize: 5 });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: elbEndpoint.endpoint,
    AWS_ENDPOINT_URL_EC2: ec2Endpoint.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDLAB',
    AWS_SECRET_ACCESS_KEY: 'lab-secret',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
});

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await elbEndpoint.close();
  await ec2Endpoint.close();
});

beforeEach(() => {
  elbEndpoint.createTargetGroup(ARN);
  elbEndpoint.clearCalls();
});

/** An adapter over the SDK client the CLI builds; backoff waits are recorded instead of slept. */
function adapter(retry: { maxAttempts?: number; retryBudgetMs?: number } = {}) {
  const waits: number[] = [];
  const client = createElbv2Client();
  const elb = new Elbv2TargetGroups({
    client,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    ...retry,
  });
  return { elb, waits, destroy: () => client.destroy() };
}

const loopbackTargets = (count: number, port = 104) => Array.from({ length: count }, (_, i) => ({ ip: `127.0.0.${i + 10}`, port }));

describe('ELBv2 adapter on the lab endpoint (real SDK through AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2)', () => {
  it('registers and deregisters in batches of 20 per call', async () => {
    const { elb, destroy } = adapter();
    try {
      await elb.registerTargets(ARN, loopbackTargets(45));
      expect(elbEndpoint.callsOf('RegisterTargets').map((c) => c.targets.length)).toEqual([20, 20, 5]);
      expect(elbEndpoint.registeredIds(ARN)).toHaveLength(45);
      await elb.deregisterTargets(ARN, loopbackTargets(45).slice(0, 21));
      expect(elbEndpoint.callsOf('DeregisterTargets').map((c) => c.targets.length)).toEqual([20, 1]);
      expect(elbEndpoint.registeredIds(ARN)).toHaveLength(24);
      expect(elb.callCounts).toEqual({ writeCalls: 5, describeCalls: 0, failedCalls: 0, throttledCalls: 0 });
    } finally {
      destroy();
    }
  });

  it('redoes a batch one by one after "not registered", so the other targets still leave', async () => {
    const { elb, destroy } = adapter();
    try {
      await elb.registerTargets(ARN, loopbackTargets(2));
      elbEndpoint.clearCalls();
      await elb.deregisterTargets(ARN, [...loopbackTargets(2), { ip: '127.0.0.99', port: 104 }]);
      expect(elbEndpoint.callsOf('DeregisterTargets').map((c) => `${c.targets.map((t) => t.id).join(',')} ${c.outcome}`)).toEqual([
        '127.0.0.10,127.0.0.11,127.0.0.99 InvalidTarget',
        '127.0.0.10 ok',
        '127.0.0.11 ok',
        '127.0.0.99 InvalidTarget',
      ]);
      expect(elbEndpoint.targets(ARN).map((t) => `${t.id} ${t.state}`)).toEqual(['127.0.0.10 draining', '127.0.0.11 draining']);
      // The benign "not registered" answers are not counted as failures.
      expect(elb.callCounts.failedCalls).toBe(0);
    } finally {
      destroy();
    }
  });

  it('retries throttling with backoff within its attempts, then surfaces Throttling as parsed by the SDK', async () => {
    const { elb, waits, destroy } = adapter({ maxAttempts: 4 });
    try {
      elbEndpoint.throttleNext(2, 'DescribeTargetHealth');
      await expect(elb.describeTargets(ARN)).resolves.toEqual([]);
      expect(waits).toEqual([50, 100]);
      elbEndpoint.throttleNext(4, 'RegisterTargets');
      const error = await elb.registerTargets(ARN, loopbackTargets(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ElbApiError);
      expect(error).toMatchObject({ operation: 'RegisterTargets', code: 'Throttling', message: expect.stringContaining('Rate exceeded') });
      expect(elbEndpoint.callsOf('RegisterTargets').map((c) => c.outcome)).toEqual(['Throttling', 'Throttling', 'Throttling', 'Throttling']);
      expect(elb.callCounts).toMatchObject({ failedCalls: 6, throttledCalls: 6 });
    } finally {
      destroy();
    }
  });

  it('stops retrying when the next backoff would exceed the retry budget', async () => {
    const { elb, waits, destroy } = adapter({ maxAttempts: 10, retryBudgetMs: 120 });
    try {
      elbEndpoint.throttleNext(2, 'DescribeTargetHealth');
      await expect(elb.describeTargets(ARN)).rejects.toMatchObject({ code: 'Throttling' });
      // Waits 50 and 100 would total 150 > 120: one wait, two attempts.
      expect(waits).toEqual([50]);
      expect(elbEndpoint.callsOf('DescribeTargetHealth')).toHaveLength(2);
    } finally {
      destroy();
    }
  });

  it('parses errors through the SDK: a missing group is typed, an out-of-VPC IP without AvailabilityZone=all is refused once, unretried', async () => {
    const { elb, destroy } = adapter();
    try {
      const missing = await elb.describeTargets(`${ARN}-gone`).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(TargetGroupNotFoundError);

      const onPremises = { ip: '10.40.1.7', port: 104 };
      const refused = await elb.registerTargets(ARN, [{ ip: '127.0.0.10', port: 104 }, onPremises]).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ElbApiError);
      expect(refused).toMatchObject({
        code: 'ValidationError',
        message: expect.stringContaining("The Availability Zone is required for IP address '10.40.1.7' because it is not in the VPC"),
      });
      expect(elbEndpoint.callsOf('RegisterTargets')).toHaveLength(1);
      expect(elbEndpoint.registeredIds(ARN)).toEqual([]);

      await elb.registerTargets(ARN, [{ ip: '127.0.0.10', port: 104 }, { ...onPremises, availabilityZone: 'all' }]);
      expect(elbEndpoint.targets(ARN).map((t) => `${t.id} ${t.availabilityZone ?? '-'}`)).toEqual(['127.0.0.10 -', '10.40.1.7 all']);
      const observed = await elb.describeTargets(ARN);
      // No listener uses the group: AWS reports its targets unused and checks nothing.
      expect(observed).toEqual([
        { ip: '127.0.0.10', port: 104, state: 'unused', reason: 'Target.NotInUse' },
        { ip: '10.40.1.7', port: 104, state: 'unused', reason: 'Target.NotInUse' },
      ]);
    } finally {
      destroy();
    }
  });
});

describe('EC2 discovery adapter on the lab endpoint (real SDK through AWS_ENDPOINT_URL_EC2)', () => {
  it('follows every page and retries a throttled page', async () => {
    for (let n = 1; n <= 12; n += 1) {
      ec2Endpoint.putInstance({ instanceId: `i-0${n.toString(16).padStart(16, '0')}`, privateIp: `127.0.2.${n}`, tags: { Role: 'pacs' } });
    }
    const client = createEc2Client();
    try {
      const discovery = new Ec2InstanceDiscovery({ client, pageSize: 5, sleep: async () => undefined });
      ec2Endpoint.throttleNext(1);
      const found = await discovery.describeInstances({ tags: { Role: ['pacs'] } });
      expect(found.map((i) => i.privateIp)).toHaveLength(12);
      expect(discovery.callCounts).toEqual({ describeCalls: 4, failedCalls: 1, throttledCalls: 1 });
      expect(ec2Endpoint.calls.filter((c) => c.outcome === 'ok').map((c) => c.params.MaxResults)).toEqual(['5', '5', '5']);
    } finally {
      client.destroy();
    }
  });
});

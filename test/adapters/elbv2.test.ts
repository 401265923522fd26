import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  InvalidTargetException,
  RegisterTargetsCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createElbv2Client, ElbApiError, Elbv2TargetGroups, TargetGroupNotFoundError } from '../../lambda/adapters/elbv2';
import type { TargetRef } from '../../lambda/reconcile/ports';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/dicom-104/0123456789abcdef';
const meta = { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 };

function throttling(): ElasticLoadBalancingV2ServiceException {
  return new ElasticLoadBalancingV2ServiceException({ name: 'Throttling', message: 'Rate exceeded', $fault: 'client', $metadata: meta });
}

function targets(count: number, availabilityZone?: string): TargetRef[] {
  return Array.from({ length: count }, (_, i) => ({ ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 104, availabilityZone }));
}

describe('Elbv2TargetGroups', () => {
  const elb = mockClient(ElasticLoadBalancingV2Client);
  const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
  const delays: number[] = [];
  const make = (props: Partial<ConstructorParameters<typeof Elbv2TargetGroups>[0]> = {}) =>
    new Elbv2TargetGroups({
      client,
      sleep: async (ms) => {
        delays.push(ms);
      },
      random: () => 0.5,
      ...props,
    });

  beforeEach(() => {
    elb.reset();
    delays.length = 0;
  });

  it('maps DescribeTargetHealth, draining states included, from one call', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.0.1', Port: 104 }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: '10.0.0.2', Port: 104 }, TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' } },
        { Target: { Id: '10.0.0.3', Port: 104 }, TargetHealth: { State: 'unhealthy.draining', Reason: 'Target.FailedHealthChecks' } },
        { Target: { Id: '10.0.0.4', Port: 104 }, TargetHealth: { State: 'initial' } },
        { Target: { Id: '10.0.0.5', Port: 104 }, TargetHealth: { State: 'some-future-state' as never } },
        { Target: { Id: '10.0.0.6' }, TargetHealth: { State: 'healthy' } },
      ],
    });
    const adapter = make();
    await expect(adapter.describeTargets(ARN)).resolves.toEqual([
      { ip: '10.0.0.1', port: 104, state: 'healthy' },
      { ip: '10.0.0.2', port: 104, state: 'draining', reason: 'Target.DeregistrationInProgress' },
      { ip: '10.0.0.3', port: 104, state: 'unhealthy.draining', reason: 'Target.FailedHealthChecks' },
      { ip: '10.0.0.4', port: 104, state: 'initial' },
      { ip: '10.0.0.5', port: 104, state: 'unavailable' },
    ]);
    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
    expect(elb).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: ARN });
    expect(adapter.callCounts).toEqual({ writeCalls: 0, describeCalls: 1, failedCalls: 0, throttledCalls: 0 });
  });

  it('registers in batches of 20 and passes AvailabilityZone=all through', async () => {
    elb.on(RegisterTargetsCommand).resolves({});
    const adapter = make();
    await adapter.registerTargets(ARN, targets(45, 'all'));
    const calls = elb.commandCalls(RegisterTargetsCommand);
    expect(calls.map((c) => c.args[0].input.Targets?.length)).toEqual([20, 20, 5]);
    expect(calls[0]!.args[0].input.Targets?.[0]).toEqual({ Id: '10.1.0.1', Port: 104, AvailabilityZone: 'all' });
    expect(calls.flatMap((c) => c.args[0].input.Targets ?? []).map((t) => t.Id)).toEqual(targets(45).map((t) => t.ip));
    expect(adapter.callCounts.writeCalls).toBe(3);
  });

  it('omits AvailabilityZone for targets inside the VPC and honours a custom batch size', async () => {
    elb.on(DeregisterTargetsCommand).resolves({});
    await make({ batchSize: 2 }).deregisterTargets(ARN, targets(3));
    const calls = elb.commandCalls(DeregisterTargetsCommand);
    expect(calls.map((c) => c.args[0].input.Targets)).toEqual([
      [
        { Id: '10.1.0.1', Port: 104 },
        { Id: '10.1.0.2', Port: 104 },
      ],
      [{ Id: '10.1.0.3', Port: 104 }],
    ]);
  });

  it('makes no call for an empty target list', async () => {
    const adapter = make();
    await adapter.registerTargets(ARN, []);
    await adapter.deregisterTargets(ARN, []);
    expect(elb.calls()).toHaveLength(0);
  });

  it('retries throttling with growing jittered backoff, then succeeds, counting the failures', async () => {
    elb.on(RegisterTargetsCommand).rejectsOnce(throttling()).rejectsOnce(throttling()).resolves({});
    const adapter = make({ baseDelayMs: 100 });
    await adapter.registerTargets(ARN, targets(1));
    expect(elb).toHaveReceivedCommandTimes(RegisterTargetsCommand, 3);
    expect(delays).toEqual([50, 100]); // random 0.5 × 100·2^(n-1)
    expect(adapter.callCounts).toEqual({ writeCalls: 3, describeCalls: 0, failedCalls: 2, throttledCalls: 2 });
  });

  it('recognises ThrottlingException and "Rate exceeded" messages as throttling', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .rejectsOnce(new ElasticLoadBalancingV2ServiceException({ name: 'ThrottlingException', message: 'x', $fault: 'client', $metadata: meta }))
      .rejectsOnce(new ElasticLoadBalancingV2ServiceException({ name: 'SomethingElse', message: 'Rate exceeded', $fault: 'client', $metadata: meta }))
      .resolves({ TargetHealthDescriptions: [] });
    const adapter = make();
    await expect(adapter.describeTargets(ARN)).resolves.toEqual([]);
    expect(adapter.callCounts.throttledCalls).toBe(2);
  });

  it('gives up after maxAttempts with a typed ElbApiError carrying the code', async () => {
    elb.on(RegisterTargetsCommand).rejects(throttling());
    const adapter = make({ maxAttempts: 3 });
    const error = await adapter.registerTargets(ARN, targets(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElbApiError);
    expect(error).toMatchObject({ code: 'Throttling', operation: 'RegisterTargets', targetGroupArn: ARN });
    expect(elb).toHaveReceivedCommandTimes(RegisterTargetsCommand, 3);
    expect(adapter.callCounts.failedCalls).toBe(3);
  });

  it('gives up when the retry time budget would be exceeded', async () => {
    elb.on(DescribeTargetHealthCommand).rejects(throttling());
    const adapter = make({ maxAttempts: 100, baseDelayMs: 1000, maxDelayMs: 1000, retryBudgetMs: 1600, random: () => 0.99 });
    await expect(adapter.describeTargets(ARN)).rejects.toBeInstanceOf(ElbApiError);
    expect(delays).toEqual([990]);
    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2);
  });

  it('surfaces a missing target group as TargetGroupNotFoundError without retrying', async () => {
    elb.on(DescribeTargetHealthCommand).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: meta }));
    const adapter = make();
    const error = await adapter.describeTargets(ARN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetGroupNotFoundError);
    expect(error).toBeInstanceOf(ElbApiError);
    expect(error).toMatchObject({ code: 'TargetGroupNotFound', targetGroupArn: ARN });
    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
    expect(adapter.callCounts).toMatchObject({ describeCalls: 1, failedCalls: 1 });
  });

  it('does not retry a non-transient client error', async () => {
    elb.on(RegisterTargetsCommand).rejects(new InvalidTargetException({ message: 'The following targets are not in a valid IP range: 8.8.8.8', $metadata: meta }));
    const adapter = make();
    await expect(adapter.registerTargets(ARN, targets(1))).rejects.toMatchObject({ code: 'InvalidTargetException' });
    expect(elb).toHaveReceivedCommandTimes(RegisterTargetsCommand, 1);
  });

  it('retries a server fault', async () => {
    elb
      .on(DeregisterTargetsCommand)
      .rejectsOnce(new ElasticLoadBalancingV2ServiceException({ name: 'InternalFailure', message: 'oops', $fault: 'server', $metadata: { httpStatusCode: 500 } }))
      .resolves({});
    await make().deregisterTargets(ARN, targets(1));
    expect(elb).toHaveReceivedCommandTimes(DeregisterTargetsCommand, 2);
  });

  it('tolerates "not registered" on deregister: the batch is redone one by one and the others still leave', async () => {
    const notRegistered = new InvalidTargetException({ message: "The following targets are not registered: '10.1.0.2'", $metadata: meta });
    elb
      .on(DeregisterTargetsCommand)
      .rejectsOnce(notRegistered)
      .resolves({})
      .on(DeregisterTargetsCommand, { Targets: [{ Id: '10.1.0.2', Port: 104 }] })
      .rejects(notRegistered);
    const adapter = make();
    await expect(adapter.deregisterTargets(ARN, targets(3))).resolves.toBeUndefined();
    const sent = elb.commandCalls(DeregisterTargetsCommand).map((c) => (c.args[0].input.Targets ?? []).map((t) => t.Id));
    expect(sent).toEqual([['10.1.0.1', '10.1.0.2', '10.1.0.3'], ['10.1.0.1'], ['10.1.0.2'], ['10.1.0.3']]);
    expect(adapter.callCounts).toMatchObject({ writeCalls: 4, failedCalls: 0 });
  });

  it('tolerates "already registered" on register', async () => {
    elb.on(RegisterTargetsCommand).rejects(new InvalidTargetException({ message: 'Target 10.1.0.1 is already registered', $metadata: meta }));
    await expect(make().registerTargets(ARN, targets(1))).resolves.toBeUndefined();
  });

  it('builds a client from the environment with the region and no SDK retries of its own', async () => {
    const built = createElbv2Client({ AWS_REGION: 'eu-west-2' });
    await expect(built.config.region()).resolves.toBe('eu-west-2');
    await expect(built.config.maxAttempts()).resolves.toBe(1);
  });

  it('rejects a nonsensical batch size at construction', () => {
    expect(() => make({ batchSize: 0 })).toThrow(/batchSize/);
  });
});

import { DescribeInstancesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createEc2Client, discoveryFilters, Ec2DiscoveryError, Ec2InstanceDiscovery } from '../../lambda/adapters/ec2-discovery';

const meta = (httpStatusCode: number) => ({ httpStatusCode, attempts: 1, totalRetryDelay: 0 });
const limitExceeded = () => new EC2ServiceException({ name: 'RequestLimitExceeded', message: 'Request limit exceeded.', $fault: 'client', $metadata: meta(503) });
const unauthorized = () => new EC2ServiceException({ name: 'UnauthorizedOperation', message: 'You are not authorized', $fault: 'client', $metadata: meta(403) });

function instance(id: string, ip: string | undefined, name?: string) {
  return {
    InstanceId: id,
    ...(ip ? { PrivateIpAddress: ip } : {}),
    Placement: { AvailabilityZone: 'eu-west-2a' },
    State: { Name: 'running' as const },
    Tags: [{ Key: 'Role', Value: 'pacs' }, ...(name ? [{ Key: 'Name', Value: name }] : [])],
  };
}

describe('Ec2InstanceDiscovery', () => {
  const ec2 = mockClient(EC2Client);
  const client = new EC2Client({ region: 'eu-west-2' });
  const delays: number[] = [];
  const make = (props: Partial<ConstructorParameters<typeof Ec2InstanceDiscovery>[0]> = {}) =>
    new Ec2InstanceDiscovery({ client, sleep: async (ms) => void delays.push(ms), random: () => 0.5, ...props });

  beforeEach(() => {
    ec2.reset();
    delays.length = 0;
  });

  it('filters server-side exactly: tags, vpc, subnets, zones and running; ids as a FILTER in a second query, never InstanceIds', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await make().describeInstances({
      tags: { Role: ['pacs-dicom', 'pacs'], Site: ['leeds'] },
      instanceIds: ['i-0123456789abcdef0'],
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0'],
      availabilityZones: ['eu-west-2a', 'eu-west-2b'],
    });
    const scope = [
      { Name: 'instance-state-name', Values: ['running'] },
      { Name: 'vpc-id', Values: ['vpc-0123456789abcdef0'] },
      { Name: 'subnet-id', Values: ['subnet-0123456789abcdef0'] },
      { Name: 'availability-zone', Values: ['eu-west-2a', 'eu-west-2b'] },
    ];
    const inputs = ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs).toContainEqual({ Filters: [{ Name: 'instance-id', Values: ['i-0123456789abcdef0'] }, ...scope], MaxResults: 1000 });
    expect(inputs).toContainEqual({
      Filters: [{ Name: 'tag:Role', Values: ['pacs-dicom', 'pacs'] }, { Name: 'tag:Site', Values: ['leeds'] }, ...scope],
      MaxResults: 1000,
    });
    for (const input of inputs) expect(input.InstanceIds).toBeUndefined();
  });

  it('a tags-only selector is one query; the scope filters are left out when not given', () => {
    expect(discoveryFilters({ tags: { Role: ['pacs'] } })).toEqual({
      byId: undefined,
      byTags: [{ Name: 'tag:Role', Values: ['pacs'] }, { Name: 'instance-state-name', Values: ['running'] }],
    });
  });

  it('follows NextToken, maps id / Name tag / private IP / zone, unites both queries (listed wins) and drops address-less instances', async () => {
    ec2
      .on(DescribeInstancesCommand, { Filters: [{ Name: 'tag:Role', Values: ['pacs'] }, { Name: 'instance-state-name', Values: ['running'] }], MaxResults: 1000 })
      .resolves({ Reservations: [{ Instances: [instance('i-0000000a', '10.0.1.10', 'PACS1'), instance('i-0000000b', '10.0.1.11')] }], NextToken: 'page-2' })
      .on(DescribeInstancesCommand, { NextToken: 'page-2' })
      .resolves({ Reservations: [{ Instances: [instance('i-0000000c', '10.0.1.12', 'PACS3'), instance('i-0000000d', undefined, 'NO-IP')] }] })
      .on(DescribeInstancesCommand, { Filters: [{ Name: 'instance-id', Values: ['i-0000000a'] }, { Name: 'instance-state-name', Values: ['running'] }] })
      .resolves({ Reservations: [{ Instances: [instance('i-0000000a', '10.0.1.10', 'PACS1')] }] });
    const found = await make().describeInstances({ tags: { Role: ['pacs'] }, instanceIds: ['i-0000000a'] });
    expect(found).toEqual([
      { instanceId: 'i-0000000a', name: 'PACS1', privateIp: '10.0.1.10', availabilityZone: 'eu-west-2a', matchedById: true },
      { instanceId: 'i-0000000b', privateIp: '10.0.1.11', availabilityZone: 'eu-west-2a', matchedById: false },
      { instanceId: 'i-0000000c', name: 'PACS3', privateIp: '10.0.1.12', availabilityZone: 'eu-west-2a', matchedById: false },
    ]);
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 3);
  });

  it('retries RequestLimitExceeded with exponential backoff and counts every attempt', async () => {
    ec2.on(DescribeInstancesCommand).rejectsOnce(limitExceeded()).rejectsOnce(limitExceeded()).resolves({ Reservations: [{ Instances: [instance('i-0000000a', '10.0.1.10')] }] });
    const discovery = make();
    expect(await discovery.describeInstances({ instanceIds: ['i-0000000a'] })).toHaveLength(1);
    expect(delays).toEqual([50, 100]);
    expect(discovery.callCounts).toEqual({ describeCalls: 3, failedCalls: 2, throttledCalls: 2 });
  });

  it('throttling is bounded: attempts and backoff budget, then a typed error', async () => {
    ec2.on(DescribeInstancesCommand).rejects(limitExceeded());
    const error = await make({ maxAttempts: 4 }).describeInstances({ instanceIds: ['i-0000000a'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Ec2DiscoveryError);
    expect(error).toMatchObject({ code: 'RequestLimitExceeded', attempts: 4 });
    expect(delays).toEqual([50, 100, 200]);

    delays.length = 0;
    const budget = await make({ retryBudgetMs: 120 }).describeInstances({ instanceIds: ['i-0000000a'] }).catch((e: unknown) => e);
    expect(budget).toMatchObject({ code: 'RequestLimitExceeded', attempts: 2 }); // 50 ms spent; the next 100 ms would pass 120
    expect(delays).toEqual([50]);
  });

  it('does not retry an error that retrying cannot fix (UnauthorizedOperation)', async () => {
    ec2.on(DescribeInstancesCommand).rejects(unauthorized());
    const error = await make().describeInstances({ tags: { Role: ['pacs'] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Ec2DiscoveryError);
    expect((error as Error).message).toBe('DescribeInstances: UnauthorizedOperation: You are not authorized');
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
  });

  it('a NextToken that never ends is an error, not an endless loop', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [], NextToken: 'again' });
    await expect(make({ maxPages: 3 }).describeInstances({ tags: { Role: ['pacs'] } })).rejects.toMatchObject({ code: 'TooManyPages' });
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 3);
  });

  it('rejects a page size outside DescribeInstances limits; the default client leaves retries to the adapter', async () => {
    expect(() => make({ pageSize: 2 })).toThrow(/pageSize must be an integer from 5 to 1000/);
    const built = createEc2Client({ AWS_REGION: 'eu-west-2' });
    expect(await built.config.region()).toBe('eu-west-2');
    expect(await built.config.maxAttempts()).toBe(1);
    built.destroy();
  });
});

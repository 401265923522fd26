/**
 * The lab's EC2 endpoint against the REAL SDK client (it must parse the Query API XML and error envelope),
 * and the discovery adapter through it: filters, pagination, purged ids, throttling.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Ec2DiscoveryError, Ec2InstanceDiscovery } from '../../lambda/adapters/ec2-discovery';
import { Ec2Endpoint } from '../../lab/ec2-endpoint';

let fake: Ec2Endpoint;
let client: EC2Client;

beforeAll(async () => {
  fake = await Ec2Endpoint.start({ host: '127.0.0.1', pageSize: 5 });
  client = new EC2Client({ region: 'us-east-1', endpoint: fake.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, maxAttempts: 1 });
  for (let n = 1; n <= 12; n += 1) {
    const id = `i-0${n.toString(16).padStart(16, '0')}`;
    fake.putInstance({ instanceId: id, privateIp: `127.0.1.${n}`, tags: { Role: n <= 8 ? 'pacs' : 'ris', Name: `S${n}` }, availabilityZone: n % 2 ? 'us-east-1a' : 'us-east-1b' });
  }
  fake.instance('i-00000000000000003').state = 'stopped';
});

afterAll(async () => {
  client.destroy();
  await fake.close();
});

beforeEach(() => {
  fake.calls.length = 0;
});

const noSleep = async () => {};

describe('fake EC2 with the real SDK', () => {
  it('answers DescribeInstances in XML the SDK parses: ids, addresses, zones, tags, state, nextToken', async () => {
    const out = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Role', Values: ['ris'] }], MaxResults: 5 }));
    const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(instances.map((i) => [i.InstanceId, i.PrivateIpAddress, i.Placement?.AvailabilityZone, i.State?.Name])).toEqual([
      ['i-00000000000000009', '127.0.1.9', 'us-east-1a', 'running'],
      ['i-0000000000000000a', '127.0.1.10', 'us-east-1b', 'running'],
      ['i-0000000000000000b', '127.0.1.11', 'us-east-1a', 'running'],
      ['i-0000000000000000c', '127.0.1.12', 'us-east-1b', 'running'],
    ]);
    expect(instances[0]!.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: 'S9' }, { Key: 'Role', Value: 'ris' }]));
    expect(out.NextToken).toBeUndefined();
  });

  it('fails the InstanceIds parameter outright for an unknown id (why discovery uses the instance-id filter)', async () => {
    await expect(client.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000001', 'i-0ffffffffffffffff'] }))).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
    });
  });

  it('error envelope: RequestLimitExceeded reaches the SDK as its code with HTTP 503', async () => {
    fake.throttleNext(1);
    await expect(client.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
  });
});

describe('Ec2InstanceDiscovery through the fake', () => {
  it('follows NextToken across pages, keeps running instances only and unites tags with listed ids', async () => {
    const discovery = new Ec2InstanceDiscovery({ client, sleep: noSleep });
    const found = await discovery.describeInstances({ tags: { Role: ['pacs'] }, instanceIds: ['i-0000000000000000c', 'i-0eeeeeeeeeeeeeeee'], vpcId: 'vpc-0fake0000000000000' });
    expect(found.map((i) => i.instanceId).sort()).toEqual(
      ['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000004', 'i-00000000000000005', 'i-00000000000000006', 'i-00000000000000007', 'i-00000000000000008', 'i-0000000000000000c'].sort(),
    );
    expect(found.find((i) => i.instanceId === 'i-0000000000000000c')).toEqual({
      instanceId: 'i-0000000000000000c',
      name: 'S12',
      privateIp: '127.0.1.12',
      availabilityZone: 'us-east-1b',
      matchedById: true,
    });
    // 7 running pacs instances at 5 per page = 2 pages, plus the id query; never the InstanceId.N parameter.
    expect(fake.calls).toHaveLength(3);
    expect(fake.calls.every((c) => !Object.keys(c.params).some((k) => k.startsWith('InstanceId')))).toBe(true);
    expect(fake.calls.filter((c) => c.params.NextToken !== undefined)).toHaveLength(1);
    expect(fake.calls.map((c) => c.filters['instance-state-name'])).toEqual([['running'], ['running'], ['running']]);
  });

  it('narrows by zone and subnet server-side', async () => {
    const discovery = new Ec2InstanceDiscovery({ client, sleep: noSleep });
    const found = await discovery.describeInstances({ tags: { Role: ['pacs', 'ris'] }, availabilityZones: ['us-east-1b'], subnetIds: ['subnet-0fake000000000000'] });
    expect(found.map((i) => i.name)).toEqual(['S2', 'S4', 'S6', 'S8', 'S10', 'S12']);
    expect(fake.calls[0]!.filters).toEqual({
      'tag:Role': ['pacs', 'ris'],
      'instance-state-name': ['running'],
      'subnet-id': ['subnet-0fake000000000000'],
      'availability-zone': ['us-east-1b'],
    });
  });

  it('retries RequestLimitExceeded with backoff and surfaces a typed error when it persists', async () => {
    const sleeps: number[] = [];
    const discovery = new Ec2InstanceDiscovery({ client, maxAttempts: 3, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });
    fake.throttleNext(2);
    expect(await discovery.describeInstances({ instanceIds: ['i-00000000000000001'] })).toHaveLength(1);
    expect(sleeps).toEqual([50, 100]);
    expect(discovery.callCounts).toEqual({ describeCalls: 3, failedCalls: 2, throttledCalls: 2 });

    fake.throttleNext(3);
    const error = await discovery.describeInstances({ instanceIds: ['i-00000000000000001'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Ec2DiscoveryError);
    expect(error).toMatchObject({ code: 'RequestLimitExceeded', attempts: 3 });
  });
});

/**
 * `--stack <name>`: the controller commands find the state table through the stack's outputs and read the
 * config the deploy wrote into it. AWS is mocked with aws-sdk-client-mock; the commands run in-process.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { run as runOverride } from '../../lambda/cli/override';
import { run as runReconcile } from '../../lambda/cli/reconcile';

const TABLE = 'medlb-site-StateTable-ABC';
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pacs/0123456789abcdef';
const CONFIG = {
  version: 1,
  services: [
    {
      name: 'PACS',
      mode: 'balanced',
      rise: 1,
      fall: 1,
      // Nothing listens on this loopback address: the probe is refused at once.
      check: { protocol: 'tcp', port: 9, timeoutMs: 300 },
      targetGroups: [{ arn: ARN, port: 104 }],
      targets: [{ name: 'P1', ip: '127.0.0.71' }],
    },
  ],
};

describe('controller commands with --stack', () => {
  const cfn = mockClient(CloudFormationClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  const elb = mockClient(ElasticLoadBalancingV2Client);
  const sts = mockClient(STSClient);
  let stdout: string;
  let stderr: string;
  let spies: jest.SpyInstance[];

  beforeEach(() => {
    cfn.reset();
    ddb.reset();
    elb.reset();
    sts.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::111122223333:assumed-role/medlb-operator/alice', Account: '111122223333', UserId: 'AROA:alice' });
    stdout = '';
    stderr = '';
    spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)),
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)),
    ];
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'medlb-site',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'ControllerFunctionName', OutputValue: 'medlb-site-Controller' },
            { OutputKey: 'StateTableName', OutputValue: TABLE },
          ],
        },
      ],
    });
    ddb.on(GetCommand).resolves({ Item: { pk: 'CONFIG', sk: 'v1', document: JSON.stringify(CONFIG) } });
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
  });

  afterEach(() => spies.forEach((s) => s.mockRestore()));

  it('records an override in the stack’s state table, config read from the table', async () => {
    // P1 is the service's only server: draining it needs --force.
    const code = await runOverride(['drain', 'PACS/P1', '--stack', 'medlb-site', '--reason', 'patching', '--force']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'medlb-site' });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { pk: 'CONFIG', sk: 'v1' }, ConsistentRead: true });
    const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ TableName: TABLE, Item: expect.objectContaining({ sk: 'OVERRIDE#PACS#P1', action: 'drain', reason: 'patching' }) }),
        // The audit record carries the principal STS verified.
        expect.objectContaining({
          TableName: TABLE,
          Item: expect.objectContaining({ pk: 'AUDIT#PACS', action: 'drain', principal: 'arn:aws:sts::111122223333:assumed-role/medlb-operator/alice', identity: 'verified', configVersion: expect.stringMatching(/^[0-9a-f]{12}$/) }),
        }),
      ]),
    );
    expect(JSON.parse(stdout)).toMatchObject({ action: 'drain', service: 'PACS', target: 'P1', changed: true });
  });

  it('runs a round against the stack: describe once, state saved in the table', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    elb.on(RegisterTargetsCommand).resolves({});
    const code = await runReconcile(['--stack', 'medlb-site']);
    expect(code).toBe(0);
    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
    expect(elb).not.toHaveReceivedCommand(RegisterTargetsCommand);
    const summary = JSON.parse(stdout);
    expect(summary.services[0]).toMatchObject({ name: 'PACS', ok: true, targets: [expect.objectContaining({ name: 'P1', up: false })] });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, { TableName: TABLE, Item: expect.objectContaining({ sk: 'HEALTH#PACS' }) });
  });

  it('exits 2 when the stack has no state-table output', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'other', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
    const code = await runOverride(['online', 'PACS/P1', '--stack', 'other']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/stack other has no output StateTableName/);
    expect(stdout).toBe('');
  });

  it('exits 2 when --stack is combined with --config', async () => {
    const code = await runReconcile(['--stack', 'medlb-site', '--config', 'c.json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--stack replaces --config/);
    expect(cfn).not.toHaveReceivedCommand(DescribeStacksCommand);
  });

  it('exits 2 for an unknown target, naming it', async () => {
    const code = await runOverride(['halt', 'PACS/P9', '--stack', 'medlb-site', '--reason', 'smoke']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown target 'P9' in service 'PACS'; did you mean 'P1'\? \(known: P1\)/);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });
});

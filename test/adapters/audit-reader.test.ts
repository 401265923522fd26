import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AuditRecordError, readDynamoDbAudit } from '../../lambda/adapters/audit-reader';

const TABLE = 'medlb-state';
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => ddb.reset());

const item = (service: string, target: string, when: string, extra: Record<string, unknown> = {}) => ({
  pk: `AUDIT#${encodeURIComponent(service)}`,
  sk: `${when}#${encodeURIComponent(target)}#0a0b0c0d`,
  who: 'alice',
  when,
  action: 'drain',
  service,
  target,
  expiresAt: 1,
  ...extra,
});

describe('readDynamoDbAudit', () => {
  test('queries each service partition with the time range as a key condition, follows pages, merges in time order without storage keys', async () => {
    const pages: Record<string, Record<string, unknown>[]> = {
      'AUDIT#S%231': [
        { Items: [item('S#1', 'A', '2026-11-24T10:00:00.000Z')], LastEvaluatedKey: { pk: 'AUDIT#S%231', sk: 'k' } },
        { Items: [item('S#1', 'B', '2026-11-24T12:00:00.000Z', { principal: 'arn:aws:iam::1:user/alice', identity: 'verified', configVersion: 'abcdef012345' })] },
      ],
      // A record as version 1 wrote it: no principal, identity or config version.
      'AUDIT#RIS': [{ Items: [item('RIS', 'R1', '2026-11-24T11:00:00.000Z')] }],
    };
    ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => pages[input.ExpressionAttributeValues[':pk']!]!.shift());

    const records = await readDynamoDbAudit(doc, TABLE, ['S#1', 'RIS'], { since: new Date('2026-11-24T09:00:00Z'), until: new Date('2026-11-25T00:00:00+01:00') });
    expect(records.map((r) => `${r.when} ${r.service}/${r.target}`)).toEqual([
      '2026-11-24T10:00:00.000Z S#1/A',
      '2026-11-24T11:00:00.000Z RIS/R1',
      '2026-11-24T12:00:00.000Z S#1/B',
    ]);
    expect(records[0]).toEqual({ who: 'alice', when: '2026-11-24T10:00:00.000Z', action: 'drain', service: 'S#1', target: 'A' });
    expect(records[2]).toMatchObject({ principal: 'arn:aws:iam::1:user/alice', identity: 'verified', configVersion: 'abcdef012345' });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 3);
    expect(ddb).toHaveReceivedNthCommandWith(1, QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': 'AUDIT#S%231', ':from': '2026-11-24T09:00:00.000Z', ':to': '2026-11-24T23:00:00.000Z' },
    });
    expect(ddb).toHaveReceivedNthCommandWith(2, QueryCommand, { ExclusiveStartKey: { pk: 'AUDIT#S%231', sk: 'k' } });
  });

  test('without a range every record of the partition; the exclusive end drops a record at exactly --until', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item('RIS', 'R1', '2026-11-24T11:00:00.000Z'), item('RIS', 'R2', '2026-11-24T12:00:00.000Z')] });
    expect(await readDynamoDbAudit(doc, TABLE, ['RIS'], {})).toHaveLength(2);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { ExpressionAttributeValues: { ':pk': 'AUDIT#RIS', ':from': '', ':to': '~' } });
    const untilNoon = await readDynamoDbAudit(doc, TABLE, ['RIS'], { until: new Date('2026-11-24T12:00:00Z') });
    expect(untilNoon.map((r) => r.target)).toEqual(['R1']);
  });

  test('an item that is not an audit record is reported with its key, not dropped', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'AUDIT#RIS', sk: 'x', who: 'alice' }] });
    await expect(readDynamoDbAudit(doc, TABLE, ['RIS'], {})).rejects.toThrow(new AuditRecordError('DynamoDB table medlb-state item AUDIT#RIS/x: not an audit record (missing when, action, service, target)'));
  });
});

import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { StateConflictError } from '../../lambda/reconcile/ports';
import { StateFormatError, type ControllerState } from '../../lambda/reconcile/state';

const TABLE = 'medlb-state';
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
const ddb = mockClient(DynamoDBDocumentClient);

const A = { passes: 2, failures: 0, up: true, lastProbe: { healthy: true, reason: 'ok', latencyMs: 1, at: '2026-11-24T10:00:00.000Z' } };
const HALT = { action: 'halt' as const, by: 'alice', at: '2026-11-24T09:00:00.000Z', reason: 'smoke' };

const healthItem = { pk: 'STATE', sk: 'HEALTH#S%231', service: 'S#1', targets: { A }, revision: 7, updatedAt: 'x' };
const overrideItem = { pk: 'STATE', sk: 'OVERRIDE#S%231#B', service: 'S#1', target: 'B', ...HALT };

function store(): DynamoDbStateStore {
  return new DynamoDbStateStore({ client: doc, tableName: TABLE });
}

beforeEach(() => ddb.reset());

describe('DynamoDbStateStore', () => {
  test('load: one consistent Query of the STATE partition, following pages; empty table = empty state', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect(await store().load()).toEqual({ version: 2, services: {} });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'STATE' }, ConsistentRead: true,
    });

    ddb.reset();
    ddb.on(QueryCommand)
      .resolvesOnce({ Items: [healthItem], LastEvaluatedKey: { pk: 'STATE', sk: 'HEALTH#S%231' } })
      .resolvesOnce({ Items: [overrideItem] });
    expect(await store().load()).toEqual({ version: 2, services: { 'S#1': { targets: { A }, overrides: { B: HALT } } } });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(2, QueryCommand, { ExclusiveStartKey: { pk: 'STATE', sk: 'HEALTH#S%231' } });
  });

  test("lastRoundAt is the latest health item's updatedAt (only rounds write health items); an override item does not count", async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { ...healthItem, updatedAt: '2026-11-24T10:00:05.000Z' },
        { ...healthItem, sk: 'HEALTH#T', service: 'T', updatedAt: '2026-11-24T10:00:15.000Z' },
        { ...overrideItem, updatedAt: '2026-11-24T11:00:00.000Z' },
      ],
    });
    expect((await store().load()).lastRoundAt).toBe('2026-11-24T10:00:15.000Z');
    ddb.reset();
    ddb.on(QueryCommand).resolves({ Items: [overrideItem] });
    expect((await store().load()).lastRoundAt).toBeUndefined();
  });

  test('the last known discovered set lives in the health item: loaded, saved when it changes, not rewritten when it does not', async () => {
    const discovery = {
      instances: [{ instanceId: 'i-0123456789abcdef0', nameTag: 'PACS1', privateIp: '10.12.1.110', availabilityZone: 'eu-west-2a', matchedBy: 'tags' as const }],
      resolvedAt: '2026-11-24T10:00:00.000Z',
      suspiciousEmptyAnswers: 0,
    };
    ddb.on(QueryCommand).resolves({ Items: [{ ...healthItem, discovery }] });
    const s = store();
    const loaded = await s.load();
    expect(loaded.services['S#1']!.discovery).toEqual(discovery);
    await s.save(loaded);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
    const emptyAnswer = { ...discovery, suspiciousEmptyAnswers: 1 };
    await s.save({ ...loaded, services: { 'S#1': { ...loaded.services['S#1']!, discovery: emptyAnswer } } });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ sk: 'HEALTH#S%231', targets: { A }, discovery: emptyAnswer, revision: 8 }),
      ConditionExpression: '#revision = :loaded',
    });
  });

  test('load: a corrupt item is a StateFormatError naming the table', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ ...healthItem, targets: { A: { passes: 'two', failures: 0, up: true } } }] });
    await expect(store().load()).rejects.toThrow(StateFormatError);
    await expect(store().load()).rejects.toThrow(/DynamoDB table medlb-state[\s\S]*services\.S#1\.targets\.A\.passes/);
  });

  test('a round saves health conditional on the loaded revision and writes no override item', async () => {
    ddb.on(QueryCommand).resolves({ Items: [healthItem, overrideItem] });
    const s = store();
    const loaded = await s.load();
    const next: ControllerState = { ...loaded, services: { 'S#1': { ...loaded.services['S#1']!, targets: { A: { ...A, passes: 3 } } } } };
    await s.save(next);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: { pk: 'STATE', sk: 'HEALTH#S%231', service: 'S#1', targets: { A: { ...A, passes: 3 } }, format: 2, revision: 8, updatedAt: expect.any(String) },
      ConditionExpression: '#revision = :loaded',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':loaded': 7 },
    });
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
    // A second save of the same state writes nothing; a further change expects the new revision.
    await s.save(next);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    await s.save({ ...next, services: { 'S#1': { ...next.services['S#1']!, targets: {} } } });
    expect(ddb).toHaveReceivedNthCommandWith(3, PutCommand, { ExpressionAttributeValues: { ':loaded': 8 }, Item: expect.objectContaining({ revision: 9 }) });
  });

  test('the first health item of a service is created only if absent', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const s = store();
    await s.load();
    await s.save({ version: 2, services: { S2: { targets: { A }, overrides: {} } } });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'STATE', sk: 'HEALTH#S2', revision: 1 }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  test('an operator action writes only its override item (add: if absent; clear: delete if unchanged)', async () => {
    ddb.on(QueryCommand).resolves({ Items: [healthItem, overrideItem] });
    const s = store();
    const loaded = await s.load();
    const drain = { action: 'drain' as const, by: 'bob', at: '2026-11-24T10:30:00.000Z' };
    await s.save({ ...loaded, services: { 'S#1': { targets: loaded.services['S#1']!.targets, overrides: { A: drain } } } });
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: { pk: 'STATE', sk: 'OVERRIDE#S%231#A', service: 'S#1', target: 'A', ...drain },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'STATE', sk: 'OVERRIDE#S%231#B' },
      ConditionExpression: '#at = :loadedAt',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':loadedAt': HALT.at },
    });
    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  test('replacing an override is conditional on the loaded one', async () => {
    ddb.on(QueryCommand).resolves({ Items: [overrideItem] });
    const s = store();
    await s.load();
    const drain = { action: 'drain' as const, by: 'bob', at: '2026-11-24T10:30:00.000Z' };
    await s.save({ version: 2, services: { 'S#1': { targets: {}, overrides: { B: drain } } } });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ sk: 'OVERRIDE#S%231#B', action: 'drain' }),
      ConditionExpression: '#at = :loadedAt',
      ExpressionAttributeValues: { ':loadedAt': HALT.at },
    });
  });

  test('a failed condition is a StateConflictError naming what conflicted', async () => {
    ddb.on(QueryCommand).resolves({ Items: [healthItem] });
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const s = store();
    const loaded = await s.load();
    const save = s.save({ ...loaded, services: { 'S#1': { targets: {}, overrides: {} } } });
    await expect(save).rejects.toThrow(StateConflictError);
    await expect(s.save({ ...loaded, services: { 'S#1': { targets: {}, overrides: {} } } })).rejects.toThrow(/service S#1 health/);
  });

  test('other errors pass through unchanged', async () => {
    ddb.on(QueryCommand).rejects(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' }));
    await expect(store().load()).rejects.toThrow('no table');
  });

  test('audit: one item per record under AUDIT#<service>, sorted by time, with a 2190-day (6-year) TTL in expiresAt', async () => {
    ddb.on(PutCommand).resolves({});
    const when = '2026-11-24T10:00:00.000Z';
    await store().appendAudit([]);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    await store().appendAudit([{ who: 'alice', when, action: 'halt', service: 'S#1', target: 'B', reason: 'smoke' }]);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        pk: 'AUDIT#S%231',
        sk: expect.stringMatching(/^2026-11-24T10:00:00\.000Z#B#[0-9a-f]{8}$/),
        who: 'alice', when, action: 'halt', service: 'S#1', target: 'B', reason: 'smoke',
        expiresAt: Date.parse(when) / 1000 + 2190 * 86_400,
      },
    });
    const custom = new DynamoDbStateStore({ client: doc, tableName: TABLE, auditRetentionDays: 1 });
    await custom.appendAudit([{ who: 'medlb-controller', when, action: 'down', service: 'S', target: 'A' }]);
    expect(ddb).toHaveReceivedNthCommandWith(2, PutCommand, { Item: expect.objectContaining({ expiresAt: Date.parse(when) / 1000 + 86_400 }) });
  });
});

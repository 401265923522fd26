/**
 * Rollback safety of the controller state (docs/architecture.md § State): a controller rolled back to state
 * version 1 keeps reading and writing state that version 2 wrote, and version 2 reads version-1 state.
 * The version-1 reader is the released code, frozen in test/fixtures/state-v1.
 */
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import type { ControllerState } from '../../lambda/reconcile/state';
import { DynamoDbStateStore as V1DynamoDbStateStore } from '../fixtures/state-v1/dynamodb-state-store';

/** A one-table DynamoDB stand-in that evaluates the two conditions the stores use. */
function memoryTable() {
  const items = new Map<string, Record<string, unknown>>();
  const key = (item: Record<string, unknown>) => `${String(item.pk)}|${String(item.sk)}`;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const mock = mockClient(client);
  mock.on(QueryCommand).callsFake((input) => ({
    Items: [...items.values()].filter((item) => item.pk === input.ExpressionAttributeValues[':pk']).map((item) => structuredClone(item)),
  }));
  mock.on(PutCommand).callsFake((input) => {
    const existing = items.get(key(input.Item));
    const condition: string | undefined = input.ConditionExpression;
    const fails =
      (condition === 'attribute_not_exists(pk)' && existing !== undefined) ||
      (condition === '#revision = :loaded' && existing?.revision !== input.ExpressionAttributeValues[':loaded']);
    if (fails) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    items.set(key(input.Item), structuredClone(input.Item));
    return {};
  });
  mock.on(DeleteCommand).callsFake((input) => {
    items.delete(key(input.Key));
    return {};
  });
  return { client, items, restore: () => mock.restore() };
}

const V2_STATE: ControllerState = {
  version: 2,
  services: {
    HL7: {
      targets: { HL71: { passes: 3, failures: 0, up: true }, HL72: { passes: 9, failures: 0, up: true } },
      overrides: { HL72: { action: 'drain', by: 'alice', at: '2026-11-27T10:00:00.000Z', reason: 'patching' } },
      pending: { HL72: { since: '2026-11-27T10:00:10.000Z', replacements: ['HL71'] } },
    },
  },
};

describe('state versions', () => {
  let table: ReturnType<typeof memoryTable>;
  beforeEach(() => {
    table = memoryTable();
  });
  afterEach(() => table.restore());

  it('a version-1 controller (rolled back) reads version-2 state, keeps the operator override and saves over it', async () => {
    const v2 = new DynamoDbStateStore({ client: table.client, tableName: 't' });
    await v2.load();
    await v2.save(V2_STATE);
    expect(table.items.get('STATE|HEALTH#HL7')).toMatchObject({ format: 2, pending: V2_STATE.services.HL7!.pending });

    const v1 = new V1DynamoDbStateStore({ client: table.client, tableName: 't' });
    const seenByV1 = await v1.load();
    expect(seenByV1.version).toBe(1);
    expect(seenByV1.services.HL7!.targets).toEqual(V2_STATE.services.HL7!.targets);
    expect(seenByV1.services.HL7!.overrides).toEqual(V2_STATE.services.HL7!.overrides);
    // Its rounds keep writing: what it does not know (pending) is dropped from the health item it owns.
    const hl7 = seenByV1.services.HL7;
    await v1.save({ version: 1, services: { HL7: { ...hl7!, targets: { ...hl7!.targets, HL71: { passes: 4, failures: 0, up: true } } } } });
    expect(table.items.get('STATE|HEALTH#HL7')).not.toHaveProperty('pending');
    expect(table.items.get('STATE|OVERRIDE#HL7#HL72')).toMatchObject({ action: 'drain', by: 'alice' });

    // Rolled forward again: version 2 reads what version 1 wrote; the switch is rebuilt from ELB's view next round.
    const again = await new DynamoDbStateStore({ client: table.client, tableName: 't' }).load();
    expect(again.version).toBe(2);
    expect(again.services.HL7!.targets.HL71!.passes).toBe(4);
    expect(again.services.HL7!.pending).toBeUndefined();
    expect(again.services.HL7!.overrides.HL72).toMatchObject({ action: 'drain' });
  });

  it('a version-1 controller ignores pins and maintenance windows (their own item kinds) and leaves them in place', async () => {
    const pinned: ControllerState = {
      version: 2,
      services: {
        PACS: {
          targets: { P1: { passes: 2, failures: 0, up: true }, P2: { passes: 2, failures: 0, up: true } },
          overrides: {},
          pins: { P1: { by: 'alice', at: '2026-11-27T10:00:00.000Z', until: '2026-11-27T18:00:00.000Z', reason: 'AE title check wrong' } },
          windows: {
            'P2@2026-11-27T22:00:00.000Z': { target: 'P2', action: 'drain', from: '2026-11-27T22:00:00.000Z', until: '2026-11-28T02:00:00.000Z', by: 'bob', at: '2026-11-27T09:00:00.000Z', reason: 'patching' },
          },
          scheduleInForce: { windows: [], pins: ['P1'] },
        },
      },
    };
    const v2 = new DynamoDbStateStore({ client: table.client, tableName: 't' });
    await v2.load();
    await v2.save(pinned);
    expect(table.items.get('STATE|PIN#PACS#P1')).toMatchObject({ until: '2026-11-27T18:00:00.000Z', expiresAt: Date.parse('2026-11-27T18:00:00.000Z') / 1000 + 7 * 86_400 });
    expect(table.items.get(`STATE|WINDOW#PACS#${encodeURIComponent('P2@2026-11-27T22:00:00.000Z')}`)).toMatchObject({ action: 'drain', from: '2026-11-27T22:00:00.000Z' });

    // Rolled back: the window is not an override to the old controller (P2 is not drained early), and its save keeps both items.
    const v1 = new V1DynamoDbStateStore({ client: table.client, tableName: 't' });
    const seenByV1 = await v1.load();
    expect(seenByV1.services.PACS!.overrides).toEqual({});
    expect(seenByV1.services.PACS).not.toHaveProperty('pins');
    expect(seenByV1.services.PACS).not.toHaveProperty('windows');
    const pacs = seenByV1.services.PACS;
    await v1.save({ version: 1, services: { PACS: { ...pacs!, targets: { ...pacs!.targets, P1: { passes: 0, failures: 1, up: true } } } } });
    expect(table.items.has('STATE|PIN#PACS#P1')).toBe(true);
    expect(table.items.get('STATE|HEALTH#PACS')).not.toHaveProperty('scheduleInForce');

    // Rolled forward: the pin and the window are back as they were.
    const again = await new DynamoDbStateStore({ client: table.client, tableName: 't' }).load();
    expect(again.services.PACS!.pins).toEqual(pinned.services.PACS!.pins);
    expect(again.services.PACS!.windows).toEqual(pinned.services.PACS!.windows);
  });

  it('version 2 reads version-1 state as version 2 with nothing pending', async () => {
    const v1 = new V1DynamoDbStateStore({ client: table.client, tableName: 't' });
    await v1.load();
    await v1.save({ version: 1, services: { PACS: { targets: { P1: { passes: 2, failures: 0, up: true } }, overrides: {} } } });
    const state = await new DynamoDbStateStore({ client: table.client, tableName: 't' }).load();
    // A version-1 round's updatedAt counts as the last round too: status sees a rolled-back controller working.
    expect(state).toEqual({ version: 2, lastRoundAt: expect.any(String), services: { PACS: { targets: { P1: { passes: 2, failures: 0, up: true } }, overrides: {} } } });
  });
});

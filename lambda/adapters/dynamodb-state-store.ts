/**
 * State store on DynamoDB (the Lambda's), through @aws-sdk/lib-dynamodb with an injected document client.
 *
 * Single-table design, keys `pk` (S) and `sk` (S); key names, prefixes and encoding are the contract's
 * (contract/state-table.ts):
 *
 * | item | pk | sk | attributes |
 * |---|---|---|---|
 * | health of a service | `STATE` | `HEALTH#<service>` | service, targets (map: name or instance id → {passes, failures, up, lastProbe}), discovery (the last known EC2 set, docs/architecture.md#discovery), pending (make-before-break switches, since state version 2), format (state version that wrote it), revision, updatedAt |
 * | operator override | `STATE` | `OVERRIDE#<service>#<target>` | service, target, action, by, at, reason |
 * | failback request (manual failback, since state version 2) | `STATE` | `FAILBACK#<service>` | service, by, at, reason |
 * | pin (`medlb pin`) | `STATE` | `PIN#<service>#<target>` | service, target, by, at, until, reason, expiresAt (TTL: a week after `until`) |
 * | maintenance window (`medlb drain|halt --from --until`) | `STATE` | `WINDOW#<service>#<id>` | service, id, target, action, from, until, by, at, reason, forced, expiresAt (TTL: a week after `until`) |
 * | audit record | `AUDIT#<service>` | `<when>#<target>#<random>` | who, when, action, service, target, reason, expiresAt (TTL, epoch s) |
 *
 * (`<service>` and `<target>` are URI-encoded in keys so a '#' in a name cannot collide.) All state lives in
 * one partition, so `load` is one strongly consistent Query; audit records are queried per service in time order.
 *
 * Lost updates — the choice: **rounds own the health items, operators own the override items**, and `save`
 * only writes what changed since this store's `load`:
 * - A round changes health only: it writes `HEALTH#<service>` with `revision = <loaded>` as a condition (new
 *   items: `attribute_not_exists`). An override written by an operator meanwhile is a different item: it is
 *   neither overwritten nor a conflict. Two overlapping rounds (Lambda + a CLI `reconcile`) conflict instead of
 *   silently interleaving.
 * - An operator action changes one override only: it writes (or deletes) `OVERRIDE#<service>#<target>`,
 *   conditional on the override it loaded (same `at`, or absent), and leaves the health item alone.
 * A failed condition is a `StateConflictError` (load again and retry). Writes of one `save` are not one
 * transaction: each item is consistent on its own, which is all the reconciler needs.
 *
 * Versions, rollback-safe: a newer state version only adds attributes or item kinds, never changes the meaning of
 * one a previous version reads. A version-1 controller (rolled back after a deploy) reads version-2 health items
 * and ignores `pending` and `scheduleInForce` (its next save drops them: the kept target is then handled by version-1 rules, and a
 * version-2 controller rebuilds `pending` from ELB's view at its next round); this version reads version-1 items
 * as version 2 with nothing pending. Data an operator owns must go into items of its own kind, never into the
 * health item, so that an older controller cannot drop it. Pins and windows are such items (`PIN#`, `WINDOW#`): a
 * controller that does not know them skips them (its `load` reads only `HEALTH#` and `OVERRIDE#` items), so a
 * rollback neither applies a window early nor drops one; an expired pin or window is removed by the TTL.
 */
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  emptyServiceState,
  parseControllerState,
  STATE_VERSION,
  type AuditRecord,
  type ControllerState,
  type DiscoveryState,
  type OperatorOverride,
  type ActiveTarget,
  type FailbackRequest,
  type PendingSwitch,
  type TargetHealthState,
  type MaintenanceWindow,
  type ScheduleInForce,
  type TargetPin,
} from '../reconcile/state';
import { STATE_STORE_DEFAULTS } from './state-store-defaults';
import { StateConflictError, type StateStore } from '../reconcile/ports';
import { propertyOf } from '../../contract/thrown';
import {
  auditPartitionKey,
  auditSortKey,
  STATE_ITEM_PREFIXES,
  STATE_PARTITION,
  STATE_TABLE_KEYS,
  stateItemKey,
  TTL_ATTRIBUTE,
  withoutStorageAttributes,
} from '../../contract/state-table';

export interface DynamoDbStateStoreProps {
  /** Document client (marshalling of plain objects); inject a mock in tests. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Days until an audit item expires (TTL). @default 90 */
  readonly auditRetentionDays?: number;
}

const { partitionKey: PK, sortKey: SK } = STATE_TABLE_KEYS;
/** Condition of a write that creates an item: none with its key exists yet. */
const ITEM_IS_NEW = `attribute_not_exists(${PK})`;
/** Pins and windows stay readable for a week after they end (status and rounds ignore them), then DynamoDB deletes them. */
const SCHEDULE_ITEM_GRACE_SECONDS = 7 * 86_400;

interface Snapshot {
  /** Revision of each service's health item as loaded. */
  readonly revisions: Map<string, number>;
  /** JSON of each service's targets and discovered set as loaded (to skip unchanged writes). */
  readonly health: Map<string, string>;
  /** `<service>\n<target>` → override as loaded. */
  readonly overrides: Map<string, OperatorOverride>;
  /** Service → failback request as loaded. */
  readonly failbackRequests: Map<string, FailbackRequest>;
  /** `<service>\n<target>` → pin as loaded. */
  readonly pins: Map<string, TargetPin>;
  /** `<service>\n<window id>` → window as loaded. */
  readonly windows: Map<string, MaintenanceWindow>;
}

function emptySnapshot(): Snapshot {
  return { revisions: new Map(), health: new Map(), overrides: new Map(), failbackRequests: new Map(), pins: new Map(), windows: new Map() };
}

function overrideId(service: string, target: string): string {
  return `${service}\n${target}`;
}

export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly auditRetentionSeconds: number;
  private snapshot: Snapshot = emptySnapshot();

  constructor(props: DynamoDbStateStoreProps) {
    this.client = props.client;
    this.tableName = props.tableName;
    this.auditRetentionSeconds = (props.auditRetentionDays ?? STATE_STORE_DEFAULTS.auditRetentionDays) * 86_400;
  }

  async load(): Promise<ControllerState> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: `${PK} = :pk`,
          ExpressionAttributeValues: { ':pk': STATE_PARTITION },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    const services: Record<
      string,
      {
        targets: Record<string, TargetHealthState>;
        overrides: Record<string, OperatorOverride>;
        discovery?: DiscoveryState;
        pending?: Record<string, PendingSwitch>;
        active?: ActiveTarget;
        failbackRequest?: FailbackRequest;
        pins?: Record<string, TargetPin>;
        windows?: Record<string, MaintenanceWindow>;
        scheduleInForce?: ScheduleInForce;
      }
    > = {};
    const snapshot = emptySnapshot();
    let lastRoundAt: string | undefined;
    const serviceOf = (name: string) => (services[name] ??= { ...emptyServiceState(), targets: {}, overrides: {} });
    /* eslint-disable @typescript-eslint/consistent-type-assertions -- items this store wrote itself in these shapes; parseControllerState below validates the whole state */
    for (const item of items) {
      const sk = String(item[SK]);
      const service = String(item.service);
      if (sk.startsWith(STATE_ITEM_PREFIXES.health)) {
        serviceOf(service).targets = (item.targets ?? {}) as Record<string, TargetHealthState>;
        if (item.discovery !== undefined) serviceOf(service).discovery = item.discovery as DiscoveryState;
        if (item.pending !== undefined) serviceOf(service).pending = item.pending as Record<string, PendingSwitch>;
        if (item.active !== undefined) serviceOf(service).active = item.active as ActiveTarget;
        if (item.scheduleInForce !== undefined) serviceOf(service).scheduleInForce = item.scheduleInForce as ScheduleInForce;
        snapshot.revisions.set(service, Number(item.revision ?? 0));
        // Only rounds write health items, and every round changes them (each probe's time): the latest is the last round.
        const updatedAt = typeof item.updatedAt === 'string' ? Date.parse(item.updatedAt) : Number.NaN;
        if (!Number.isNaN(updatedAt) && (lastRoundAt === undefined || updatedAt > Date.parse(lastRoundAt))) lastRoundAt = new Date(updatedAt).toISOString();
      } else if (sk.startsWith(STATE_ITEM_PREFIXES.failback)) {
        const { by, at, reason } = item;
        serviceOf(service).failbackRequest = { by, at, ...(reason !== undefined ? { reason } : {}) } as FailbackRequest;
      } else if (sk.startsWith(STATE_ITEM_PREFIXES.pin)) {
        const { by, at, until, reason } = item;
        (serviceOf(service).pins ??= {})[String(item.target)] = { by, at, until, reason } as TargetPin;
      } else if (sk.startsWith(STATE_ITEM_PREFIXES.window)) {
        const { service: _service, id, ...window } = withoutStorageAttributes(item);
        (serviceOf(service).windows ??= {})[String(id)] = window as unknown as MaintenanceWindow;
      } else if (sk.startsWith(STATE_ITEM_PREFIXES.override)) {
        const { action, by, at, reason } = item;
        serviceOf(service).overrides[String(item.target)] = { action, by, at, ...(reason !== undefined ? { reason } : {}) } as OperatorOverride;
      }
    }
    /* eslint-enable @typescript-eslint/consistent-type-assertions -- decoding ends here */
    const state = parseControllerState({ version: STATE_VERSION, services, ...(lastRoundAt !== undefined ? { lastRoundAt } : {}) }, `DynamoDB table ${this.tableName}`);
    for (const [name, service] of Object.entries(state.services)) {
      snapshot.health.set(name, healthJson(service));
      for (const [target, override] of Object.entries(service.overrides)) snapshot.overrides.set(overrideId(name, target), override);
      if (service.failbackRequest !== undefined) snapshot.failbackRequests.set(name, service.failbackRequest);
      for (const [target, pin] of Object.entries(service.pins ?? {})) snapshot.pins.set(overrideId(name, target), pin);
      for (const [id, window] of Object.entries(service.windows ?? {})) snapshot.windows.set(overrideId(name, id), window);
    }
    this.snapshot = snapshot;
    return state;
  }

  async save(state: ControllerState): Promise<void> {
    const now = new Date().toISOString();
    for (const [service, next] of Object.entries(state.services)) {
      const health = healthJson(next);
      if (this.snapshot.health.get(service) !== health) {
        const loadedRevision = this.snapshot.revisions.get(service);
        const revision = (loadedRevision ?? 0) + 1;
        await this.conditional(`service ${service} health`, () =>
          this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                ...stateItemKey('health', service),
                service,
                targets: next.targets,
                ...(next.discovery !== undefined ? { discovery: next.discovery } : {}),
                ...(next.pending !== undefined ? { pending: next.pending } : {}),
                ...(next.active !== undefined ? { active: next.active } : {}),
                ...(next.scheduleInForce !== undefined ? { scheduleInForce: next.scheduleInForce } : {}),
                format: STATE_VERSION,
                revision,
                updatedAt: now,
              },
              ...(loadedRevision === undefined
                ? { ConditionExpression: ITEM_IS_NEW }
                : { ConditionExpression: '#revision = :loaded', ExpressionAttributeNames: { '#revision': 'revision' }, ExpressionAttributeValues: { ':loaded': loadedRevision } }),
            }),
          ),
        );
        this.snapshot.revisions.set(service, revision);
        this.snapshot.health.set(service, health);
      }

      const loadedRequest = this.snapshot.failbackRequests.get(service);
      if (next.failbackRequest !== undefined && JSON.stringify(loadedRequest) !== JSON.stringify(next.failbackRequest)) {
        // Operator-owned like an override: its own item, so a round's health write never conflicts with it.
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...stateItemKey('failback', service), service, ...next.failbackRequest } }));
        this.snapshot.failbackRequests.set(service, next.failbackRequest);
      }

      const targets = new Set([
        ...Object.keys(next.overrides),
        ...[...this.snapshot.overrides.keys()].filter((id) => id.startsWith(`${service}\n`)).map((id) => id.slice(service.length + 1)),
      ]);
      for (const target of targets) {
        const id = overrideId(service, target);
        const loaded = this.snapshot.overrides.get(id);
        const wanted = next.overrides[target];
        if (JSON.stringify(loaded) === JSON.stringify(wanted)) continue;
        const condition = loaded
          ? { ConditionExpression: '#at = :loadedAt', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':loadedAt': loaded.at } }
          : { ConditionExpression: ITEM_IS_NEW };
        await this.conditional(`override ${service}/${target}`, () =>
          wanted
            ? this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...stateItemKey('override', service, target), service, target, ...wanted }, ...condition }))
            : this.client.send(new DeleteCommand({ TableName: this.tableName, Key: stateItemKey('override', service, target), ...condition })),
        );
        if (wanted) this.snapshot.overrides.set(id, wanted);
        else this.snapshot.overrides.delete(id);
      }

      // Pins and windows: operator-owned items of their own kinds, written like overrides (conditional on what was loaded).
      await this.saveItems(service, 'pin', this.snapshot.pins, next.pins ?? {}, (target) => stateItemKey('pin', service, target), (target, pin) => ({
        ...stateItemKey('pin', service, target),
        service,
        target,
        ...pin,
        [TTL_ATTRIBUTE]: expiryOf(pin.until),
      }));
      await this.saveItems(service, 'window', this.snapshot.windows, next.windows ?? {}, (id) => stateItemKey('window', service, id), (id, window) => ({
        ...stateItemKey('window', service, id),
        service,
        id,
        ...window,
        [TTL_ATTRIBUTE]: expiryOf(window.until),
      }));
    }
  }

  /** Writes or deletes the items of one kind that differ from the snapshot, each conditional on its loaded `at`. */
  private async saveItems<T extends { readonly at: string }>(
    service: string,
    kind: string,
    loadedItems: Map<string, T>,
    wantedItems: Readonly<Record<string, T>>,
    keyOf: (name: string) => { readonly pk: string; readonly sk: string },
    itemOf: (name: string, value: T) => Record<string, unknown>,
  ): Promise<void> {
    const names = new Set([
      ...Object.keys(wantedItems),
      ...[...loadedItems.keys()].filter((id) => id.startsWith(`${service}\n`)).map((id) => id.slice(service.length + 1)),
    ]);
    for (const name of names) {
      const id = overrideId(service, name);
      const loaded = loadedItems.get(id);
      const wanted = wantedItems[name];
      if (JSON.stringify(loaded) === JSON.stringify(wanted)) continue;
      const condition = loaded
        ? { ConditionExpression: '#at = :loadedAt', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':loadedAt': loaded.at } }
        : { ConditionExpression: ITEM_IS_NEW };
      await this.conditional(`${kind} ${service}/${name}`, () =>
        wanted
          ? this.client.send(new PutCommand({ TableName: this.tableName, Item: itemOf(name, wanted), ...condition }))
          : this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keyOf(name), ...condition })),
      );
      if (wanted) loadedItems.set(id, wanted);
      else loadedItems.delete(id);
    }
  }

  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    for (const record of records) {
      const expiresAt = Math.floor(Date.parse(record.when) / 1000) + this.auditRetentionSeconds;
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: auditPartitionKey(record.service),
            [SK]: auditSortKey(record.when, record.target, randomBytes(4).toString('hex')),
            ...record,
            [TTL_ATTRIBUTE]: expiresAt,
          },
        }),
      );
    }
  }

  private async conditional(subject: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || propertyOf(err, 'name') === 'ConditionalCheckFailedException') {
        throw new StateConflictError(subject, { cause: err });
      }
      throw err;
    }
  }
}

/** What the round owns in a service's health item, as comparable text. */
function healthJson(service: {
  readonly targets: unknown;
  readonly discovery?: unknown;
  readonly pending?: unknown;
  readonly active?: unknown;
  readonly scheduleInForce?: unknown;
}): string {
  return JSON.stringify({
    targets: service.targets,
    discovery: service.discovery ?? null,
    pending: service.pending ?? null,
    active: service.active ?? null,
    scheduleInForce: service.scheduleInForce ?? null,
  });
}

/** The TTL of a pin or window item: a week after it ends (epoch seconds). */
function expiryOf(until: string): number {
  return Math.floor(Date.parse(until) / 1000) + SCHEDULE_ITEM_GRACE_SECONDS;
}

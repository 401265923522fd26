/**
 * State store on DynamoDB (the Lambda's), through @aws-sdk/lib-dynamodb with an injected document client.
 *
 * Single-table design, keys `pk` (S) and `sk` (S):
 *
 * | item | pk | sk | attributes |
 * |---|---|---|---|
 * | health of a service | `STATE` | `HEALTH#<service>` | service, targets (map: name or instance id → {passes, failures, up, lastProbe}), discovery (the last known EC2 set, docs/architecture.md#discovery), pending (make-before-break switches, since state version 2), format (state version that wrote it), revision, updatedAt |
 * | operator override | `STATE` | `OVERRIDE#<service>#<target>` | service, target, action, by, at, reason |
 * | failback request (manual failback, since state version 2) | `STATE` | `FAILBACK#<service>` | service, by, at, reason |
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
 * and ignores `pending` (its next save drops it: the kept target is then handled by version-1 rules, and a
 * version-2 controller rebuilds `pending` from ELB's view at its next round); this version reads version-1 items
 * as version 2 with nothing pending. Data an operator owns must go into items of its own kind, never into the
 * health item, so that an older controller cannot drop it.
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
} from '../reconcile/state';
import { STATE_STORE_DEFAULTS } from './state-store-defaults';
import { StateConflictError, type StateStore } from '../reconcile/ports';

/** Partition key of every state item. */
export const STATE_PARTITION = 'STATE';

export interface DynamoDbStateStoreProps {
  /** Document client (marshalling of plain objects); inject a mock in tests. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Days until an audit item expires (TTL). @default 90 */
  readonly auditRetentionDays?: number;
}

const enc = encodeURIComponent;
const healthKey = (service: string) => ({ pk: STATE_PARTITION, sk: `HEALTH#${enc(service)}` });
const overrideKey = (service: string, target: string) => ({ pk: STATE_PARTITION, sk: `OVERRIDE#${enc(service)}#${enc(target)}` });
const failbackKey = (service: string) => ({ pk: STATE_PARTITION, sk: `FAILBACK#${enc(service)}` });

interface Snapshot {
  /** Revision of each service's health item as loaded. */
  readonly revisions: Map<string, number>;
  /** JSON of each service's targets and discovered set as loaded (to skip unchanged writes). */
  readonly health: Map<string, string>;
  /** `<service>\n<target>` → override as loaded. */
  readonly overrides: Map<string, OperatorOverride>;
  /** Service → failback request as loaded. */
  readonly failbackRequests: Map<string, FailbackRequest>;
}

function overrideId(service: string, target: string): string {
  return `${service}\n${target}`;
}

export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly auditRetentionSeconds: number;
  private snapshot: Snapshot = { revisions: new Map(), health: new Map(), overrides: new Map(), failbackRequests: new Map() };

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
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': STATE_PARTITION },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      startKey = page.LastEvaluatedKey as Record<string, unknown> | undefined;
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
      }
    > = {};
    const snapshot: Snapshot = { revisions: new Map(), health: new Map(), overrides: new Map(), failbackRequests: new Map() };
    let lastRoundAt: string | undefined;
    const serviceOf = (name: string) => (services[name] ??= { ...emptyServiceState(), targets: {}, overrides: {} });
    for (const item of items) {
      const sk = String(item.sk);
      const service = String(item.service);
      if (sk.startsWith('HEALTH#')) {
        serviceOf(service).targets = (item.targets ?? {}) as Record<string, TargetHealthState>;
        if (item.discovery !== undefined) serviceOf(service).discovery = item.discovery as DiscoveryState;
        if (item.pending !== undefined) serviceOf(service).pending = item.pending as Record<string, PendingSwitch>;
        if (item.active !== undefined) serviceOf(service).active = item.active as ActiveTarget;
        snapshot.revisions.set(service, Number(item.revision ?? 0));
        // Only rounds write health items, and every round changes them (each probe's time): the latest is the last round.
        const updatedAt = typeof item.updatedAt === 'string' ? Date.parse(item.updatedAt) : Number.NaN;
        if (!Number.isNaN(updatedAt) && (lastRoundAt === undefined || updatedAt > Date.parse(lastRoundAt))) lastRoundAt = new Date(updatedAt).toISOString();
      } else if (sk.startsWith('FAILBACK#')) {
        const { by, at, reason } = item as Record<string, unknown>;
        serviceOf(service).failbackRequest = { by, at, ...(reason !== undefined ? { reason } : {}) } as FailbackRequest;
      } else if (sk.startsWith('OVERRIDE#')) {
        const { action, by, at, reason } = item as Record<string, unknown>;
        serviceOf(service).overrides[String(item.target)] = { action, by, at, ...(reason !== undefined ? { reason } : {}) } as OperatorOverride;
      }
    }
    const state = parseControllerState({ version: STATE_VERSION, services, ...(lastRoundAt !== undefined ? { lastRoundAt } : {}) }, `DynamoDB table ${this.tableName}`);
    for (const [name, service] of Object.entries(state.services)) {
      snapshot.health.set(name, healthJson(service));
      for (const [target, override] of Object.entries(service.overrides)) snapshot.overrides.set(overrideId(name, target), override);
      if (service.failbackRequest !== undefined) snapshot.failbackRequests.set(name, service.failbackRequest);
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
                ...healthKey(service),
                service,
                targets: next.targets,
                ...(next.discovery !== undefined ? { discovery: next.discovery } : {}),
                ...(next.pending !== undefined ? { pending: next.pending } : {}),
                ...(next.active !== undefined ? { active: next.active } : {}),
                format: STATE_VERSION,
                revision,
                updatedAt: now,
              },
              ...(loadedRevision === undefined
                ? { ConditionExpression: 'attribute_not_exists(pk)' }
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
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...failbackKey(service), service, ...next.failbackRequest } }));
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
          : { ConditionExpression: 'attribute_not_exists(pk)' };
        await this.conditional(`override ${service}/${target}`, () =>
          wanted
            ? this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...overrideKey(service, target), service, target, ...wanted }, ...condition }))
            : this.client.send(new DeleteCommand({ TableName: this.tableName, Key: overrideKey(service, target), ...condition })),
        );
        if (wanted) this.snapshot.overrides.set(id, wanted);
        else this.snapshot.overrides.delete(id);
      }
    }
  }

  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    for (const record of records) {
      const expiresAt = Math.floor(Date.parse(record.when) / 1000) + this.auditRetentionSeconds;
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `AUDIT#${enc(record.service)}`,
            sk: `${record.when}#${enc(record.target)}#${randomBytes(4).toString('hex')}`,
            ...record,
            [STATE_STORE_DEFAULTS.ttlAttribute]: expiresAt,
          },
        }),
      );
    }
  }

  private async conditional(subject: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new StateConflictError(subject, { cause: err });
      }
      throw err;
    }
  }
}

/** What the round owns in a service's health item, as comparable text. */
function healthJson(service: { readonly targets: unknown; readonly discovery?: unknown; readonly pending?: unknown; readonly active?: unknown }): string {
  return JSON.stringify({ targets: service.targets, discovery: service.discovery ?? null, pending: service.pending ?? null, active: service.active ?? null });
}

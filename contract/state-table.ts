/**
 * The DynamoDB state table as the stack creates it and the controller and CLI read it
 * (docs/architecture.md#controller-config): key names, the item holding the controller config, the TTL
 * attribute of audit items, and the stack output that names the table.
 */

/** Partition and sort key attribute names of every item. */
export const STATE_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Partition of every state item: one Query reads the whole state. */
export const STATE_PARTITION = 'STATE';

/**
 * Sort-key prefix of each kind of state item (in {@link STATE_PARTITION}). A reader skips kinds it does not know,
 * so a new kind never breaks an older controller (docs/architecture.md#pins-and-maintenance-windows).
 */
export const STATE_ITEM_PREFIXES = { health: 'HEALTH#', override: 'OVERRIDE#', failback: 'FAILBACK#', pin: 'PIN#', window: 'WINDOW#' } as const;
export type StateItemKind = keyof typeof STATE_ITEM_PREFIXES;

/** Partition-key prefix of a service's audit records (`AUDIT#<service>`). */
const AUDIT_PARTITION_PREFIX = 'AUDIT#';

/** Names are URI-encoded in keys, so a '#' in a service or target name cannot collide with the separator. */
const encodeKeyPart = encodeURIComponent;

/** Key of a state item: `<prefix><service>` or `<prefix><service>#<name>` (target, or window id). */
export function stateItemKey(kind: StateItemKind, service: string, name?: string): { readonly pk: string; readonly sk: string } {
  const sk = `${STATE_ITEM_PREFIXES[kind]}${encodeKeyPart(service)}${name === undefined ? '' : `#${encodeKeyPart(name)}`}`;
  return { [STATE_TABLE_KEYS.partitionKey]: STATE_PARTITION, [STATE_TABLE_KEYS.sortKey]: sk };
}

/** Partition key of a service's audit records. */
export function auditPartitionKey(service: string): string {
  return `${AUDIT_PARTITION_PREFIX}${encodeKeyPart(service)}`;
}

/**
 * Sort key of an audit record: `<when>#<target>#<random>`. It starts with the ISO time in UTC, so string order is
 * time order and a time range is a key condition.
 */
export function auditSortKey(when: string, target: string, random: string): string {
  return `${when}#${encodeKeyPart(target)}#${random}`;
}

/** An item's own attributes: without its keys and TTL, which are storage details. */
export function withoutStorageAttributes(item: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { [STATE_TABLE_KEYS.partitionKey]: _pk, [STATE_TABLE_KEYS.sortKey]: _sk, [TTL_ATTRIBUTE]: _ttl, ...attributes } = item;
  return attributes;
}

/** Key of the item holding the controller config v1, written at deploy time. */
export const CONFIG_ITEM_KEY = { pk: 'CONFIG', sk: 'v1' } as const;

/** Attribute of the config item holding the config as JSON text. */
export const CONFIG_DOCUMENT_ATTRIBUTE = 'document';

/** Days audit records are kept when the site does not say otherwise (their TTL): 6 years, as HIPAA documentation. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 2190;

/** Stack outputs naming the append-only audit copy (a CloudWatch Logs group and the stream in it). */
export const AUDIT_LOG_GROUP_OUTPUT = 'AuditLogGroupName';
export const AUDIT_LOG_STREAM_OUTPUT = 'AuditLogStreamName';

/** Name of the TTL attribute on audit items (epoch seconds), the table's `timeToLiveAttribute`. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The stack output naming the state table (`medlb ... --stack <name>` looks it up). */
export const STATE_TABLE_OUTPUT = 'StateTableName';

/** How error messages name the config item. */
export function configItemSource(tableName: string): string {
  return `DynamoDB table ${tableName} item ${CONFIG_ITEM_KEY.pk}/${CONFIG_ITEM_KEY.sk}`;
}

/**
 * The DynamoDB state table as the stack creates it and the controller and CLI read it
 * (docs/architecture.md#controller-config): key names, the item holding the controller config, the TTL
 * attribute of audit items, and the stack output that names the table.
 */

/** Partition and sort key attribute names of every item. */
export const STATE_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

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

import { DEFAULT_AUDIT_RETENTION_DAYS, TTL_ATTRIBUTE } from '../../contract/state-table';

/** Defaults of the state stores (one place); the table's layout is the contract's (contract/state-table.ts). */
export const STATE_STORE_DEFAULTS = {
  /** Audit items expire (DynamoDB TTL attribute) this many days after the change. */
  auditRetentionDays: DEFAULT_AUDIT_RETENTION_DAYS,
  /** Name of the DynamoDB TTL attribute on audit items (the CDK table's `timeToLiveAttribute`). */
  ttlAttribute: TTL_ATTRIBUTE,
} as const;

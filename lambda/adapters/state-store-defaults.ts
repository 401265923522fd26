import { DEFAULT_AUDIT_RETENTION_DAYS } from '../../contract/state-table';

/** Defaults of the state stores (one place); the table's layout is the contract's (contract/state-table.ts). */
export const STATE_STORE_DEFAULTS = {
  /** Audit items expire (DynamoDB TTL attribute) this many days after the change. */
  auditRetentionDays: DEFAULT_AUDIT_RETENTION_DAYS,
} as const;

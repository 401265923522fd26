/** Defaults of the state stores (one place). */
export const STATE_STORE_DEFAULTS = {
  /** Audit items expire (DynamoDB TTL attribute `expiresAt`) this many days after the change. */
  auditRetentionDays: 90,
  /** Name of the DynamoDB TTL attribute on audit items (the CDK table's `timeToLiveAttribute`). */
  ttlAttribute: 'expiresAt',
} as const;

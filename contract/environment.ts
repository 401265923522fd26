/**
 * The controller Lambda's environment: the stack sets these variables, the handler reads them
 * (docs/architecture.md#runtime). Values are strings, as Lambda environment variables are.
 */
export const CONTROLLER_ENV = {
  /** The state table (counters, overrides, audit, and the config item). */
  tableName: 'MEDLB_TABLE_NAME',
  /** The site name: the `Site` metric dimension. */
  site: 'MEDLB_SITE',
  /** Optional: read the config from this JSON file instead of the state table. */
  configPath: 'MEDLB_CONFIG_PATH',
  /** Seconds audit records are kept (their TTL). */
  auditRetentionSeconds: 'MEDLB_AUDIT_RETENTION_SECONDS',
  /** Optional: the CloudWatch Logs group and stream of the append-only audit copy (both or neither). */
  auditLogGroup: 'MEDLB_AUDIT_LOG_GROUP',
  auditLogStream: 'MEDLB_AUDIT_LOG_STREAM',
  /** Optional: the controller's execution role ARN, recorded as the principal of the rounds' audit records. */
  roleArn: 'MEDLB_CONTROLLER_ROLE_ARN',
} as const;

/** Name of the controller in logs (Powertools `serviceName`) and in the Lambda's `POWERTOOLS_SERVICE_NAME`. */
export const CONTROLLER_SERVICE_NAME = 'medlb-controller';

/** `source` of the event the stack sends after a deploy: the handler then runs a single round. */
export const POST_DEPLOY_EVENT_SOURCE = 'medlb.post-deploy';

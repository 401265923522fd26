import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../../contract/state-table';

/** Memory of the controller function: probes run hundreds at once and CPU share grows with memory. */
export const DEFAULT_CONTROLLER_MEMORY_MB = 512;

/**
 * An invocation runs rounds until about one interval before the next scheduled start (every minute); the
 * timeout leaves room for the last round's probes and ELB writes.
 */
export const DEFAULT_CONTROLLER_TIMEOUT = Duration.seconds(80);

/** How long audit records (who drained/halted what, every registration change) are kept. */
export const DEFAULT_AUDIT_RETENTION = Duration.days(DEFAULT_AUDIT_RETENTION_DAYS);

/** Retention of the controller's structured logs. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/**
 * The append-only copy of the audit trail: every audit record, as one JSON log event, in a CloudWatch Logs
 * stream the stack creates (retention `audit.retentionDays`, KMS-encrypted). Writers hold `logs:PutLogEvents` on
 * that group only: they can add events but neither change nor delete one, so a writer of the state table cannot
 * rewrite history there (README § Audit trail and trust).
 */
import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AuditRecord, ControllerState } from '../reconcile/state';
import type { StateStore } from '../reconcile/ports';

/** PutLogEvents takes at most 10,000 events and 1 MiB per call; audit records are small, 500 stay far below both. */
const EVENTS_PER_CALL = 500;

/** Where the copy goes. */
export interface AuditLogCopyProps {
  readonly client: CloudWatchLogsClient;
  readonly logGroupName: string;
  /** The stream the stack created in the group. */
  readonly logStreamName: string;
}

/** Appends audit records to the log stream, oldest first (PutLogEvents wants events in time order). */
export class AuditLogCopy {
  constructor(private readonly props: AuditLogCopyProps) {}

  async append(records: readonly AuditRecord[]): Promise<void> {
    const events = records
      .map((record) => ({ timestamp: Date.parse(record.when), message: JSON.stringify(record) }))
      .sort((a, b) => a.timestamp - b.timestamp);
    for (let start = 0; start < events.length; start += EVENTS_PER_CALL) {
      await this.props.client.send(
        new PutLogEventsCommand({ logGroupName: this.props.logGroupName, logStreamName: this.props.logStreamName, logEvents: events.slice(start, start + EVENTS_PER_CALL) }),
      );
    }
  }
}

/** What every record a writer appends carries besides what the round or the override put in it. */
export type AuditStamp = Pick<AuditRecord, 'principal' | 'identity'>;

/**
 * A state store whose audit records are stamped (the writer's principal) and also appended to the copy. The copy
 * is written first: a record can exist in the copy without the table (the table write failed), never the
 * other way round, so the copy is the complete one.
 */
export function withAuditCopy(store: StateStore, copy: AuditLogCopy | undefined, stamp: AuditStamp = {}): StateStore {
  return new AuditCopyingStateStore(store, copy, stamp);
}

class AuditCopyingStateStore implements StateStore {
  constructor(
    private readonly store: StateStore,
    private readonly copy: AuditLogCopy | undefined,
    private readonly stamp: AuditStamp,
  ) {}

  load(): Promise<ControllerState> {
    return this.store.load();
  }

  save(state: ControllerState): Promise<void> {
    return this.store.save(state);
  }

  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const stamped = records.map((record) => ({ ...this.stamp, ...record }));
    await this.copy?.append(stamped);
    await this.store.appendAudit(stamped);
  }
}

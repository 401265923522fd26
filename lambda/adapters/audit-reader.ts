/**
 * Reads the audit trail back (`medlb audit`): from the DynamoDB state table (one `AUDIT#<service>` partition per
 * service, sort key `<when>#<target>#<random>`: contract/state-table.ts) or from the file store's
 * `<state-file>.audit.jsonl`. Records of every version are readable: fields added later (principal, identity,
 * configVersion) are optional, unknown fields are kept.
 */
import { readFile } from 'node:fs/promises';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../reconcile/state';
import { codeOf, messageOf } from '../../contract/thrown';
import { auditPartitionKey, STATE_TABLE_KEYS, withoutStorageAttributes } from '../../contract/state-table';

const { partitionKey: PK, sortKey: SK } = STATE_TABLE_KEYS;

/** Which records to read: `since` inclusive, `until` exclusive (ISO 8601 in UTC, as records store `when`). */
export interface AuditRange {
  readonly since?: Date;
  readonly until?: Date;
}

/** A stored record that lacks a field every version writes is reported, never silently dropped. */
export class AuditRecordError extends Error {
  override readonly name = 'AuditRecordError';
}

const REQUIRED = ['who', 'when', 'action', 'service', 'target'] as const;

function asRecord(raw: unknown, source: string): AuditRecord {
  const item: Record<string, unknown> = typeof raw === 'object' && raw !== null ? { ...raw } : {};
  const missing = REQUIRED.filter((field) => typeof item[field] !== 'string');
  if (missing.length > 0) throw new AuditRecordError(`${source}: not an audit record (missing ${missing.join(', ')})`);
  const record = withoutStorageAttributes(item);
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- who/when/action/service/target are checked above; the other fields are optional strings written by medlb
  return record as unknown as AuditRecord;
}

function inRange(record: AuditRecord, range: AuditRange): boolean {
  const at = Date.parse(record.when);
  return (range.since === undefined || at >= range.since.getTime()) && (range.until === undefined || at < range.until.getTime());
}

/** Oldest first; records of the same instant by service, then target. */
function inTimeOrder(records: readonly AuditRecord[]): AuditRecord[] {
  return [...records].sort((a, b) => Date.parse(a.when) - Date.parse(b.when) || a.service.localeCompare(b.service) || a.target.localeCompare(b.target));
}

/** The records of `services` in the table, in time order; the time range is a key condition (no scan). */
export async function readDynamoDbAudit(client: DynamoDBDocumentClient, tableName: string, services: readonly string[], range: AuditRange): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  // Sort keys start with the ISO time in UTC, so string order is time order; '~' sorts after every '#<target>'.
  const from = range.since?.toISOString() ?? '';
  const to = range.until ? range.until.toISOString() : '~';
  for (const service of services) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: `${PK} = :pk AND ${SK} BETWEEN :from AND :to`,
          ExpressionAttributeValues: { ':pk': auditPartitionKey(service), ':from': from, ':to': to },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) records.push(asRecord(item, `DynamoDB table ${tableName} item ${String(item[PK])}/${String(item[SK])}`));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return inTimeOrder(records.filter((r) => inRange(r, range)));
}

/** The records of a file store's JSON-lines audit log, in time order; a missing log is an empty trail. */
export async function readFileAudit(path: string, range: AuditRange): Promise<AuditRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return [];
    throw new AuditRecordError(`audit log ${path} cannot be read: ${messageOf(err)}`);
  }
  const records: AuditRecord[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new AuditRecordError(`audit log ${path} line ${index + 1}: not JSON`);
    }
    records.push(asRecord(parsed, `audit log ${path} line ${index + 1}`));
  });
  return inTimeOrder(records.filter((r) => inRange(r, range)));
}

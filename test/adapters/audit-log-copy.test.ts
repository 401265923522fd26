import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AuditLogCopy, withAuditCopy } from '../../lambda/adapters/audit-log-copy';
import type { StateStore } from '../../lambda/reconcile/ports';
import { emptyState, type AuditRecord } from '../../lambda/reconcile/state';

const logs = mockClient(CloudWatchLogsClient);
const client = new CloudWatchLogsClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const copy = () => new AuditLogCopy({ client, logGroupName: 'medlb-audit-group', logStreamName: 'medlb-audit' });

const record = (target: string, when: string, extra: Partial<AuditRecord> = {}): AuditRecord => ({ who: 'medlb-controller', when, action: 'down', service: 'PACS', target, ...extra });

/** A table that remembers what it was given. */
function recordingStore(): StateStore & { readonly appended: AuditRecord[] } {
  const appended: AuditRecord[] = [];
  return { appended, load: async () => emptyState(), save: async () => undefined, appendAudit: async (records) => void appended.push(...records) };
}

beforeEach(() => logs.reset());

describe('the append-only audit copy', () => {
  test('every record becomes one JSON log event on the stack stream, in time order', async () => {
    logs.on(PutLogEventsCommand).resolves({});
    const records = [record('P2', '2026-11-24T10:00:01.000Z'), record('P1', '2026-11-24T10:00:00.000Z', { reason: '3 consecutive failures (timeout)' })];
    await copy().append(records);
    expect(logs).toHaveReceivedCommandTimes(PutLogEventsCommand, 1);
    expect(logs).toHaveReceivedCommandWith(PutLogEventsCommand, {
      logGroupName: 'medlb-audit-group',
      logStreamName: 'medlb-audit',
      logEvents: [
        { timestamp: Date.parse('2026-11-24T10:00:00.000Z'), message: JSON.stringify(records[1]) },
        { timestamp: Date.parse('2026-11-24T10:00:01.000Z'), message: JSON.stringify(records[0]) },
      ],
    });
  });

  test('a round with more records than one call takes is split, none lost', async () => {
    logs.on(PutLogEventsCommand).resolves({});
    const many = Array.from({ length: 1201 }, (_, i) => record(`T${i}`, new Date(Date.UTC(2026, 10, 24, 10, 0, 0, i)).toISOString()));
    await copy().append(many);
    const sent = logs.commandCalls(PutLogEventsCommand).flatMap((call) => call.args[0].input.logEvents ?? []);
    expect(logs).toHaveReceivedCommandTimes(PutLogEventsCommand, 3);
    expect(sent.map((e) => JSON.parse(e.message!).target)).toEqual(many.map((r) => r.target));
  });

  test('withAuditCopy: every appended record goes to the copy and the table, stamped with the writer; the copy first', async () => {
    logs.on(PutLogEventsCommand).resolves({});
    const table = recordingStore();
    const store = withAuditCopy(table, copy(), { principal: 'arn:aws:iam::111122223333:role/medlb-controller', identity: 'controller-role' });
    await store.appendAudit([record('P1', '2026-11-24T10:00:00.000Z'), record('P2', '2026-11-24T10:00:00.000Z', { principal: 'arn:aws:iam::111122223333:user/alice', identity: 'verified' })]);
    await store.appendAudit([]);
    expect(table.appended.map((r) => `${r.target} ${r.principal} ${r.identity}`)).toEqual([
      'P1 arn:aws:iam::111122223333:role/medlb-controller controller-role',
      // A record that names its own principal (an operator's) keeps it.
      'P2 arn:aws:iam::111122223333:user/alice verified',
    ]);
    const copied = logs.commandCalls(PutLogEventsCommand).flatMap((call) => call.args[0].input.logEvents ?? []).map((e) => JSON.parse(e.message!));
    expect(copied).toEqual(table.appended);
    expect(logs).toHaveReceivedCommandTimes(PutLogEventsCommand, 1);
  });

  test('a copy that cannot be written fails the append before the table is written', async () => {
    logs.on(PutLogEventsCommand).rejects(Object.assign(new Error('User is not authorized to perform: logs:PutLogEvents'), { name: 'AccessDeniedException' }));
    const table = recordingStore();
    await expect(withAuditCopy(table, copy()).appendAudit([record('P1', '2026-11-24T10:00:00.000Z')])).rejects.toThrow(/logs:PutLogEvents/);
    expect(table.appended).toEqual([]);
  });
});

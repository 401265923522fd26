/**
 * `medlb audit (--stack NAME | --config F --state-file S) [--service S] [--target T] [--since TIME] [--until TIME] [--json]`:
 * the audit trail in time order — who (display name and AWS principal, or that the identity was unverified),
 * when, what, why (for automatic changes the probe's reason) and the config version in force. Times are ISO
 * 8601 with a zone; `--since` is inclusive, `--until` exclusive. `--json` prints one JSON array of the records
 * as stored. Exit 0; 2 for usage errors and an unreadable trail.
 */
import { AuditRecordError, readDynamoDbAudit, readFileAudit, type AuditRange } from '../adapters/audit-reader';
import type { AuditRecord } from '../reconcile/state';
import { COMMON_OPTIONS, EXIT, parseCommandArgs, runCommand, UsageError, writeOut } from './common';
import { loadControllerInputs } from './stack';

const USAGE =
  'usage: medlb audit (--config controller.json --state-file state.json | --stack NAME) [--service NAME] [--target NAME] [--since TIME] [--until TIME] [--json]\n' +
  '  TIME: ISO 8601 with a zone, e.g. 2026-11-24T22:00:00Z or 2026-11-24T23:00:00+01:00';

/** ISO 8601 date-time with a zone (Z or ±hh:mm); a time without one would depend on the reader's clock. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses `--since`/`--until`; a usage error names the option. */
function parseAuditTime(option: string, text: string): Date {
  const at = new Date(text);
  if (!ISO_WITH_ZONE.test(text) || Number.isNaN(at.getTime())) {
    throw new UsageError(`--${option} '${text}' is not an ISO 8601 time with a zone (e.g. 2026-11-24T22:00:00Z)`);
  }
  return at;
}

/** Who made the change, as one phrase: the display name with the principal, or why there is none. */
function describeWho(record: AuditRecord): string {
  if (record.principal !== undefined) return `${record.who} (${record.principal})`;
  if (record.identity === 'unverified') return `${record.who} (identity unverified: name self-asserted)`;
  return `${record.who} (identity not recorded)`;
}

/** One line per record, oldest first. */
function renderAuditTrail(records: readonly AuditRecord[]): string {
  if (records.length === 0) return 'no audit records match';
  return records
    .map((r) =>
      [r.when, `${r.action}${r.forced ? ' (forced)' : ''}`.padEnd(6), `${r.service}/${r.target}`, `by ${describeWho(r)}`, `config ${r.configVersion ?? 'not recorded'}`, ...(r.reason !== undefined ? [`why: ${r.reason}`] : [])].join('  '),
    )
    .join('\n');
}

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const { values } = parseCommandArgs(
      args,
      { ...COMMON_OPTIONS, service: { type: 'string' }, target: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, json: { type: 'boolean' } },
      false,
    );
    if (values.help) {
      writeOut(USAGE);
      return EXIT.ok;
    }
    const range: AuditRange = {
      ...(values.since !== undefined ? { since: parseAuditTime('since', values.since) } : {}),
      ...(values.until !== undefined ? { until: parseAuditTime('until', values.until) } : {}),
    };
    if (range.since && range.until && range.until <= range.since) throw new UsageError(`--until ${values.until} is not after --since ${values.since}`);
    const { config, audit } = await loadControllerInputs(values);
    let records: AuditRecord[];
    try {
      // The table is partitioned by service: read the asked one (even if no longer configured) or every configured one.
      records =
        audit.kind === 'table'
          ? await readDynamoDbAudit(audit.client, audit.tableName, values.service !== undefined ? [values.service] : config.services.map((s) => s.name), range)
          : await readFileAudit(audit.path, range);
    } catch (err) {
      if (!(err instanceof AuditRecordError)) throw err;
      process.stderr.write(`medlb: ${err.message}\n`);
      return EXIT.usage;
    }
    const selected = records.filter((r) => (values.service === undefined || r.service === values.service) && (values.target === undefined || r.target === values.target));
    writeOut(values.json ? JSON.stringify(selected) : renderAuditTrail(selected));
    return EXIT.ok;
  });
}

/**
 * Judges `npm audit --json` output for `.ci/run`:
 *
 *   npm audit --omit=dev --json > audit.json; npx tsx scripts/ci-audit.ts audit.json high
 *
 * Exit 0: no advisory at or above the level; 1: advisories at or above it (each printed); 2: no verdict,
 * because npm could not get an audit report (e.g. the registry mirror refuses the advisory endpoint). A
 * missing verdict is reported as such and never as a pass.
 */
import { existsSync, readFileSync } from 'node:fs';

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
type Severity = (typeof SEVERITIES)[number];

/** What the audit said. */
export type AuditVerdict =
  | { readonly kind: 'clean'; readonly below: number; readonly dependencies: number | undefined }
  | { readonly kind: 'findings'; readonly findings: readonly AuditFinding[] }
  | { readonly kind: 'unavailable'; readonly why: string };

/** One vulnerable package at or above the level. */
export interface AuditFinding {
  readonly name: string;
  readonly severity: Severity;
  readonly range: string;
  readonly via: string;
  readonly fixAvailable: boolean;
}

function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** Reads npm audit's JSON report (auditReportVersion 2); `level` is the lowest severity that fails. */
export function judgeAudit(text: string | undefined, level: Severity): AuditVerdict {
  if (text === undefined || text.trim() === '') return { kind: 'unavailable', why: 'npm audit wrote no report' };
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    return { kind: 'unavailable', why: `npm audit wrote no JSON: ${text.trim().slice(0, 200)}` };
  }
  if (typeof report !== 'object' || report === null) return { kind: 'unavailable', why: 'npm audit wrote no report object' };
  const { vulnerabilities, metadata, message } = report as { vulnerabilities?: unknown; metadata?: unknown; message?: unknown };
  if (typeof vulnerabilities !== 'object' || vulnerabilities === null || typeof metadata !== 'object' || metadata === null) {
    const why = typeof message === 'string' ? message : 'the report has no vulnerabilities/metadata section';
    return { kind: 'unavailable', why };
  }
  const threshold = SEVERITIES.indexOf(level);
  const findings: AuditFinding[] = [];
  let below = 0;
  for (const [name, entry] of Object.entries(vulnerabilities as Record<string, unknown>)) {
    const { severity, range, via, fixAvailable } = (entry ?? {}) as { severity?: unknown; range?: unknown; via?: unknown; fixAvailable?: unknown };
    // An entry whose severity cannot be read is treated as the worst: an unreadable finding must not pass.
    const readSeverity: Severity = isSeverity(severity) ? severity : 'critical';
    if (SEVERITIES.indexOf(readSeverity) < threshold) {
      below += 1;
      continue;
    }
    findings.push({
      name,
      severity: readSeverity,
      range: typeof range === 'string' ? range : '?',
      via: Array.isArray(via) ? via.map((v) => (typeof v === 'string' ? v : String((v as { title?: unknown }).title ?? '?'))).join('; ') : '?',
      fixAvailable: fixAvailable !== false && fixAvailable !== undefined,
    });
  }
  if (findings.length > 0) return { kind: 'findings', findings };
  const dependencies = (metadata as { dependencies?: { total?: unknown } }).dependencies?.total;
  return { kind: 'clean', below, dependencies: typeof dependencies === 'number' ? dependencies : undefined };
}

/** The lines CI prints for a verdict. */
export function describeAudit(label: string, level: Severity, verdict: AuditVerdict): string[] {
  switch (verdict.kind) {
    case 'clean':
      return [`${label}: no advisory at ${level} or above (${verdict.below} below it; ${verdict.dependencies ?? '?'} dependencies)`];
    case 'findings':
      return [
        `${label}: ${verdict.findings.length} package(s) with advisories at ${level} or above`,
        ...verdict.findings.map((f) => `  ${f.severity}: ${f.name} ${f.range} — ${f.via}${f.fixAvailable ? ' (fix available)' : ''}`),
      ];
    case 'unavailable':
      return [`NOT CHECKED: ${label}: npm audit gave no report (${verdict.why})`];
  }
}

if (require.main === module) {
  const [file = '', levelText = 'high', label = 'npm audit'] = process.argv.slice(2);
  const level: Severity = isSeverity(levelText) ? levelText : 'high';
  const verdict = judgeAudit(file !== '' && existsSync(file) ? readFileSync(file, 'utf8') : undefined, level);
  process.stdout.write(`${describeAudit(label, level, verdict).join('\n')}\n`);
  process.exitCode = verdict.kind === 'clean' ? 0 : verdict.kind === 'findings' ? 1 : 2;
}

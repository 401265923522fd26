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
import { z } from 'zod';

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
  return SEVERITIES.some((severity) => severity === value);
}

/** npm audit's report (auditReportVersion 2), as far as CI reads it. */
const AuditReportSchema = z.object({
  vulnerabilities: z.record(
    z.string(),
    z.object({
      // An entry whose severity cannot be read is treated as the worst: an unreadable finding must not pass.
      severity: z.enum(SEVERITIES).catch('critical'),
      range: z.string().catch('?'),
      via: z.array(z.union([z.string(), z.object({ title: z.string().catch('?') })])).catch([]),
      fixAvailable: z.unknown(),
    }),
  ),
  metadata: z.object({ dependencies: z.object({ total: z.number() }).partial().optional() }),
});

/** What npm writes instead of a report when it could not get one. */
const AuditErrorSchema = z.object({ message: z.string() });

/** Reads npm audit's JSON report (auditReportVersion 2); `level` is the lowest severity that fails. */
export function judgeAudit(text: string | undefined, level: Severity): AuditVerdict {
  if (text === undefined || text.trim() === '') return { kind: 'unavailable', why: 'npm audit wrote no report' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unavailable', why: `npm audit wrote no JSON: ${text.trim().slice(0, 200)}` };
  }
  const report = AuditReportSchema.safeParse(json);
  if (!report.success) {
    const error = AuditErrorSchema.safeParse(json);
    return { kind: 'unavailable', why: error.success ? error.data.message : 'the report has no vulnerabilities/metadata section' };
  }
  const threshold = SEVERITIES.indexOf(level);
  const findings: AuditFinding[] = [];
  let below = 0;
  for (const [name, entry] of Object.entries(report.data.vulnerabilities)) {
    if (SEVERITIES.indexOf(entry.severity) < threshold) {
      below += 1;
      continue;
    }
    findings.push({
      name,
      severity: entry.severity,
      range: entry.range,
      via: entry.via.map((via) => (typeof via === 'string' ? via : via.title)).join('; '),
      fixAvailable: entry.fixAvailable !== false && entry.fixAvailable !== undefined,
    });
  }
  if (findings.length > 0) return { kind: 'findings', findings };
  return { kind: 'clean', below, dependencies: report.data.metadata.dependencies?.total };
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

/**
 * scripts/ci-audit.ts: `.ci/run` fails on advisories at the level, and never reads "no report" as a pass.
 */
import { describeAudit, judgeAudit } from '../../scripts/ci-audit';

/** An `npm audit --json` report (auditReportVersion 2) with the given vulnerable packages. */
function report(vulnerabilities: Record<string, { severity: string; fixAvailable?: boolean }>): string {
  return JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: Object.fromEntries(
      Object.entries(vulnerabilities).map(([name, v]) => [
        name,
        { name, severity: v.severity, isDirect: false, via: [{ title: `${name} advisory`, severity: v.severity }], range: '<1.2.3', fixAvailable: v.fixAvailable ?? true },
      ]),
    ),
    metadata: { vulnerabilities: {}, dependencies: { prod: 47, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 47 } },
  });
}

describe('judgeAudit', () => {
  it('is clean with no vulnerability', () => {
    const verdict = judgeAudit(report({}), 'high');
    expect(verdict).toEqual({ kind: 'clean', below: 0, dependencies: 47 });
    expect(describeAudit('npm audit (production)', 'high', verdict)).toEqual(['npm audit (production): no advisory at high or above (0 below it; 47 dependencies)']);
  });

  it('is clean when every advisory is below the level, and counts them', () => {
    expect(judgeAudit(report({ a: { severity: 'moderate' }, b: { severity: 'low' } }), 'high')).toMatchObject({ kind: 'clean', below: 2 });
  });

  it('lists every package at or above the level', () => {
    const verdict = judgeAudit(report({ a: { severity: 'high' }, b: { severity: 'critical', fixAvailable: false }, c: { severity: 'low' } }), 'high');
    expect(verdict).toEqual({
      kind: 'findings',
      findings: [
        { name: 'a', severity: 'high', range: '<1.2.3', via: 'a advisory', fixAvailable: true },
        { name: 'b', severity: 'critical', range: '<1.2.3', via: 'b advisory', fixAvailable: false },
      ],
    });
    expect(describeAudit('npm audit', 'high', verdict)).toEqual([
      'npm audit: 2 package(s) with advisories at high or above',
      '  high: a <1.2.3 — a advisory (fix available)',
      '  critical: b <1.2.3 — b advisory',
    ]);
  });

  it('treats an unreadable severity as a finding', () => {
    expect(judgeAudit(report({ a: { severity: 'severe?' } }), 'critical')).toMatchObject({ kind: 'findings', findings: [{ name: 'a', severity: 'critical' }] });
  });

  it('gives no verdict when npm could not reach the advisory endpoint (as on a registry mirror)', () => {
    const refused = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
      error: { summary: '', detail: '' },
    });
    const verdict = judgeAudit(refused, 'high');
    expect(verdict).toEqual({ kind: 'unavailable', why: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk' });
    expect(describeAudit('npm audit', 'high', verdict)[0]).toMatch(/^NOT CHECKED: npm audit: npm audit gave no report \(405/);
  });

  it.each([[undefined], [''], ['npm error something'], ['null']])('gives no verdict for %p', (text) => {
    expect(judgeAudit(text, 'high').kind).toBe('unavailable');
  });
});

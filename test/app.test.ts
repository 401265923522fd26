import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

/** Runs the CDK app as `cdk synth -c site=...` does: context through CDK_CONTEXT_JSON, output to a temp dir. */
function synthApp(site: string | undefined, extraContext: Record<string, string> = {}) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'medlb-app-'));
  const context = { ...(site === undefined ? {} : { site }), ...extraContext };
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'bin/app.ts'], {
    cwd: root,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { ...result, outdir };
}

describe('CDK app (bin/app.ts)', () => {
  test('an invalid site file lists every problem with its path and exits 1, without a stack trace', () => {
    const { status, stderr, outdir } = synthApp('examples/invalid-site.json');
    rmSync(outdir, { recursive: true, force: true });
    expect(status).toBe(1);
    expect(stderr).toMatch(/examples\/invalid-site\.json/);
    expect(stderr).toMatch(/^services\[\d+\]\.\S+: /m);
    expect(stderr.split('\n').filter((line) => /^[a-zA-Z$][\w$.[\]]*: /.test(line)).length).toBeGreaterThan(10);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test('a missing site file is named', () => {
    const { status, stderr, outdir } = synthApp('examples/no-such-site.json');
    rmSync(outdir, { recursive: true, force: true });
    expect(status).toBe(1);
    expect(stderr).toContain('no-such-site.json');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test.each(['examples/example-site.json', 'examples/example-site.ts'])('a valid site file (%s) synthesizes the example stack', (file) => {
    const { status, stderr, outdir } = synthApp(file);
    try {
      expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
      const template = JSON.parse(readFileSync(path.join(outdir, 'Medlb-example-hospital.template.json'), 'utf8'));
      const nlbs = Object.values(template.Resources as Record<string, any>).filter(
        (r) => r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && r.Properties.Type === 'network',
      );
      expect(nlbs.map((nlb) => nlb.Properties.SubnetMappings[0].PrivateIPv4Address)).toContain('10.12.1.100');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a mistyped context key warns, naming the known ones; without a site the example is synthesized with a notice', () => {
    const { status, stderr, outdir } = synthApp(undefined, { sites: 'my-site.json' });
    try {
      expect(status).toBe(0);
      expect(stderr).toContain("medlb: warning: unknown context key 'sites' (-c sites=...) is ignored; medlb knows: -c site=FILE");
      expect(stderr).toContain('medlb: no -c site=FILE given: synthesizing the example hospital (placeholder ids: it cannot be deployed)');
      // ...and that example refuses to deploy (test/stack/deploy-readiness.test.ts has the rule's details).
      const template = JSON.parse(readFileSync(path.join(outdir, 'Medlb-example-hospital.template.json'), 'utf8'));
      expect(Object.keys(template.Rules).some((id) => id.startsWith('PlaceholderGuard'))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

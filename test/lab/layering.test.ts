/**
 * lab/ is product code that ships in `medlb lab`, but it plays AWS: the runtime (lambda/) and the CDK app (lib/)
 * must never depend on it, or a lab-only behaviour could leak into what runs in AWS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const REPO = join(__dirname, '..', '..');

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typescriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('lab/ layering', () => {
  it('no file in lambda/ or lib/ imports from lab/', () => {
    const offenders = ['lambda', 'lib'].flatMap((folder) =>
      typescriptFiles(join(REPO, folder)).filter((file) =>
        [...readFileSync(file, 'utf8').matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].some(
          (m) => m[1]!.startsWith('.') && relative(REPO, join(file, '..', m[1]!)).split(/[\\/]/)[0] === 'lab',
        ),
      ),
    );
    expect(offenders.map((file) => relative(REPO, file))).toEqual([]);
  });

  it('the check sees an import into lab/ when there is one', () => {
    const line = "import { Elbv2Endpoint } from '../../lab/elbv2-endpoint';";
    const match = /(?:from|import|require\()\s*['"]([^'"]+)['"]/.exec(line);
    expect(relative(REPO, join(REPO, 'lambda', 'adapters', 'x.ts', '..', match![1]!)).split(/[\\/]/)[0]).toBe('lab');
  });
});

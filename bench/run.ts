/**
 * `npm run bench`: runs every bench/*.bench.ts in turn, each in its own Node process (so one benchmark's
 * memory and open handles cannot colour the next). `npm run bench -- dicom` runs only files whose name
 * contains "dicom". Exit code 1 if any benchmark failed or missed its target.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const benchDir = __dirname;
const filters = process.argv.slice(2);
const files = fs
  .readdirSync(benchDir)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  process.stderr.write(`no bench/*.bench.ts matched ${filters.join(', ') || '(no filter)'}\n`);
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, file)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    process.stdout.write(`=== ${file}: FAILED (exit ${result.status ?? result.signal}) ===\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);

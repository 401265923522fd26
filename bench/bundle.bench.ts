/**
 * Controller Lambda bundle benchmark (issue 4). Not a test: it prints figures for BENCHMARKS.md and exits 1 when
 * a target is missed. Run alone with `npx tsx bench/bundle.bench.ts`, or through `npm run bench -- bundle`.
 *
 * Bundles lambda/handler.ts exactly as the stack does (esbuild, minified, `@aws-sdk/*` external: the Node.js
 * runtime provides the SDK) and measures the bundle size and the cold-start import time: a fresh Node process that
 * requires the bundle, against a fresh Node process that requires nothing, in the same run (the difference is what
 * the bundle costs a cold start; the SDK clients are resolved from node_modules, as the runtime's copy would be).
 *
 * Target: bundle < 1 MB.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = path.join(__dirname, '..');
const MAX_BUNDLE_BYTES = 1_000_000;
const RUNS = 15;

function bundleHandler(outfile: string): number {
  buildSync({
    entryPoints: [path.join(ROOT, 'lambda', 'handler.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    outfile,
    logLevel: 'silent',
  });
  return statSync(outfile).size;
}

/** Median wall time of `node -e <script>` over RUNS fresh processes, measured inside the process from its start. */
function medianProcessMs(script: string): number {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`node -e failed: ${result.stderr}`);
    samples.push(Number(result.stdout.trim()));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function main(): void {
  // Inside the project so that the external @aws-sdk/* modules resolve from node_modules.
  const outfile = path.join(ROOT, 'bench', `.bundle-${process.pid}.js`);
  try {
    const bytes = bundleHandler(outfile);
    const timed = (body: string) => `const t0=performance.now();${body};process.stdout.write(String(performance.now()-t0))`;
    const baselineMs = medianProcessMs(timed(''));
    const importMs = medianProcessMs(timed(`require(${JSON.stringify(outfile)})`));
    const report = {
      bundleBytes: bytes,
      bundleKiB: Number((bytes / 1024).toFixed(1)),
      importMedianMs: Number(importMs.toFixed(1)),
      emptyProcessMedianMs: Number(baselineMs.toFixed(1)),
      runs: RUNS,
      node: process.version,
      cpus: os.cpus().length,
    };
    process.stdout.write(
      [
        `bundle: ${report.bundleKiB} KiB (target < ${MAX_BUNDLE_BYTES / 1000} kB): ${bytes < MAX_BUNDLE_BYTES ? 'met' : 'MISSED'}`,
        `cold import of the bundle: median ${report.importMedianMs} ms over ${RUNS} fresh processes ` +
          `(an empty script: ${report.emptyProcessMedianMs} ms)`,
        JSON.stringify(report),
      ].join('\n') + '\n',
    );
    process.exitCode = bytes < MAX_BUNDLE_BYTES ? 0 : 1;
  } finally {
    rmSync(outfile, { force: true });
  }
}

main();

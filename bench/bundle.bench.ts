/**
 * Controller Lambda bundle benchmark (issue 4). Not a test: it prints figures for BENCHMARKS.md and exits 1 when
 * a target is missed. Run alone with `npx tsx bench/bundle.bench.ts`, or through `npm run bench -- bundle`.
 *
 * Bundles lambda/handler.ts exactly as the stack does, from the same definition (lib/constructs/controller-bundling.ts:
 * esbuild's target from the Lambda runtime, minified, with a source map, `@aws-sdk/*` external because the Node.js
 * runtime provides the SDK), and measures the bundle size and the cold-start import time: a fresh Node process with
 * the function's NODE_OPTIONS that requires the bundle, against one that requires nothing, in the same run (the
 * difference is what the bundle costs a cold start; the SDK clients are resolved from node_modules, as the
 * runtime's copy would be).
 *
 * Target: bundle < 1 MB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import {
  CONTROLLER_BUNDLING,
  CONTROLLER_ENTRY,
  CONTROLLER_NODE_OPTIONS,
  CONTROLLER_RUNTIME,
  esbuildTargetOf,
} from '../lib/constructs/controller-bundling';

const ROOT = path.join(__dirname, '..');
const MAX_BUNDLE_BYTES = 1_000_000;
const RUNS = 15;

/** The esbuild call aws-lambda-nodejs makes for the stack's options (`--bundle --platform=node --target=...`). */
function bundleHandler(outfile: string): { bytes: number; sourceMapBytes: number } {
  buildSync({
    entryPoints: [CONTROLLER_ENTRY],
    bundle: true,
    platform: 'node',
    target: esbuildTargetOf(CONTROLLER_RUNTIME),
    minify: CONTROLLER_BUNDLING.minify,
    sourcemap: CONTROLLER_BUNDLING.sourceMap,
    external: [...CONTROLLER_BUNDLING.externalModules],
    outfile,
    logLevel: 'silent',
  });
  const map = `${outfile}.map`;
  return { bytes: statSync(outfile).size, sourceMapBytes: existsSync(map) ? statSync(map).size : 0 };
}

/** Median wall time of `node -e <script>` over RUNS fresh processes, measured inside the process from its start. */
function medianProcessMs(script: string): number {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const result = spawnSync(process.execPath, ['-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: CONTROLLER_NODE_OPTIONS },
    });
    if (result.status !== 0) throw new Error(`node -e failed: ${result.stderr}`);
    samples.push(Number(result.stdout.trim()));
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  if (median === undefined) throw new Error('no samples: RUNS must be at least 1');
  return median;
}

function main(): void {
  // Inside the project so that the external @aws-sdk/* modules resolve from node_modules.
  const outfile = path.join(ROOT, 'bench', `.bundle-${process.pid}.js`);
  try {
    const { bytes, sourceMapBytes } = bundleHandler(outfile);
    const timed = (body: string) => `const t0=performance.now();${body};process.stdout.write(String(performance.now()-t0))`;
    const baselineMs = medianProcessMs(timed(''));
    const importMs = medianProcessMs(timed(`require(${JSON.stringify(outfile)})`));
    const report = {
      bundleBytes: bytes,
      bundleKiB: Number((bytes / 1024).toFixed(1)),
      sourceMapKiB: Number((sourceMapBytes / 1024).toFixed(1)),
      target: esbuildTargetOf(CONTROLLER_RUNTIME),
      importMedianMs: Number(importMs.toFixed(1)),
      emptyProcessMedianMs: Number(baselineMs.toFixed(1)),
      runs: RUNS,
      node: process.version,
      cpus: os.cpus().length,
    };
    process.stdout.write(
      [
        `bundle: ${report.bundleKiB} KiB for ${report.target} (target < ${MAX_BUNDLE_BYTES / 1000} kB): ${bytes < MAX_BUNDLE_BYTES ? 'met' : 'MISSED'}` +
          `; its source map ${report.sourceMapKiB} KiB beside it`,
        `cold import of the bundle: median ${report.importMedianMs} ms over ${RUNS} fresh processes ` +
          `(an empty script: ${report.emptyProcessMedianMs} ms)`,
        JSON.stringify(report),
      ].join('\n') + '\n',
    );
    process.exitCode = bytes < MAX_BUNDLE_BYTES ? 0 : 1;
  } finally {
    rmSync(outfile, { force: true });
    rmSync(`${outfile}.map`, { force: true });
  }
}

main();

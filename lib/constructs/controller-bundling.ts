import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How the controller Lambda is built and started, in one place: the stack (controller.ts) deploys with these and
 * bench/bundle.bench.ts bundles with the same, so the benchmark measures the artefact that ships.
 */

/** The handler module NodejsFunction bundles. */
export const CONTROLLER_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'handler.ts');

/** The controller's runtime; CDK derives esbuild's `--target` from it (nodejs24.x → node24). */
export const CONTROLLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * esbuild options of the NodejsFunction: minified, with a source map (stack traces in the logs name our source
 * lines), and the AWS SDK v3 left out because the Node.js runtime provides it.
 */
export const CONTROLLER_BUNDLING = {
  minify: true,
  sourceMap: true,
  externalModules: ['@aws-sdk/*'],
} as const satisfies nodejs.BundlingOptions;

/** NODE_OPTIONS of the function: the source map above is only used when Node is told to. */
export const CONTROLLER_NODE_OPTIONS = '--enable-source-maps';

/** esbuild's `--target` for a Lambda runtime, derived the way aws-lambda-nodejs derives it. */
export function esbuildTargetOf(runtime: lambda.Runtime): string {
  const major = /^nodejs(\d+)/.exec(runtime.name)?.[1];
  if (major === undefined) throw new Error(`not a Node.js runtime: ${runtime.name}`);
  return `node${major}`;
}

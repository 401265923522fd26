import { App } from 'aws-cdk-lib';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';

/** An App with the project's cdk.json context (the fixed feature flags), as `cdk synth` sees it. */
export function newProjectApp(): App {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return new App({ context: cdkJson.context });
}

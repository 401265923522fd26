import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/** The region every construct test stack pins (ALB access logs need one). */
const TEST_REGION = 'eu-west-2';

/** A stack under an App carrying the project's cdk.json feature flags, so tests see what `cdk synth` sees. */
export function newTestStack(id = 'TestStack'): Stack {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: cdkJson.context });
  return new Stack(app, id, { env: { region: TEST_REGION } });
}

/** One unacknowledged cdk-nag finding, flattened for readable assertion failures. */
export interface NagFinding {
  readonly rule: string;
  /** Construct path of the violating resource (or its logical id). */
  readonly resource: string;
}

/** Runs AwsSolutions and HIPAA.Security against `scope` and returns every unacknowledged finding. */
export function nagFindings(scope: IConstruct): NagFinding[] {
  const findings: NagFinding[] = [];
  for (const pack of [new AwsSolutionsChecks(), new HIPAASecurityChecks()]) {
    const report = pack.validateScope(scope);
    for (const violation of report.violations) {
      for (const violating of violation.violatingResources) {
        findings.push({ rule: violation.ruleName, resource: violating.constructPath ?? violating.resourceLogicalId ?? JSON.stringify(violating) });
      }
    }
  }
  return findings;
}

/** All resources of `type` in the template, as `[logicalId, properties]` pairs. */
export function resourcesOfType(template: Template, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(template.findResources(type)).map(([id, resource]) => [id, (resource.Properties ?? {}) as Record<string, unknown>]);
}

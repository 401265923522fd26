/**
 * CDK entry. Synthesizes the example site, or a site file given with `npx cdk synth -c site=path/to/site.json`.
 * A site with problems prints every problem (path and value) and exits non-zero, without a stack trace.
 * An unknown `-c` key is a warning naming the known ones, and synthesizing the example says so on stderr
 * (lib/app-context.ts); a site with placeholder ids synthesizes but its stack refuses to deploy
 * (lib/constructs/placeholder-guard.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { contextNotices } from '../lib/app-context';
import { MedlbStack } from '../lib/medlb-stack';
import { exampleSite, loadSiteFile, parseSite, Site, SiteFileError, SiteValidationError, siteWarnings } from '../lib/site';

function loadSite(app: App): Site {
  const sitePath: unknown = app.node.tryGetContext('site');
  try {
    return typeof sitePath === 'string' && sitePath !== '' ? loadSiteFile(sitePath) : parseSite(exampleSite, 'example site');
  } catch (error) {
    if (error instanceof SiteValidationError || error instanceof SiteFileError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** The keys of cdk.json's context: the project's own settings, not typos. */
function projectContextKeys(): string[] {
  try {
    const cdkJson: unknown = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8'));
    const context: unknown = typeof cdkJson === 'object' && cdkJson !== null ? Reflect.get(cdkJson, 'context') : undefined;
    return typeof context === 'object' && context !== null ? Object.keys(context) : [];
  } catch {
    return [];
  }
}

const app = new App();
const allContext: unknown = app.node.getAllContext();
const givenContext: Record<string, unknown> = typeof allContext === 'object' && allContext !== null ? { ...allContext } : {};
for (const notice of contextNotices(givenContext, projectContextKeys())) process.stderr.write(`${notice}\n`);
const site = loadSite(app);
// Warnings do not stop the synth: the site is valid, but its administrator should know (stderr: stdout is the template).
for (const warning of siteWarnings(site)) process.stderr.write(`WARNING ${warning.path}: ${warning.message}\n`);
new MedlbStack(app, `Medlb-${site.name}`, {
  site,
  env: { account: site.env.account, region: site.env.region },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));

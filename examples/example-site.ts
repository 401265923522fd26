/**
 * A site written in TypeScript: `npx cdk synth -c site=examples/example-site.ts`. The `SiteInput` type makes the
 * editor complete every field and flag a wrong one before synth does. This one is the built-in example site.
 */
import { exampleSite, type SiteInput } from '../lib/site';

const site: SiteInput = {
  ...exampleSite,
  // Change what differs from the example, e.g.: controller: { intervalSeconds: 15, awsApiAccess: 'nat' },
};

export default site;

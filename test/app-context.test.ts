import { contextNotices } from '../lib/app-context';

describe('contextNotices', () => {
  const project = ['cli-telemetry', '@aws-cdk/core:checkSecretUsage'];

  test('a site and CDK keys: nothing to say', () => {
    expect(contextNotices({ site: 'my-site.json', 'cli-telemetry': false, '@aws-cdk/core:checkSecretUsage': true, 'aws:cdk:enable-path-metadata': true }, project)).toEqual([]);
  });

  test('an unknown key warns, naming the known ones; without a site the example is announced', () => {
    expect(contextNotices({ sites: 'x', Site: 'y' }, project)).toEqual([
      "medlb: warning: unknown context key 'sites' (-c sites=...) is ignored; medlb knows: -c site=FILE",
      "medlb: warning: unknown context key 'Site' (-c Site=...) is ignored; medlb knows: -c site=FILE",
      'medlb: no -c site=FILE given: synthesizing the example hospital (placeholder ids: it cannot be deployed)',
    ]);
  });
});

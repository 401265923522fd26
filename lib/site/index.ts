/** The site definition: schema and types, validation, loading, the example site and helpers for the stack. */
export * from './schema';
export * from './site-defaults';
export * from './problems';
export { crossFieldProblems } from './validate';
export { siteWarnings } from './check-rules';
export { parseSite, loadSiteFile, siteProblems } from './load';
export { exampleSite } from './example-site';
export * from './helpers';
export * as ipv4 from './ipv4';
export * from './monitoring-schema';

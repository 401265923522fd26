/** Shared helpers for the site tests: a fresh, mutable copy of the example site and problem lookups. */
import { exampleSite, siteProblems, type SiteProblem } from '../../lib/site';

/** A deep copy of the example site, loosely typed so a test can break it in any way. */
 
export type LooseSite = any;

/** The example site after a mutation. */
export function exampleWith(mutate: (site: LooseSite) => void): LooseSite {
  const site = structuredClone(exampleSite) as LooseSite;
  mutate(site);
  return site;
}

/** Every problem of the example site after a mutation. */
export function problemsAfter(mutate: (site: LooseSite) => void): SiteProblem[] {
  return siteProblems(exampleWith(mutate));
}

/**
 * How site problems are named and reported: a JS-notation path (`services[2].realServers[0].ip`) and a
 * message that shows the offending value. Every problem is collected first and thrown once.
 */

import { describePemSafely } from '../../contract/pem';

/** One thing wrong with a site definition. */
export interface SiteProblem {
  /** Where, in JS notation, e.g. `services[2].vip[1]`; `site` for the whole definition. */
  readonly path: string;
  /** What is wrong, with the offending value and, where useful, what to do instead. */
  readonly message: string;
}

/** A path as a list of keys and indices. */
export type PathSegments = readonly (string | number)[];

/** Renders ['services', 2, 'vip'] as `services[2].vip`; the empty path as `site`. */
export function formatPath(segments: PathSegments): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text === '' ? 'site' : text;
}

/** Renders an offending value compactly for a message. */
export function renderValue(value: unknown): string {
  // Key material is never echoed, wherever it was pasted (a certificate field, a label, anything).
  if (typeof value === 'string' && value.includes('-----BEGIN ')) return `<${describePemSafely(value)}, not shown>`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  // JSON has no text for functions, symbols and bigints: String() names them (never an object, which JSON renders).
  if (json === undefined) return typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function' ? String(value) : 'nothing';
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** Thrown once by parseSite / loadSiteFile with every problem found. */
export class SiteValidationError extends Error {
  /** Every problem, in document order. */
  readonly problems: readonly SiteProblem[];

  constructor(problems: readonly SiteProblem[], source?: string) {
    const heading = `${source ? `${source}: ` : ''}the site definition has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`;
    super([heading, ...problems.map((problem) => `${problem.path}: ${problem.message}`)].join('\n'));
    this.name = 'SiteValidationError';
    this.problems = problems;
  }
}

/** A site file that cannot be read or is not JSON (its problems are not about the site's content). */
export class SiteFileError extends Error {
  /** The file concerned. */
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SiteFileError';
    this.file = file;
  }
}

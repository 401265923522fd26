/**
 * parseSite / loadSiteFile: the one way in for a site definition. The zod schema (field-local rules) and the
 * cross-field rules (validate.ts) both run, every problem is collected, and a single SiteValidationError
 * lists them one per line — no stack-trace noise for the person fixing the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { siteSchema, type Site } from './schema';
import { VIEWER_LISTENER_PORT } from './site-defaults';
import { crossFieldProblems } from './validate';
import { codeOf, messageOf } from '../../contract/thrown';
import { formatPath, renderValue, SiteFileError, SiteValidationError, type PathSegments, type SiteProblem } from './problems';

/**
 * Appliance settings that AWS does not offer, and why. They are not part of the schema's types (an editor
 * flags them); a JSON file that has them gets this explanation instead of "unknown setting".
 */
const REJECTED_SETTINGS: Readonly<Record<string, string>> = {
  minConnections: 'min/max connections are not offered by AWS Network Load Balancers; remove it',
  maxConnections: 'min/max connections are not offered by AWS Network Load Balancers; remove it',
  persistenceTimeoutSeconds:
    "AWS source-IP affinity has no duration setting (it lasts while the target stays registered and healthy); remove it: persistence: 'source-ip' is the equivalent of the appliance's persistence",
  persistenceTimeout:
    "AWS source-IP affinity has no duration setting (it lasts while the target stays registered and healthy); remove it: persistence: 'source-ip' is the equivalent of the appliance's persistence",
  checkPort: 'use healthCheck.port',
  forwardingMethod: 'use transparent: true (Layer 4 DR/NAT, client IP preserved) or transparent: false (SNAT)',
};

/** Why an unknown key is refused: the appliance-setting explanation where one applies. */
function rejectionOf(key: string, parentPath: PathSegments): string {
  if (key === 'port' && parentPath.length === 1 && parentPath[0] === 'viewer') {
    return `the viewer listens on ${VIEWER_LISTENER_PORT}; set targetPort for the viewer servers' port`;
  }
  return REJECTED_SETTINGS[key] ?? 'is not a known setting (check the spelling); remove it';
}

/** Value at a path of the raw input, or undefined. */
function valueAt(input: unknown, path: PathSegments): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Reflect.get(current, segment);
  }
  return current;
}

type Issue = z.core.$ZodIssue;

/** For a union, the branch the writer meant: the first whose issues do not say "wrong type here". */
function intendedBranch(issue: Extract<Issue, { code: 'invalid_union' }>): readonly Issue[] | undefined {
  return issue.errors.find((branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
}

function problemsOfIssue(issue: Issue, basePath: PathSegments, input: unknown, problems: SiteProblem[]): void {
  const path = [...basePath, ...issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment))];
  const value = valueAt(input, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...path, key]), message: rejectionOf(key, path) });
      }
      return;
    case 'invalid_union': {
      const branch = intendedBranch(issue);
      if (branch) {
        for (const inner of branch) problemsOfIssue(inner, path, input, problems);
        return;
      }
      problems.push({ path: formatPath(path), message: `${issue.message} (got ${renderValue(value)})` });
      return;
    }
    case 'invalid_key': {
      // A record key failed its own schema: report the key, not the value stored under it.
      const key = path[path.length - 1];
      const reasons = issue.issues.map((inner) => inner.message).join('; ');
      problems.push({ path: formatPath(path), message: `${reasons} (got ${renderValue(key)})` });
      return;
    }
    case 'invalid_type':
      if (value === undefined) {
        problems.push({ path: formatPath(path), message: 'is required' });
        return;
      }
      break;
    default:
      break;
  }
  const expected = 'expected' in issue && typeof issue.expected === 'string' ? issue.expected : 'valid value';
  const message = issue.message.startsWith('Invalid input') ? `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}` : issue.message;
  const shown = typeof value === 'object' && value !== null ? '' : ` (got ${renderValue(value)})`;
  problems.push({ path: formatPath(path), message: `${message}${shown}` });
}

/** Ranks problems by the top-level field they concern, then by service/real-server index (document order). */
const TOP_LEVEL_ORDER = ['site', 'name', 'tags', 'env', 'network', 'allowedClientCidrs', 'controller', 'services', 'viewer', 'notifications'];

function documentOrder(a: SiteProblem, b: SiteProblem): number {
  const rank = (problem: SiteProblem) => {
    const top = /^[A-Za-z_$]+/.exec(problem.path)?.[0] ?? '';
    const index = TOP_LEVEL_ORDER.indexOf(top);
    return index === -1 ? TOP_LEVEL_ORDER.length : index;
  };
  const firstIndex = (problem: SiteProblem) => Number(/^[A-Za-z_$]+\[(\d+)\]/.exec(problem.path)?.[1] ?? -1);
  return rank(a) - rank(b) || firstIndex(a) - firstIndex(b);
}

/** Every problem of a site definition (schema and cross-field), in document order; empty when it is valid. */
export function siteProblems(input: unknown): SiteProblem[] {
  const problems: SiteProblem[] = [];
  const parsed = siteSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problemsOfIssue(issue, [], input, problems);
  }
  problems.push(...crossFieldProblems(input));
  const unique = new Map<string, SiteProblem>();
  for (const problem of problems) unique.set(`${problem.path}\u0000${problem.message}`, problem);
  return [...unique.values()].sort(documentOrder);
}

/**
 * Parses and validates a site definition (a SiteInput object or parsed JSON).
 * @throws SiteValidationError listing every problem, one per line
 */
export function parseSite(input: unknown, source?: string): Site {
  const problems = siteProblems(input);
  if (problems.length > 0) throw new SiteValidationError(problems, source);
  return siteSchema.parse(input);
}

/**
 * Reads a site file and parses it: JSON, or a TypeScript/JavaScript module (`.ts`, `.js`, `.cjs`) whose default
 * export or `site` export is the site, typed `SiteInput` so the editor completes and checks it.
 * @throws SiteFileError when the file cannot be read, is not JSON or has no site export; SiteValidationError for its content
 */
export function loadSiteFile(path: string): Site {
  const input = /\.(ts|js|cjs)$/.test(path) ? readSiteModule(path) : readSiteJson(path);
  return parseSite(input, path);
}

function readSiteJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SiteFileError(path, `cannot read the site file: ${readFailure(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SiteFileError(path, `is not valid JSON: ${messageOf(error)}`);
  }
}

/** A site module, loaded with the running TypeScript loader (the CDK app runs under tsx, the tests under ts-jest). */
function readSiteModule(path: string): unknown {
  if (!existsSync(path)) throw new SiteFileError(path, 'cannot read the site file: no such file');
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a site module is chosen at run time and must load synchronously, through the running TypeScript loader
    exported = require(resolve(path));
  } catch (error) {
    throw new SiteFileError(path, `cannot load the site module: ${messageOf(error).split('\n')[0]}`);
  }
  const site = exportNamed(exported, 'default') ?? exportNamed(exported, 'site');
  if (site === undefined) throw new SiteFileError(path, 'exports no site: use `export default site` or `export const site: SiteInput = {...}`');
  return site;
}

function exportNamed(moduleExports: unknown, name: string): unknown {
  return typeof moduleExports === 'object' && moduleExports !== null ? Reflect.get(moduleExports, name) : undefined;
}

function readFailure(error: unknown): string {
  const code = codeOf(error);
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a site file' : messageOf(error);
}

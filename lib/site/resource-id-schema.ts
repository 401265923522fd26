/**
 * `services[].id` and `viewer.id`: the identity of a service's AWS resources. The stack names the service's
 * constructs by it, so it fixes the CloudFormation logical ids of its NLB (and its static VIPs), listeners, target
 * groups and security groups. It defaults to the label, so sites written before it existed keep their resources;
 * set it to the current label before restyling or renaming a service, and the rename replaces nothing that holds
 * traffic (`medlb diff` checks; README "Deploying").
 */
import { z } from 'zod';

/** The same alphabet as labels: construct ids become logical ids, which keep only letters and digits. */
export const resourceIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9-]{1,32}$/, { error: 'must be 1–32 letters, digits or "-"' })
  .describe("Identity of the service's AWS resources (CloudFormation logical ids); default the label. Set it to the old label before renaming a service");

/** A service or the viewer as validate.ts sees it (raw input). */
interface RawPool {
  readonly path: readonly (string | number)[];
  readonly label: string | undefined;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A problem with its full path. */
interface ResourceIdProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Resource ids (`id`, else the label) must be unique, case-insensitively like labels. Pairs of plain labels are
 * left to the label rule, which reports them already.
 */
export function resourceIdProblems(pools: readonly RawPool[]): ResourceIdProblem[] {
  const problems: ResourceIdProblem[] = [];
  const owners = new Map<string, { pool: RawPool; explicit: boolean }>();
  for (const pool of pools) {
    const rawId = pool.raw.id;
    const explicit = typeof rawId === 'string';
    const id = typeof rawId === 'string' ? rawId : pool.label;
    if (id === undefined) continue;
    const key = id.toLowerCase();
    const first = owners.get(key);
    if (first === undefined) {
      owners.set(key, { pool, explicit });
      continue;
    }
    if (!explicit && !first.explicit) continue;
    problems.push({
      path: [...pool.path, explicit ? 'id' : 'label'],
      message: `${id} is already the resource id of ${first.pool.label ?? 'another service'} (its ${first.explicit ? 'id' : 'label'}); resource ids must be unique (case-insensitive: they name the CloudFormation resources)`,
    });
  }
  return problems;
}

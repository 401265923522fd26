import { Duration, Token } from 'aws-cdk-lib';
import { cidrProblem } from '../site/ipv4';

/** Raised when a construct's props are invalid; lists every problem found, not just the first. */
export class ConstructPropsError extends Error {
  /** One human-readable line per problem, each naming the resource and the offending value. */
  public readonly problems: readonly string[];

  constructor(resource: string, problems: readonly string[]) {
    super(`${resource} has ${problems.length} invalid setting${problems.length === 1 ? '' : 's'}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConstructPropsError';
    this.problems = problems;
  }
}

/** Collects problems while validating props, then throws them all at once. */
export class ProblemList {
  private readonly problems: string[] = [];

  /** Records `message` when `condition` is false. */
  check(condition: boolean, message: string): void {
    if (!condition) this.problems.push(message);
  }

  /** Records a problem unconditionally. */
  add(message: string): void {
    this.problems.push(message);
  }

  /** Throws a `ConstructPropsError` for `resource` when any problem was recorded. */
  throwIfAny(resource: string): void {
    if (this.problems.length > 0) throw new ConstructPropsError(resource, this.problems);
  }
}

/** Records a problem unless `cidr` is a literal IPv4 CIDR block. */
export function checkCidr(problems: ProblemList, path: string, cidr: string): void {
  if (Token.isUnresolved(cidr)) return;
  const problem = cidrProblem(cidr);
  if (problem !== undefined) problems.add(`${path}: ${cidr} ${problem}`);
}

/** Records a problem unless `port` is an integer 1–65535. */
export function checkPort(problems: ProblemList, path: string, port: number): void {
  problems.check(Number.isInteger(port) && port >= 1 && port <= 65535, `${path}: ${port} is not a port (1–65535)`);
}

/** Records a problem unless `duration` (when given) is a whole number of seconds within `range`. */
export function checkSeconds(
  problems: ProblemList,
  path: string,
  duration: Duration | undefined,
  range: { readonly min: number; readonly max: number },
): void {
  if (duration === undefined) return;
  const seconds = duration.toSeconds({ integral: false });
  problems.check(
    Number.isInteger(seconds) && seconds >= range.min && seconds <= range.max,
    `${path}: ${seconds} s is outside ${range.min}–${range.max} s`,
  );
}

/**
 * The problems of a security group whose rule counts exceed the default quota per direction; `hint` says how to
 * get under it. The resource is named in every message.
 */
export function securityGroupQuotaProblems(
  resource: string,
  counts: { readonly inbound: number; readonly outbound: number },
  quota: number,
  hint: string,
): string[] {
  return (['inbound', 'outbound'] as const)
    .filter((direction) => counts[direction] > quota)
    .map((direction) => `${resource}: ${counts[direction]} ${direction} security-group rules exceed the default quota of ${quota}; ${hint}`);
}

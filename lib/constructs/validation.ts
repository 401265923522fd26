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

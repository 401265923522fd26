/**
 * What the CDK app says about its `-c` context before it synthesizes (pure, for tests):
 * - an unknown key (`-c sites=x`, `-c Site=x`) is a warning naming the keys medlb knows — otherwise a typo
 *   silently synthesizes (and `cdk deploy` would try to deploy) the example hospital;
 * - no site at all is a one-line notice that the example is being synthesized (the README's first job).
 * CDK's own keys (feature flags from cdk.json, `aws:cdk:*`, `@aws-cdk/*`) are not ours to judge.
 */

/** The context keys medlb reads. */
const MEDLB_CONTEXT_KEYS = ['site'] as const;

/** Keys CDK itself (or its CLI) puts into the context. */
function isCdkKey(key: string, projectKeys: ReadonlySet<string>): boolean {
  return projectKeys.has(key) || key.startsWith('@') || key.startsWith('aws:') || key.startsWith('aws-cdk') || key.startsWith('cdk') || key.includes(':');
}

/**
 * Lines for stderr about the given context.
 * @param context every context value the app sees (`app.node.getAllContext()`)
 * @param projectKeys the keys of cdk.json's `context` (feature flags and settings of this project)
 */
export function contextNotices(context: Readonly<Record<string, unknown>>, projectKeys: readonly string[]): string[] {
  const known = new Set<string>(MEDLB_CONTEXT_KEYS);
  const project = new Set(projectKeys);
  const notices = Object.keys(context)
    .filter((key) => !known.has(key) && !isCdkKey(key, project))
    .map((key) => `medlb: warning: unknown context key '${key}' (-c ${key}=...) is ignored; medlb knows: ${[...known].map((k) => `-c ${k}=FILE`).join(', ')}`);
  const site = context.site;
  if (typeof site !== 'string' || site === '') {
    notices.push('medlb: no -c site=FILE given: synthesizing the example hospital (placeholder ids: it cannot be deployed)');
  }
  return notices;
}

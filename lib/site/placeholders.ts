/**
 * Placeholder ids: the fake AWS ids a site template ships with (the example's `vpc-0123456789abcdef0`,
 * `subnet-0aaaaaaaaaaaaaaa1`, the documentation account `111122223333`, an all-zero certificate id). A site that
 * still has one synthesizes (the README's first job is `npx cdk synth` of the example), but must never deploy:
 * the stack then carries a CloudFormation rule that fails before any resource is created
 * (lib/constructs/placeholder-guard.ts).
 */

/** AWS's documentation account ids: never a real hospital's. */
const DOCUMENTATION_ACCOUNTS = ['111122223333', '123456789012', '444455556666', '000000000000'];

const PATTERNS: readonly RegExp[] = [
  // vpc-0123456789abcdef0 and friends: the digits and letters in order.
  /\b[a-z]+-0?0123456789abcdef0?\b/g,
  // subnet-0aaaaaaaaaaaaaaa1, rtb-0bbbbbbbbbbbbbbb2, i-0ccccccccccccccc3: one character repeated.
  /\b[a-z]+-0?([0-9a-f])\1{7,}[0-9a-f]?\b/g,
  // certificate/00000000-0000-0000-0000-000000000000
  /\b0{8}-0{4}-0{4}-0{4}-0{12}\b/g,
  // An account id on its own, not the last group of a UUID.
  new RegExp(`(?<![0-9a-f-])(${DOCUMENTATION_ACCOUNTS.join('|')})(?![0-9a-f-])`, 'g'),
];

/** Every placeholder id in a site (any string anywhere in it), each once, in the order found. */
export function findPlaceholderIds(site: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const pattern of PATTERNS) for (const match of value.matchAll(pattern)) found.add(match[0]);
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  visit(site);
  return [...found];
}

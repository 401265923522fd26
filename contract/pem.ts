/**
 * PEM text as both sides see it: the site validation, the CLI and the probes must never store, log or echo
 * private-key material, so they recognise it and describe PEM text without its content.
 */

/** True when the text holds private-key material in PEM form (never to be stored, logged or echoed). */
export function holdsPrivateKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text);
}

/**
 * A description of PEM text that is safe to print: its kinds of blocks only, never their content
 * (`PEM text with 1 CERTIFICATE and 1 PRIVATE KEY block, 1234 characters`).
 */
export function describePemSafely(text: string): string {
  const kinds = new Map<string, number>();
  // The group is not optional, so every match has it.
  for (const [, kind = ''] of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  const blocks = [...kinds].map(([kind, count]) => `${count} ${kind}`).join(' and ');
  return `PEM text with ${blocks || 'no'} block${[...kinds.values()].reduce((a, b) => a + b, 0) === 1 ? '' : 's'}, ${text.length} characters`;
}

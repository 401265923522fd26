/**
 * The version of a controller config, recorded on every audit record so the trail says which config was in
 * force: the first 12 hex digits of the SHA-256 of the config's canonical JSON (object keys sorted at every
 * level, no whitespace), so the same document gives the same version whatever its key order or formatting.
 */
import { createHash } from 'node:crypto';

/** Canonical JSON: keys sorted at every level, arrays in order, no whitespace. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The config's version: 12 hex digits of SHA-256 over its canonical JSON. */
export function configVersion(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 12);
}

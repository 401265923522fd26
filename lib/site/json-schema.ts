/**
 * The site definition as JSON Schema, for editors writing examples/*.json. The committed copy is
 * examples/site.schema.json (a test keeps it current); regenerate it with
 *   npx tsx -e "require('./lib/site/json-schema').writeSiteJsonSchema()"
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { siteSchema } from './schema';

/** Where the committed JSON Schema lives. */
export const SITE_JSON_SCHEMA_PATH = join(__dirname, '..', '..', 'examples', 'site.schema.json');

/** The JSON Schema of what a person writes (input side: optional fields and defaults shown). */
function siteJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(siteSchema, { io: 'input' });
}

/** The JSON Schema as committed: pretty-printed with a trailing newline. */
export function siteJsonSchemaText(): string {
  return `${JSON.stringify(siteJsonSchema(), null, 2)}\n`;
}

/** @public Writes examples/site.schema.json: run by hand through `npx tsx -e` (the command above), so no module imports it. */
export function writeSiteJsonSchema(path = SITE_JSON_SCHEMA_PATH): void {
  writeFileSync(path, siteJsonSchemaText());
}

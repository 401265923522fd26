/**
 * Writes schema/controller-config.v1.schema.json from the zod schema (contract/controller-config.ts).
 * Run: `npx tsx scripts/generate-config-schema.ts` (test/reconcile/config-schema.test.ts fails when the
 * committed file is stale). `--check` exits 1 instead of writing when the file differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ControllerConfigSchema } from '../contract/controller-config';

/** Where the published schema lives, relative to the repository root. */
export const CONFIG_SCHEMA_PATH = join(__dirname, '..', 'schema', 'controller-config.v1.schema.json');

/** The JSON Schema text (input side: fields with defaults are optional), stable formatting. */
export function renderConfigSchema(): string {
  const schema = z.toJSONSchema(ControllerConfigSchema, { io: 'input', unrepresentable: 'any' });
  const published = {
    ...schema,
    $id: 'urn:medlb:schema:controller-config:v1',
    title: 'medlb controller config, version 1',
    description:
      'Generated from contract/controller-config.ts by scripts/generate-config-schema.ts; do not edit. ' +
      'Service names, target names and target ips (per service) must be unique and a target group belongs to one service; ' +
      'those cross-field rules are checked by parseControllerConfig, not by this schema.',
  };
  return `${JSON.stringify(published, null, 2)}\n`;
}

if (require.main === module) {
  const text = renderConfigSchema();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(CONFIG_SCHEMA_PATH, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      process.stderr.write(`${CONFIG_SCHEMA_PATH} is stale: run npx tsx scripts/generate-config-schema.ts\n`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(CONFIG_SCHEMA_PATH, text);
    process.stderr.write(`wrote ${CONFIG_SCHEMA_PATH}\n`);
  }
}

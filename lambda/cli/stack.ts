/**
 * `--stack <name>`: the controller commands against a deployed stack instead of local files. The stack's
 * output `StateTableName` names the DynamoDB state table; the deploy wrote the controller config into that
 * table (item CONFIG/v1, attribute `document`), where the Lambda reads it too. State and overrides then go
 * through the same DynamoDB store as the Lambda's, so an override made here is seen by the next round.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfigFromTable } from '../../contract/config-loader';
import type { ControllerConfig } from '../../contract/controller-config';
import { AUDIT_LOG_GROUP_OUTPUT, AUDIT_LOG_STREAM_OUTPUT, STATE_TABLE_OUTPUT } from '../../contract/state-table';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { AuditLogCopy, withAuditCopy } from '../adapters/audit-log-copy';
import { DynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { awsClientConfig } from '../adapters/aws-client-config';
import { explainMissingRegion } from '../adapters/aws-retry';
import type { StateStore } from '../reconcile/ports';
import { awsOptionsOf, InputFileError, loadConfigFile, openStateStore, requireOption, UsageError } from './common';

/** The stack cannot be used (missing, or without the output this CLI needs). */
class StackLookupError extends InputFileError {}

/** Config and state store of a command, from `--config`/`--state-file` or from `--stack`. */
export interface ControllerInputs {
  readonly config: ControllerConfig;
  readonly store: StateStore;
  /** Where the audit trail is read from (`medlb audit`). */
  readonly audit: AuditLocation;
}

/** The state table of a stack, or the file store's JSON-lines log. */
export type AuditLocation =
  | { readonly kind: 'table'; readonly client: DynamoDBDocumentClient; readonly tableName: string }
  | { readonly kind: 'file'; readonly path: string };

/** Resolves `--stack` or `--config` + `--state-file` (exactly one of the two forms). */
export async function loadControllerInputs(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Promise<ControllerInputs> {
  const stack = values.stack;
  if (stack === undefined) {
    const configPath = requireOption(values, 'config');
    const statePath = requireOption(values, 'state-file');
    const store = openStateStore(statePath);
    return { config: await loadConfigFile(configPath), store, audit: { kind: 'file', path: store.auditPath } };
  }
  if (typeof stack !== 'string' || stack === '') throw new UsageError('--stack needs a stack name');
  if (values.config !== undefined || values['state-file'] !== undefined) {
    throw new UsageError('--stack replaces --config and --state-file; give one form or the other');
  }
  const clientConfig = awsClientConfig(awsOptionsOf(values), env);
  const outputs = await outputsOf(stack, clientConfig);
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- outputsOf refuses a stack without this output, so it is present
  const tableName = outputs.get(STATE_TABLE_OUTPUT)!;
  const documentClient = DynamoDBDocumentClient.from(explainMissingRegion(new DynamoDBClient(clientConfig)));
  const logGroupName = outputs.get(AUDIT_LOG_GROUP_OUTPUT);
  const logStreamName = outputs.get(AUDIT_LOG_STREAM_OUTPUT);
  // Overrides also go to the stack's append-only audit copy (stacks deployed before it existed have none).
  const copy =
    logGroupName && logStreamName ? new AuditLogCopy({ client: explainMissingRegion(new CloudWatchLogsClient(clientConfig)), logGroupName, logStreamName }) : undefined;
  return {
    config: await loadConfigFromTable(documentClient, tableName),
    store: withAuditCopy(new DynamoDbStateStore({ client: documentClient, tableName }), copy),
    audit: { kind: 'table', client: documentClient, tableName },
  };
}

/** The stack's outputs by key; it must have {@link STATE_TABLE_OUTPUT}. */
async function outputsOf(stackName: string, clientConfig: { region?: string; profile?: string }): Promise<Map<string, string>> {
  const client = explainMissingRegion(new CloudFormationClient(clientConfig));
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Stacks?.[0]?.Outputs ?? [];
    const table = outputs.find((o) => o.OutputKey === STATE_TABLE_OUTPUT)?.OutputValue;
    if (!table) {
      throw new StackLookupError(
        `stack ${stackName} has no output ${STATE_TABLE_OUTPUT} (outputs: ${outputs.map((o) => o.OutputKey).join(', ') || 'none'}); is it a medlb stack?`,
      );
    }
    return new Map(outputs.flatMap((o) => (o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue] as const] : [])));
  } catch (err) {
    if (err instanceof StackLookupError) throw err;
    throw new StackLookupError(`stack ${stackName} cannot be described: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    client.destroy();
  }
}

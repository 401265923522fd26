/**
 * Reads the controller config the deploy wrote into the state table: the one loader of the Lambda and of
 * `medlb ... --stack` (docs/architecture.md#controller-config). A strongly consistent read, so a command run
 * right after a deploy sees the new config.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ControllerConfigError, parseControllerConfig, type ControllerConfig } from './controller-config';
import { CONFIG_DOCUMENT_ATTRIBUTE, CONFIG_ITEM_KEY, configItemSource } from './state-table';

/** The config from the state table; a missing item or document is a ControllerConfigError. */
export async function loadConfigFromTable(client: DynamoDBDocumentClient, tableName: string): Promise<ControllerConfig> {
  const source = configItemSource(tableName);
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { ...CONFIG_ITEM_KEY }, ConsistentRead: true }));
  const document: unknown = Item?.[CONFIG_DOCUMENT_ATTRIBUTE];
  if (typeof document !== 'string') {
    throw new ControllerConfigError(source, [{ path: '', message: 'no config document (has the stack been deployed completely?)' }]);
  }
  return parseControllerConfig(document, source);
}

/**
 * Adapter of the client-certificate port (lambda/controller/client-certificates.ts): Secrets Manager
 * GetSecretValue by full secret ARN, SecretString parsed as `{"certificateChain": "<PEM>", "privateKey": "<PEM>"}`
 * (contract/client-certificate.ts). Errors name the secret and what to fix, never the secret's value. Endpoints,
 * region and credentials come from the SDK's chains (`AWS_ENDPOINT_URL_SECRETS_MANAGER` for a local endpoint).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ClientCertificateReference } from '../../contract/check';
import { ClientCertificateError, parseClientCertificateSecret, type ValidClientCertificate } from '../../contract/client-certificate';
import type { ClientCertificateSource } from '../controller/client-certificates';
import { awsClientConfig, type AwsClientOptions } from './aws-client-config';
import { awsErrorCode, explainMissingRegion } from './aws-retry';
import { SECRETS_MANAGER_DEFAULTS } from './secrets-manager-defaults';

/** A Secrets Manager client: `--region`/`--profile`, then the standard SDK environment; few attempts (a round is bounded). */
export function createSecretsManagerClient(options: AwsClientOptions = {}, env: NodeJS.ProcessEnv = process.env): SecretsManagerClient {
  return explainMissingRegion(new SecretsManagerClient({ ...awsClientConfig(options, env), maxAttempts: SECRETS_MANAGER_DEFAULTS.maxAttempts }));
}

/** What to do about a GetSecretValue error, by its code. */
const ADVICE: Readonly<Record<string, (reference: ClientCertificateReference) => string>> = {
  AccessDeniedException: (reference) =>
    reference.kmsKeyArn === undefined
      ? "the caller may not read it: the controller's role gets secretsmanager:GetSecretValue on exactly the configured secret ARNs (redeploy after changing the site); if the secret is encrypted with a customer-managed key, set clientCertificate.kmsKeyArn"
      : "the caller may not read it: the controller's role gets secretsmanager:GetSecretValue on the configured secret and kms:Decrypt on clientCertificate.kmsKeyArn; the key policy must allow the account to delegate to IAM",
  ResourceNotFoundException: () => 'no such secret in this account and region (the ARN must be the full one, with its 6-character suffix)',
  DecryptionFailure: (reference) =>
    reference.kmsKeyArn === undefined
      ? 'Secrets Manager cannot decrypt it with the caller\'s permissions: the secret uses a customer-managed KMS key; set clientCertificate.kmsKeyArn to it'
      : `Secrets Manager cannot decrypt it: is ${reference.kmsKeyArn} the key that encrypts the secret, and does its key policy allow the controller's role?`,
  InvalidRequestException: () => 'the secret is scheduled for deletion or cannot be read now',
};

/** Reads client certificates from Secrets Manager. */
export class SecretsManagerClientCertificates implements ClientCertificateSource {
  constructor(private readonly client: SecretsManagerClient) {}

  async read(reference: ClientCertificateReference, options: { readonly signal?: AbortSignal } = {}): Promise<ValidClientCertificate> {
    const source = `secret ${reference.secretArn}`;
    let secretString: string | undefined;
    try {
      const answer = await this.client.send(new GetSecretValueCommand({ SecretId: reference.secretArn }), options.signal !== undefined ? { abortSignal: options.signal } : {});
      secretString = answer.SecretString;
    } catch (error) {
      const code = awsErrorCode(error);
      const advice = ADVICE[code]?.(reference);
      throw new Error(`cannot read client certificate ${source}: ${code}${advice !== undefined ? `: ${advice}` : `: ${error instanceof Error ? error.message : String(error)}`}`, { cause: error });
    }
    if (secretString === undefined) {
      throw new ClientCertificateError(source, ['the secret has no SecretString (it is a binary secret): store the JSON {"certificateChain": "<PEM>", "privateKey": "<PEM>"} as its text']);
    }
    return parseClientCertificateSecret(secretString, source);
  }
}

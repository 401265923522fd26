/**
 * Who is calling, as AWS sees it: STS `GetCallerIdentity` through the SDK's standard chains (region, credentials,
 * `AWS_ENDPOINT_URL_STS`). It needs no IAM permission, so any valid credentials can answer it. Used to put the
 * verified principal ARN beside the self-asserted operator name on every override's audit record.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, type AwsClientOptions } from './aws-client-config';
import { explainMissingRegion, MissingRegionError } from './aws-retry';
import { propertyOf } from '../../contract/thrown';

/** The caller's identity: verified by STS, or unverified because no credentials (or no region) were configured. */
export type CallerIdentity = { readonly identity: 'verified'; readonly principal: string } | { readonly identity: 'unverified'; readonly why: string };

/** The credentials exist but STS did not confirm them: the command stops rather than record an unverified name. */
class CallerIdentityError extends Error {
  override readonly name = 'CallerIdentityError';
}

/** An STS client: `--region`/`--profile`, then the standard SDK environment. */
export function createStsClient(options: AwsClientOptions = {}, env: NodeJS.ProcessEnv = process.env): STSClient {
  return explainMissingRegion(new STSClient(awsClientConfig(options, env)));
}

/**
 * Asks STS who (and closes the client) the caller is. No credentials or no region anywhere in the SDK's chains → unverified (a local
 * run without AWS); credentials that STS refuses, or an STS that cannot be reached → {@link CallerIdentityError}.
 */
export async function resolveCallerIdentity(client: STSClient): Promise<CallerIdentity> {
  try {
    return await askSts(client);
  } finally {
    client.destroy();
  }
}

async function askSts(client: STSClient): Promise<CallerIdentity> {
  try {
    const { Arn } = await client.send(new GetCallerIdentityCommand({}));
    if (!Arn) throw new CallerIdentityError('STS GetCallerIdentity answered without an Arn');
    return { identity: 'verified', principal: Arn };
  } catch (err) {
    if (err instanceof CallerIdentityError) throw err;
    if (propertyOf(err, 'name') === 'CredentialsProviderError') return { identity: 'unverified', why: 'no AWS credentials' };
    if (err instanceof MissingRegionError) return { identity: 'unverified', why: 'no AWS region' };
    throw new CallerIdentityError(
      `cannot verify the caller with STS GetCallerIdentity (${err instanceof Error ? err.message : String(err)}); ` +
        'fix the credentials, or remove them to record the change as unverified',
      { cause: err },
    );
  }
}

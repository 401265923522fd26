/**
 * Region and profile of an AWS SDK client, chosen like the AWS CLI does: `--region` over the standard chain
 * (`AWS_REGION`, then the profile's `region`), `--profile` over `AWS_PROFILE`. What is not given is left to the
 * SDK's standard chain (aws-retry.ts `regionOptions`): there is no built-in fallback region, so a command never
 * talks to a region nobody chose.
 */
import { regionOptions } from './aws-retry';

/** What a command line may say about the AWS account and region to talk to. */
export interface AwsClientOptions {
  /** Region, e.g. `eu-west-1`. @default the standard SDK chain */
  readonly region?: string;
  /** Named profile of the shared config and credentials files (its credentials and its `region`). @default `AWS_PROFILE`, else `default` */
  readonly profile?: string;
}

/** The `region`/`profile` part of an SDK client's configuration. */
export function awsClientConfig(options: AwsClientOptions = {}, env: NodeJS.ProcessEnv = process.env): { region?: string; profile?: string } {
  return { ...(options.region ? { region: options.region } : regionOptions(env)), ...(options.profile ? { profile: options.profile } : {}) };
}

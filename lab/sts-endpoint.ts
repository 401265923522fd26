/**
 * A local AWS STS endpoint (Query API, XML in STS's 2011-06-15 namespace) answering `GetCallerIdentity` for the
 * access keys it was told about, so `medlb` records a principal ARN without AWS. Only what medlb calls is
 * implemented; an unknown access key is refused as STS refuses it (`InvalidClientTokenId`, 403). Signatures are
 * not verified: the access key id is read from the request's Authorization header.
 */
import { escapeXml, QueryApiError, QueryApiServer, type QueryApi } from './query-api-server';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** One principal the endpoint knows. */
export interface StsEndpointIdentity {
  /** ARN returned as `Arn`, e.g. `arn:aws:iam::111122223333:user/alice`. */
  readonly arn: string;
  /** @default the account in the ARN */
  readonly account?: string;
  /** @default 'AIDA' + the access key id */
  readonly userId?: string;
}

/** One call received (action, the access key id that signed it, outcome). */
export interface StsEndpointCall {
  readonly action: string;
  readonly accessKeyId: string | undefined;
  readonly outcome: string;
}

/** The endpoint. Start it with {@link StsEndpoint.start}; close it with {@link StsEndpoint.close}. */
export class StsEndpoint {
  /** Every call received, in order. */
  readonly calls: StsEndpointCall[] = [];
  private readonly identities = new Map<string, StsEndpointIdentity>();
  private server!: QueryApiServer;

  private constructor() {}

  /** Starts an endpoint on an ephemeral port of a loopback address. @param host @default '127.0.0.1' */
  static async start(host = '127.0.0.1'): Promise<StsEndpoint> {
    const endpoint = new StsEndpoint();
    let accessKeyId: string | undefined;
    const api: QueryApi = {
      contentType: 'text/xml',
      answer: ({ action, requestId, headers }) => {
        accessKeyId = /Credential=([^/,\s]+)\//.exec(headers.authorization ?? '')?.[1];
        return endpoint.answer(action, accessKeyId, requestId);
      },
      errorXml: (error, requestId) =>
        `<ErrorResponse xmlns="${NAMESPACE}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${escapeXml(error.code)}</Code>\n` +
        `    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
      record: (action, _params, outcome) => endpoint.calls.push({ action, accessKeyId, outcome }),
    };
    endpoint.server = await QueryApiServer.start(host, api);
    return endpoint;
  }

  /** The URL to give the SDK (`endpoint` option or `AWS_ENDPOINT_URL_STS`). */
  get endpoint(): string {
    return this.server.endpoint;
  }

  /** Makes requests signed with `accessKeyId` belong to `identity`. */
  putIdentity(accessKeyId: string, identity: StsEndpointIdentity): void {
    this.identities.set(accessKeyId, identity);
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private answer(action: string, accessKeyId: string | undefined, requestId: string): string {
    if (action !== 'GetCallerIdentity') throw new QueryApiError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    const identity = accessKeyId === undefined ? undefined : this.identities.get(accessKeyId);
    if (!identity) throw new QueryApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
    const account = identity.account ?? identity.arn.split(':')[4] ?? '';
    return (
      `<GetCallerIdentityResponse xmlns="${NAMESPACE}">\n  <GetCallerIdentityResult>\n    <Arn>${escapeXml(identity.arn)}</Arn>\n` +
      `    <UserId>${escapeXml(identity.userId ?? `AIDA${accessKeyId}`)}</UserId>\n    <Account>${escapeXml(account)}</Account>\n` +
      `  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`
    );
  }
}

/**
 * A local AWS Secrets Manager endpoint speaking its real JSON protocol (awsJson1_1: POST /, `X-Amz-Target:
 * secretsmanager.GetSecretValue`, `application/x-amz-json-1.1`), so the client-certificate adapter runs against
 * the SDK's own serialization without AWS (`AWS_ENDPOINT_URL_SECRETS_MANAGER`). Only GetSecretValue is
 * implemented, by full ARN or name; an access key told to be denied gets AccessDeniedException as IAM would
 * answer it. Signatures are not verified.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One secret the endpoint holds. */
export interface LocalSecret {
  /** Full ARN, e.g. arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs-client-AbC123. */
  readonly arn: string;
  readonly secretString?: string;
  readonly secretBinary?: Uint8Array;
}

/** One call received: the operation, the SecretId asked for, the access key that signed it, the outcome. */
export interface SecretsManagerCall {
  readonly operation: string;
  readonly secretId: string | undefined;
  readonly accessKeyId: string | undefined;
  readonly outcome: string;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The endpoint. Start it with {@link SecretsManagerEndpoint.start}; close it with {@link SecretsManagerEndpoint.close}. */
export class SecretsManagerEndpoint {
  /** Every call received, in order. */
  readonly calls: SecretsManagerCall[] = [];
  private readonly secrets = new Map<string, LocalSecret>();
  private readonly deniedAccessKeys = new Set<string>();
  private server!: Server;

  private constructor() {}

  /** Starts an endpoint on an ephemeral port of a loopback address. @param host @default '127.0.0.1' */
  static async start(host = '127.0.0.1'): Promise<SecretsManagerEndpoint> {
    const endpoint = new SecretsManagerEndpoint();
    endpoint.server = createServer((req, res) => void endpoint.respond(req, res));
    await new Promise<void>((resolve, reject) => {
      endpoint.server.once('error', reject);
      endpoint.server.listen(0, host, () => resolve());
    });
    return endpoint;
  }

  /** The URL to give the SDK (`endpoint` option or `AWS_ENDPOINT_URL_SECRETS_MANAGER`). */
  get endpoint(): string {
    const { address, port } = this.server.address() as AddressInfo; // eslint-disable-line @typescript-eslint/consistent-type-assertions -- a TCP server listening on a host has an AddressInfo
    return `http://${address}:${port}`;
  }

  /** Stores (or replaces, e.g. a rotation) a secret. */
  putSecret(secret: LocalSecret): void {
    this.secrets.set(secret.arn, secret);
  }

  /** Requests signed with this access key are refused with AccessDeniedException. */
  deny(accessKeyId: string): void {
    this.deniedAccessKeys.add(accessKeyId);
  }

  /** Lifts {@link deny}. */
  allow(accessKeyId: string): void {
    this.deniedAccessKeys.delete(accessKeyId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^secretsmanager\./, '');
    const accessKeyId = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    let secretId: string | undefined;
    let status = 200;
    let body: unknown;
    let outcome = 'ok';
    try {
      const input: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const id: unknown = typeof input === 'object' && input !== null ? Reflect.get(input, 'SecretId') : undefined;
      secretId = typeof id === 'string' ? id : undefined;
      if (operation !== 'GetSecretValue') throw new ApiError('UnknownOperationException', `operation ${target} is not implemented here`);
      if (accessKeyId !== undefined && this.deniedAccessKeys.has(accessKeyId)) {
        throw new ApiError('AccessDeniedException', `User is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretId ?? ''}`);
      }
      const secret = [...this.secrets.values()].find((candidate) => candidate.arn === secretId || nameOf(candidate.arn) === secretId);
      if (!secret) throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      body = {
        ARN: secret.arn,
        Name: nameOf(secret.arn),
        VersionId: randomUUID(),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.now() / 1000),
        ...(secret.secretString !== undefined ? { SecretString: secret.secretString } : {}),
        ...(secret.secretBinary !== undefined ? { SecretBinary: Buffer.from(secret.secretBinary).toString('base64') } : {}),
      };
    } catch (error) {
      status = 400;
      const type = error instanceof ApiError ? error.type : 'InvalidRequestException';
      outcome = type;
      body = { __type: type, message: error instanceof Error ? error.message : String(error) };
    }
    this.calls.push({ operation, secretId, accessKeyId, outcome });
    res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() }).end(JSON.stringify(body));
  }
}

/** The secret's name: the ARN's resource without the 6-character suffix. */
function nameOf(arn: string): string {
  return arn.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '') ?? arn;
}

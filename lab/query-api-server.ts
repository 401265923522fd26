/**
 * The HTTP side of a local AWS Query-API endpoint (form-encoded POST in, XML out), shared by the lab's ELBv2 and
 * EC2 endpoints: each supplies its answers and its API's error envelope; this serves them on loopback.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** An error the endpoint answers with: the AWS error code, its message and HTTP status. */
export class QueryApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** What a local API supplies. */
export interface QueryApi {
  /** The XML body of a successful answer; throws {@link QueryApiError} to answer with an error. */
  answer(request: {
    readonly method: string;
    readonly action: string;
    readonly params: Record<string, string>;
    readonly requestId: string;
    /** The request's headers (e.g. the Authorization header naming the access key). */
    readonly headers: IncomingHttpHeaders;
  }): string;
  /** The API's error envelope for an error. */
  errorXml(error: QueryApiError, requestId: string): string;
  /** Called once per request, after it was answered (`ok` or the error code). */
  record(action: string, params: Record<string, string>, outcome: string): void;
  /** Content type of the answers. */
  readonly contentType: string;
}

/** Serves a {@link QueryApi} on a loopback address and an ephemeral port. */
export class QueryApiServer {
  private constructor(private readonly server: Server) {}

  static async start(host: string, api: QueryApi): Promise<QueryApiServer> {
    const server = createServer((req, res) => void respond(api, req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    return new QueryApiServer(server);
  }

  /** The URL to give the SDK (`endpoint` option or `AWS_ENDPOINT_URL_<SERVICE>`). */
  get endpoint(): string {
    const address = this.server.address();
    // A TCP server that is listening has an address object (a string only for pipes, null before listen).
    if (address === null || typeof address === 'string') throw new Error('the Query API server is not listening on TCP');
    return `http://${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function respond(api: QueryApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    // An IncomingMessage without setEncoding yields Buffers.
    if (!Buffer.isBuffer(chunk)) throw new Error('request body chunk is not a Buffer');
    chunks.push(chunk);
  }
  const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
  const action = params.Action ?? '';
  const requestId = randomUUID();
  let body: string;
  let status = 200;
  let outcome = 'ok';
  try {
    if (req.method !== 'POST') throw new QueryApiError('InvalidAction', 'Query API requests are POSTs here');
    body = api.answer({ method: req.method, action, params, requestId, headers: req.headers });
  } catch (err) {
    const error = err instanceof QueryApiError ? err : new QueryApiError('InternalError', String(err), 500);
    outcome = error.code;
    status = error.status;
    body = api.errorXml(error, requestId);
  }
  api.record(action, params, outcome);
  res.writeHead(status, { 'content-type': api.contentType, 'x-amzn-requestid': requestId });
  res.end(body);
}

const XML_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['&', '&amp;'],
  ["'", '&apos;'],
  ['"', '&quot;'],
]);

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => XML_ESCAPES.get(c) ?? c);
}

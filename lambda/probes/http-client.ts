/**
 * One HTTP/1.1 exchange over a connection opened by the probe context (so connect and TLS failures get the shared,
 * precise reasons), with a bounded body read and phase-specific timeout reasons. Used by the http and xds probes.
 */
import * as http from 'node:http';
import type { ProbeTarget } from './types';
import { ProbeAbort, ProbeFailure } from './probe-failure';
import { type ProbeContext } from './probe-lifecycle';
import { describeTlsAlert } from './tls-alerts';
import type { ClientCertificatePem } from '../../contract/client-certificate';

/** What to send and how much to read. */
export interface HttpExchangeOptions {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Extra request headers; Host, Connection and Content-Length are set here. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Speak HTTP inside TLS. */
  readonly tls: boolean;
  /** Skip certificate verification. @default false */
  readonly insecure?: boolean;
  /** PEM CA certificates trusted instead of the public CAs. @default Node's public CA store */
  readonly ca?: string;
  /** Certificate chain and key presented when the server asks for a client certificate. @default none */
  readonly clientCertificate?: ClientCertificatePem;
  /** Name verified in the certificate and sent as SNI (and as the Host header). @default the target address */
  readonly servername?: string;
  /** Read the body at all; when false the exchange ends with the status line and headers. */
  readonly readBody: boolean;
  /** Stop reading after this many body bytes (the reply is then marked `truncated`). */
  readonly maxBodyBytes: number;
  /** Stop reading early once this returns true for the body read so far (e.g. the expected text was found). */
  readonly stopWhen?: (bodySoFar: Buffer) => boolean;
}

/** The response as far as it was read. */
export interface HttpReply {
  readonly status: number;
  readonly statusText: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body went on beyond `maxBodyBytes` and was not read to the end. */
  readonly truncated: boolean;
}

/** Maps an error of the HTTP client to an operator-facing reason. */
function describeHttpError(err: Error, phase: 'response' | 'body'): string {
  const code = 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (code.startsWith('HPE_')) return `malformed HTTP response (${code})`;
  const alert = describeTlsAlert(err);
  if (alert !== undefined) return alert;
  if (code === 'ECONNRESET') {
    return phase === 'response' ? 'connection closed by peer before HTTP response' : 'connection closed by peer during HTTP body';
  }
  return `HTTP ${phase} failed: ${code || err.message}`;
}

/** Sends one request and reads the response within what is left of the probe's deadline. */
export async function httpExchange(context: ProbeContext, target: ProbeTarget, options: HttpExchangeOptions): Promise<HttpReply> {
  const socket = await context.connect(target, {
    tls: options.tls,
    insecure: options.insecure,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.servername !== undefined ? { servername: options.servername } : {}),
    ...(options.clientCertificate !== undefined ? { clientCertificate: options.clientCertificate } : {}),
    alpnProtocols: options.tls ? ['http/1.1'] : undefined,
  });
  const timeoutMs = context.deadline.phaseMs();
  const signal = context.signal;

  return new Promise<HttpReply>((resolve, reject) => {
    let phase: 'response' | 'body' = 'response';
    let settled = false;
    const timeoutReason = (): string =>
      phase === 'response' ? `no HTTP response within ${timeoutMs} ms` : `HTTP body incomplete after ${timeoutMs} ms`;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      action();
      // The probe reads one response; whatever is left of the connection is not needed.
      request.destroy();
    };
    const fail = (reason: string): void => settle(() => reject(new ProbeFailure(reason)));
    const onAbort = (): void => {
      const abort: unknown = signal.reason;
      fail(abort instanceof ProbeAbort && abort.kind === 'deadline' ? timeoutReason() : 'cancelled');
    };
    const timer = setTimeout(() => fail(timeoutReason()), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = {
      // A virtual host behind a name-only certificate is usually chosen by name too.
      Host: `${options.servername ?? (target.host.includes(':') ? `[${target.host}]` : target.host)}:${target.port}`,
      'User-Agent': 'medlb-probe',
      Connection: 'close',
      'Accept-Encoding': 'identity',
      ...options.headers,
    };
    if (options.body) headers['Content-Length'] = String(options.body.length);

    const request = http.request({
      method: options.method,
      path: options.path,
      headers,
      createConnection: () => socket,
      // Our own limit applies to the body; this one guards the header block.
      maxHeaderSize: 16 * 1024,
    });
    context.onFinish(() => request.destroy());
    request.on('error', (err) => fail(describeHttpError(err, phase)));
    request.on('response', (response) => {
      phase = 'body';
      const reply = (body: Buffer, truncated: boolean): HttpReply => ({
        status: response.statusCode ?? 0,
        statusText: response.statusMessage ?? '',
        headers: response.headers,
        body,
        truncated,
      });
      if (!options.readBody) {
        settle(() => resolve(reply(Buffer.alloc(0), false)));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = options.maxBodyBytes - size;
        const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(kept);
        size += kept.length;
        if (chunk.length > room) {
          settle(() => resolve(reply(Buffer.concat(chunks, size), true)));
          return;
        }
        if (options.stopWhen?.(Buffer.concat(chunks, size))) {
          settle(() => resolve(reply(Buffer.concat(chunks, size), false)));
        }
      });
      response.on('end', () => settle(() => resolve(reply(Buffer.concat(chunks, size), false))));
      response.on('aborted', () => fail('connection closed by peer during HTTP body'));
      response.on('error', (err) => fail(describeHttpError(err, 'body')));
    });
    request.end(options.body);
  });
}

/**
 * HTTP(S) peers for the http/https probe tests: Node's own http/https servers (the https one with a fresh
 * self-signed certificate from `selfsigned`), each on its own loopback address, port 0.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { listenOnLoopback } from './loopback';
import { generate } from 'selfsigned';

/** A certificate and key for a loopback TLS server, with IP SANs so only the self-signing is "wrong". */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

export async function selfSignedCertificate(ip: string): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'medlb-test-peer' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 7, ip }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A test certificate authority (a hospital's internal PKI in miniature). */
export async function testCertificateAuthority(name = 'medlb test hospital CA'): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A server certificate for `ip`, signed by `ca`. */
export async function caSignedCertificate(ip: string, ca: TestCertificate): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'medlb-test-peer' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 7, ip }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * A server certificate signed by `ca` that holds only a DNS name, as hospital PKIs issue them: a probe that
 * reaches the server by IP must be told the name (serverName) to verify it.
 */
export async function dnsNameOnlyCertificate(dnsName: string, ca: TestCertificate): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: dnsName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 2, value: dnsName }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A running server: address, the requests it saw, and close(). */
export interface RunningServer {
  readonly host: string;
  readonly port: number;
  readonly requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }[];
  close(): Promise<void>;
}

/** Text the viewer's home page contains (the `expect` tests look for it). */
export const VIEWER_PAGE_TEXT = 'medlb test viewer: ready';

/**
 * The routes of the viewer peer: `/` 200 with VIEWER_PAGE_TEXT; `/down` 503; `/moved` 302; `/huge` 1 MiB of
 * filler (no VIEWER_PAGE_TEXT) streamed; `/stall` headers then no body; `/not-found` 404.
 */
function viewerHandler(request: http.IncomingMessage, response: http.ServerResponse): void {
  switch (request.url) {
    case '/':
    case '/index.html':
      response.writeHead(200, { 'Content-Type': 'text/html' }).end(`<html><body>${VIEWER_PAGE_TEXT}</body></html>`);
      return;
    case '/down':
      response.writeHead(503, 'Service Unavailable').end('maintenance');
      return;
    case '/moved':
      response.writeHead(302, { Location: '/' }).end();
      return;
    case '/huge': {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      const filler = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = (): void => {
        while (sent < 16 && !response.destroyed) {
          sent += 1;
          if (!response.write(filler)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
      return;
    }
    case '/stall':
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.write('partial ');
      return;
    default:
      response.writeHead(404).end('not found');
  }
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse, body: Buffer) => void;

async function listen(server: http.Server, host: string): Promise<RunningServer> {
  const { port, close } = await listenOnLoopback(server, host);
  return { host, port, requests: [], close };
}

function recording(handler: Handler, requests: () => RunningServer['requests']): http.RequestListener {
  return (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      requests().push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      handler(request, response, body);
    });
  };
}

/** Starts a plain HTTP server on `host`. */
export async function startHttpServer(host: string, handler: Handler = viewerHandler): Promise<RunningServer> {
  // eslint-disable-next-line prefer-const -- the request recorder reads it later, once listen() has assigned it
  let running: RunningServer | undefined;
  const server = http.createServer(recording(handler, () => running!.requests));
  running = await listen(server, host);
  return running;
}

/** Starts an HTTPS server on `host` with a self-signed certificate (made once per call unless given). */
export async function startHttpsServer(
  host: string,
  handler: Handler = viewerHandler,
  certificate?: TestCertificate,
): Promise<RunningServer> {
  const { cert, key } = certificate ?? (await selfSignedCertificate(host));
  // eslint-disable-next-line prefer-const -- the request recorder reads it later, once listen() has assigned it
  let running: RunningServer | undefined;
  const server = https.createServer({ cert, key }, recording(handler, () => running!.requests));
  running = await listen(server, host);
  return running;
}

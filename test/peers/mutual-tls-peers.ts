/**
 * Peers that REQUIRE a client certificate (mutual TLS), as hospital DICOM TLS nodes, XDS secure nodes (IHE ATNA)
 * and client-certificate HTTPS policies do: Node TLS servers with `requestCert` and `rejectUnauthorized`, trusting
 * one client CA. Certificates come from `selfsigned` (EC P-256), made fresh per test file.
 */
import * as https from 'node:https';
import * as tls from 'node:tls';
import { generate } from 'selfsigned';
import { caSignedCertificate, testCertificateAuthority, type TestCertificate } from './http-peers';
import { listenOnLoopback } from './loopback';

/** A client certificate signed by `ca` for TLS client authentication (extended key usage clientAuth). */
export async function clientCertificate(ca: TestCertificate, commonName = 'medlb-controller'): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The PKI of a mutual-TLS test: the CA of the servers, the CA the servers trust for clients, a trusted and an untrusted client. */
export interface MutualTlsPki {
  /** Signs the servers' certificates; the probe trusts it (`caCertificates`). */
  readonly serverCa: TestCertificate;
  /** The servers trust client certificates it signed. */
  readonly clientCa: TestCertificate;
  /** Signed by clientCa: accepted. */
  readonly trustedClient: TestCertificate;
  /** Signed by a CA the servers do not know: refused. */
  readonly untrustedClient: TestCertificate;
}

export async function mutualTlsPki(): Promise<MutualTlsPki> {
  const [serverCa, clientCa, strangerCa] = await Promise.all([
    testCertificateAuthority('medlb test server CA'),
    testCertificateAuthority('medlb test client CA'),
    testCertificateAuthority('somebody else CA'),
  ]);
  const [trustedClient, untrustedClient] = await Promise.all([clientCertificate(clientCa), clientCertificate(strangerCa, 'stranger')]);
  return { serverCa, clientCa, trustedClient, untrustedClient };
}

/** TLS server options that require a client certificate signed by `pki.clientCa`, for a server on `ip`. */
export async function requireClientCertificate(pki: MutualTlsPki, ip: string, maxVersion?: tls.SecureVersion): Promise<tls.TlsOptions> {
  const server = await caSignedCertificate(ip, pki.serverCa);
  return { cert: server.cert, key: server.key, ca: pki.clientCa.cert, requestCert: true, rejectUnauthorized: true, ...(maxVersion ? { maxVersion } : {}) };
}

/** A running mutual-TLS peer and the subjects of the client certificates it accepted. */
export interface MutualTlsPeer {
  readonly host: string;
  readonly port: number;
  readonly acceptedClients: string[];
  close(): Promise<void>;
}

function subjectOf(socket: tls.TLSSocket): string {
  const commonName: string | string[] | undefined = socket.getPeerCertificate().subject?.CN;
  return Array.isArray(commonName) ? commonName.join(',') : (commonName ?? '');
}

/** An HTTPS server (200 "ok" for any path) that requires a client certificate. */
export async function startMutualTlsHttpsServer(host: string, options: tls.TlsOptions): Promise<MutualTlsPeer> {
  const acceptedClients: string[] = [];
  const server = https.createServer(options, (request, response) => {
    acceptedClients.push(subjectOf(request.socket as tls.TLSSocket));
    response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  });
  const listener = await listenOnLoopback(server, host);
  return { host, port: listener.port, acceptedClients, close: () => listener.close() };
}

/** An MLLP/TLS receiver that requires a client certificate and acknowledges every message with AA. */
export async function startMutualTlsMllpPeer(host: string, options: tls.TlsOptions): Promise<MutualTlsPeer> {
  const acceptedClients: string[] = [];
  const server = tls.createServer(options, (socket) => {
    socket.on('error', () => undefined);
    acceptedClients.push(subjectOf(socket));
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\x1c\x0d');
      if (end === -1) return;
      const message = buffered.slice(buffered.indexOf('\x0b') + 1, end);
      buffered = buffered.slice(end + 2);
      const controlId = message.split('\r')[0]?.split('|')[9] ?? '';
      socket.write(`\x0bMSH|^~\\&|PEER|HOSP|MEDLB|MEDLB|20261127120000||ACK^N02^ACK|P1|P|2.5\rMSA|AA|${controlId}\r\x1c\x0d`);
    });
  });
  const listener = await listenOnLoopback(server, host);
  return { host, port: listener.port, acceptedClients, close: () => listener.close() };
}

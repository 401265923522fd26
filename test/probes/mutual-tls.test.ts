/**
 * Mutual TLS against peers that REQUIRE a client certificate: an HTTPS server, an MLLP/TLS receiver and the XDS
 * responder as a secure node. Each passes with the right certificate, and fails with a decoded reason without one
 * and with one the server does not trust. (DCMTK storescp is in test/interop.)
 */
import { probe } from '../../lambda/probes';
import type { CheckSpec, ProbeResult } from '../../lambda/probes/types';
import { mutualTlsPki, requireClientCertificate, startMutualTlsHttpsServer, startMutualTlsMllpPeer, type MutualTlsPeer, type MutualTlsPki } from '../peers/mutual-tls-peers';
import { startXdsResponder, type XdsResponder } from '../peers/xds-responder';
import type { TestCertificate } from '../peers/http-peers';

const HTTPS_HOST = '127.0.41.1';
const MLLP_HOST = '127.0.41.2';
const XDS_HOST = '127.0.41.3';
const TLS12_HOST = '127.0.41.4';

let pki: MutualTlsPki;
const peers: Array<{ close(): Promise<void> }> = [];
let httpsPeer: MutualTlsPeer;
let mllpPeer: MutualTlsPeer;
let xdsPeer: XdsResponder;
let tls12Peer: MutualTlsPeer;

beforeAll(async () => {
  pki = await mutualTlsPki();
  httpsPeer = await startMutualTlsHttpsServer(HTTPS_HOST, await requireClientCertificate(pki, HTTPS_HOST));
  mllpPeer = await startMutualTlsMllpPeer(MLLP_HOST, await requireClientCertificate(pki, MLLP_HOST));
  xdsPeer = await startXdsResponder('healthy', XDS_HOST, await requireClientCertificate(pki, XDS_HOST));
  tls12Peer = await startMutualTlsHttpsServer(TLS12_HOST, await requireClientCertificate(pki, TLS12_HOST, 'TLSv1.2'));
  peers.push(httpsPeer, mllpPeer, xdsPeer, tls12Peer);
});
afterAll(async () => {
  await Promise.all(peers.map((peer) => peer.close()));
});

const withCertificate = (certificate: TestCertificate) => ({ tlsClientCertificate: { certificateChain: certificate.cert, privateKey: certificate.key } });

type Case = { name: string; check: () => CheckSpec; target: () => { host: string; port: number }; healthyReason: RegExp };
const cases: Case[] = [
  {
    name: 'HTTPS (Node https, requestCert + rejectUnauthorized)',
    check: () => ({ protocol: 'https', timeoutMs: 3000, caCertificates: pki.serverCa.cert }),
    target: () => ({ host: httpsPeer.host, port: httpsPeer.port }),
    healthyReason: /^HTTP 200 OK$/,
  },
  {
    name: 'MLLP/TLS',
    check: () => ({ protocol: 'hl7', tls: true, timeoutMs: 3000, caCertificates: pki.serverCa.cert }),
    target: () => ({ host: mllpPeer.host, port: mllpPeer.port }),
    healthyReason: /^ACK MSA-1=AA$/,
  },
  {
    name: 'XDS registry over mutual TLS (a secure node)',
    check: () => ({ protocol: 'xds', tls: true, timeoutMs: 3000, caCertificates: pki.serverCa.cert }),
    target: () => ({ host: xdsPeer.host, port: xdsPeer.port }),
    healthyReason: /^ITI-18 AdhocQueryResponse Success/,
  },
];

describe.each(cases)('$name', ({ check, target, healthyReason }) => {
  it('is healthy with the client certificate the server trusts', async () => {
    const result = await probe(target(), { ...check(), ...withCertificate(pki.trustedClient) });
    expect(result).toMatchObject({ healthy: true });
    expect(result.reason).toMatch(healthyReason);
  });

  it('fails without a client certificate, saying the server requires one (TLS 1.3 certificate_required alert)', async () => {
    const result = await probe(target(), check());
    expect(result).toMatchObject({
      healthy: false,
      reason:
        'TLS handshake failed: the server requires a client certificate and none was presented (alert certificate_required): configure clientCertificate (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)',
    });
  });

  it('fails with a certificate the server does not trust, saying the certificate was presented and the server closed', async () => {
    const result: ProbeResult = await probe(target(), { ...check(), ...withCertificate(pki.untrustedClient) });
    expect(result.healthy).toBe(false);
    expect(result.reason).toMatch(/^(TLS handshake failed: )?connection (closed|reset) by peer.*, right after a TLS handshake in which the client certificate was presented: a server that does not accept the certificate/);
  });
});

describe('a TLS 1.2 server that requires a client certificate', () => {
  const check = (): CheckSpec => ({ protocol: 'https', timeoutMs: 3000, caCertificates: pki.serverCa.cert });
  const target = () => ({ host: tls12Peer.host, port: tls12Peer.port });

  it('is healthy with the trusted certificate and records it', async () => {
    expect(await probe(target(), { ...check(), ...withCertificate(pki.trustedClient) })).toMatchObject({ healthy: true, reason: 'HTTP 200 OK' });
    expect(tls12Peer.acceptedClients).toContain('medlb-controller');
  });

  it('ends the handshake without one: the handshake_failure alert, decoded', async () => {
    const result = await probe(target(), check());
    expect(result.healthy).toBe(false);
    expect(result.reason).toMatch(/^TLS handshake failed: the server ended the handshake \(alert handshake_failure\): with TLS 1.2 this is how a server that requires a client certificate refuses/);
  });

  it('refuses an untrusted certificate before the handshake completes, with the hint', async () => {
    const result = await probe(target(), { ...check(), ...withCertificate(pki.untrustedClient) });
    expect(result.healthy).toBe(false);
    expect(result.reason).toMatch(/^TLS handshake failed: connection (reset|closed) by peer, right after a TLS handshake in which the client certificate was presented/);
  });
});

it('never puts the private key in a reason', async () => {
  const results = await Promise.all(
    cases.map(({ check, target }) => probe(target(), { ...check(), ...withCertificate(pki.untrustedClient) })),
  );
  for (const result of results) expect(result.reason).not.toMatch(/PRIVATE KEY|BEGIN/);
});

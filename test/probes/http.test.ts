import { probe } from '../../lambda/probes';
import type { CheckSpec } from '../../lambda/probes/types';
import type { TLSSocket } from 'node:tls';
import {
  caSignedCertificate,
  dnsNameOnlyCertificate,
  selfSignedCertificate,
  startHttpServer,
  startHttpsServer,
  testCertificateAuthority,
  VIEWER_PAGE_TEXT,
  type RunningServer,
} from '../peers/http-peers';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

const MARGIN_MS = 1500;

describe('https probe against a Node HTTPS server with a self-signed certificate', () => {
  let server: RunningServer;
  const https = (extra: Partial<CheckSpec> = {}): CheckSpec => ({ protocol: 'https', timeoutMs: 2000, ...extra });
  beforeAll(async () => {
    server = await startHttpsServer('127.0.5.1');
  });
  afterAll(() => server.close());
  const target = (): { host: string; port: number } => ({ host: server.host, port: server.port });

  it('fails certificate verification by default, naming the certificate problem', async () => {
    expect(await probe(target(), https())).toMatchObject({
      healthy: false,
      reason: 'TLS handshake failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
    });
  });

  it('is healthy with insecure, and sends a plain GET with Host', async () => {
    expect(await probe(target(), https({ insecure: true }))).toMatchObject({ healthy: true, reason: 'HTTP 200 OK' });
    const request = server.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'GET', url: '/' });
    expect(request.headers.host).toBe(`${server.host}:${server.port}`);
  });

  it('checks the expected text: present → healthy, absent → unhealthy saying how much was read', async () => {
    expect(await probe(target(), https({ insecure: true, expect: VIEWER_PAGE_TEXT }))).toMatchObject({
      healthy: true,
      reason: `HTTP 200 OK, body contains "${VIEWER_PAGE_TEXT}"`,
    });
    const absent = await probe(target(), https({ insecure: true, expect: 'login failed' }));
    expect(absent.healthy).toBe(false);
    expect(absent.reason).toMatch(/^HTTP 200 OK, but the body \(\d+ bytes\) does not contain "login failed"$/);
  });

  it('reads at most its body bound on a huge page, within its timeout', async () => {
    const check = https({ insecure: true, path: '/huge', expect: VIEWER_PAGE_TEXT });
    const startedAt = Date.now();
    const result = await probe(target(), check);
    expect(result).toMatchObject({ healthy: false, reason: `HTTP 200 OK, but the first 262144 bytes of the body does not contain "${VIEWER_PAGE_TEXT}"` });
    expect(Date.now() - startedAt).toBeLessThan(check.timeoutMs + MARGIN_MS);
  });

  it.each([
    ['/down', false, 'HTTP 503 Service Unavailable'],
    ['/not-found', false, 'HTTP 404 Not Found'],
    ['/moved', true, 'HTTP 302 Found'],
  ])('GET %s → healthy %s (%s)', async (path, healthy, reason) => {
    expect(await probe(target(), https({ insecure: true, path }))).toMatchObject({ healthy, reason });
  });

  it('times out a body that never ends, within its timeout', async () => {
    const startedAt = Date.now();
    const result = await probe(target(), https({ insecure: true, path: '/stall', expect: VIEWER_PAGE_TEXT, timeoutMs: 400 }));
    expect(result.healthy).toBe(false);
    expect(result.reason).toMatch(/^HTTP body incomplete after \d+ ms$/);
    expect(Date.now() - startedAt).toBeLessThan(400 + MARGIN_MS);
  });
});

describe('https probe against a server whose certificate an internal CA signed (caCertificates)', () => {
  let server: RunningServer;
  let hospitalCa: { cert: string; key: string };
  const target = (): { host: string; port: number } => ({ host: server.host, port: server.port });
  beforeAll(async () => {
    hospitalCa = await testCertificateAuthority();
    server = await startHttpsServer('127.0.5.6', undefined, await caSignedCertificate('127.0.5.6', hospitalCa));
  });
  afterAll(() => server.close());

  it('is unhealthy with the public CA store: the issuer is unknown', async () => {
    expect(await probe(target(), { protocol: 'https', timeoutMs: 2000 })).toMatchObject({
      healthy: false,
      reason: 'TLS handshake failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    });
  });

  it('is healthy, with verification on, when the hospital CA is trusted', async () => {
    expect(await probe(target(), { protocol: 'https', timeoutMs: 2000, caCertificates: hospitalCa.cert })).toMatchObject({
      healthy: true,
      reason: 'HTTP 200 OK',
    });
  });

  it('is unhealthy when another CA is trusted instead', async () => {
    const otherCa = await testCertificateAuthority('some other CA');
    const result = await probe(target(), { protocol: 'https', timeoutMs: 2000, caCertificates: otherCa.cert });
    expect(result.healthy).toBe(false);
    expect(result.reason).toMatch(/^TLS handshake failed: /);
  });

  it('still checks the name: a CA-signed certificate for another address is refused', async () => {
    const elsewhere = await startHttpsServer('127.0.5.7', undefined, await caSignedCertificate('127.0.5.99', hospitalCa));
    try {
      const result = await probe({ host: elsewhere.host, port: elsewhere.port }, { protocol: 'https', timeoutMs: 2000, caCertificates: hospitalCa.cert });
      expect(result).toMatchObject({ healthy: false, reason: expect.stringMatching(/^TLS handshake failed: .*(IP|altnames|ERR_TLS_CERT_ALTNAME_INVALID)/) });
    } finally {
      await elsewhere.close();
    }
  });

  it('verifies a certificate that names only a DNS name when serverName gives it, and sends that name as SNI and Host', async () => {
    const host = '127.0.5.9';
    const serverNames: Array<string | false | null> = [];
    const named = await startHttpsServer(
      host,
      (request, response) => {
        serverNames.push((request.socket as TLSSocket).servername);
        response.writeHead(200).end('ok');
      },
      await dnsNameOnlyCertificate('viewer.hospital.test', hospitalCa),
    );
    try {
      const check: CheckSpec = { protocol: 'https', timeoutMs: 2000, caCertificates: hospitalCa.cert };
      const withName = await probe({ host, port: named.port }, { ...check, serverName: 'viewer.hospital.test' });
      expect(withName).toMatchObject({ healthy: true, reason: expect.stringMatching(/^HTTP 200/) });
      expect(serverNames).toEqual(['viewer.hospital.test']);
      expect(named.requests[0]!.headers.host).toBe(`viewer.hospital.test:${named.port}`);
      const byAddress = await probe({ host, port: named.port }, check);
      expect(byAddress).toMatchObject({
        healthy: false,
        reason: `TLS handshake failed: the certificate names DNS:viewer.hospital.test, not ${host}; set serverName to one of its DNS names (ERR_TLS_CERT_ALTNAME_INVALID)`,
      });
    } finally {
      await named.close();
    }
  });

  it('a pinned self-signed server certificate can be trusted the same way', async () => {
    const pinned = await selfSignedCertificate('127.0.5.8');
    const selfSigned = await startHttpsServer('127.0.5.8', undefined, pinned);
    try {
      expect(await probe({ host: selfSigned.host, port: selfSigned.port }, { protocol: 'https', timeoutMs: 2000, caCertificates: pinned.cert })).toMatchObject({ healthy: true });
    } finally {
      await selfSigned.close();
    }
  });
});

describe('http probe', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startHttpServer('127.0.5.2');
  });
  afterAll(() => server.close());

  it('is healthy on 200 and unhealthy on 503', async () => {
    const target = { host: server.host, port: server.port };
    expect(await probe(target, { protocol: 'http', timeoutMs: 2000 })).toMatchObject({ healthy: true, reason: 'HTTP 200 OK' });
    expect(await probe(target, { protocol: 'http', timeoutMs: 2000, path: '/down' })).toMatchObject({ healthy: false, reason: 'HTTP 503 Service Unavailable' });
  });

  it('reports a peer that does not speak HTTP, and one that never answers', async () => {
    const sockets: net.Socket[] = [];
    const banner = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.write('\x00\x01garbage\r\n\r\n');
    });
    const silent = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => banner.listen(0, '127.0.5.3', resolve));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.5.4', resolve));
    try {
      let startedAt = Date.now();
      const garbage = await probe({ host: '127.0.5.3', port: (banner.address() as AddressInfo).port }, { protocol: 'http', timeoutMs: 1000 });
      expect(garbage.healthy).toBe(false);
      expect(garbage.reason).toMatch(/^malformed HTTP response \(HPE_\w+\)$/);
      expect(Date.now() - startedAt).toBeLessThan(1000 + MARGIN_MS);
      startedAt = Date.now();
      const quiet = await probe({ host: '127.0.5.4', port: (silent.address() as AddressInfo).port }, { protocol: 'http', timeoutMs: 300 });
      expect(quiet).toMatchObject({ healthy: false, reason: expect.stringMatching(/^no HTTP response within \d+ ms$/) });
      expect(Date.now() - startedAt).toBeLessThan(300 + MARGIN_MS);
    } finally {
      for (const socket of sockets) socket.destroy();
      await Promise.all([banner, silent].map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});

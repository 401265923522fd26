import * as net from 'node:net';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { probe } from '../../lambda/probes';
import { caSignedCertificate, selfSignedCertificate, testCertificateAuthority } from '../peers/http-peers';

const MARGIN_MS = 1500;

function listen(server: net.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

describe('tcp probe', () => {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Read (and drop) what arrives, so a client's close is noticed and close() does not wait on a paused socket.
    socket.resume();
  };
  let plain: net.Server;
  let plainPort: number;
  let secure: tls.Server;
  let securePort: number;
  /** Accepts TCP, never answers the TLS ClientHello. */
  let mute: net.Server;
  let mutePort: number;

  beforeAll(async () => {
    plain = net.createServer(track);
    plainPort = await listen(plain, '127.0.6.1');
    const certificate = await selfSignedCertificate('127.0.6.2');
    secure = tls.createServer({ cert: certificate.cert, key: certificate.key }, track);
    secure.on('tlsClientError', () => undefined);
    securePort = await listen(secure, '127.0.6.2');
    mute = net.createServer(track);
    mutePort = await listen(mute, '127.0.6.3');
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([plain, secure, mute].map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('is healthy when the port accepts a connection', async () => {
    expect(await probe({ host: '127.0.6.1', port: plainPort }, { protocol: 'tcp', timeoutMs: 1000 })).toMatchObject({
      healthy: true,
      reason: 'connected',
    });
  });

  it('reports a refused connection', async () => {
    const closed = net.createServer();
    const port = await listen(closed, '127.0.6.4');
    await new Promise((resolve) => closed.close(resolve));
    expect(await probe({ host: '127.0.6.4', port }, { protocol: 'tcp', timeoutMs: 1000 })).toMatchObject({
      healthy: false,
      reason: 'connection refused',
    });
  });

  it('completes a TLS handshake when asked, and verifies the certificate unless insecure', async () => {
    const insecure = await probe({ host: '127.0.6.2', port: securePort }, { protocol: 'tcp', timeoutMs: 2000, tls: true, insecure: true });
    expect(insecure.healthy).toBe(true);
    expect(insecure.reason).toMatch(/^connected, TLSv1\.[23] handshake complete$/);
    const verified = await probe({ host: '127.0.6.2', port: securePort }, { protocol: 'tcp', timeoutMs: 2000, tls: true });
    expect(verified).toMatchObject({ healthy: false, reason: 'TLS handshake failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)' });
  });

  it('verifies against the check\'s own CA certificates (caCertificates) for TLS-wrapped protocols', async () => {
    const hospitalCa = await testCertificateAuthority();
    const issued = await caSignedCertificate('127.0.6.6', hospitalCa);
    const internal = tls.createServer({ cert: issued.cert, key: issued.key }, track);
    internal.on('tlsClientError', () => undefined);
    const port = await listen(internal, '127.0.6.6');
    try {
      const target = { host: '127.0.6.6', port };
      expect(await probe(target, { protocol: 'tcp', timeoutMs: 2000, tls: true, caCertificates: hospitalCa.cert })).toMatchObject({ healthy: true });
      expect(await probe(target, { protocol: 'tcp', timeoutMs: 2000, tls: true })).toMatchObject({
        healthy: false,
        reason: 'TLS handshake failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
      });
    } finally {
      await new Promise((resolve) => internal.close(resolve));
    }
  });

  it('says "TLS handshake failed" when the peer does not speak TLS, within its timeout', async () => {
    const talker = net.createServer((socket) => {
      track(socket);
      socket.end('220 smtp.example ESMTP ready\r\n');
    });
    const port = await listen(talker, '127.0.6.5');
    try {
      const startedAt = Date.now();
      const result = await probe({ host: '127.0.6.5', port }, { protocol: 'tcp', timeoutMs: 2000, tls: true, insecure: true });
      expect(result.healthy).toBe(false);
      expect(result.reason).toMatch(/^TLS handshake failed: /);
      expect(Date.now() - startedAt).toBeLessThan(2000 + MARGIN_MS);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => talker.close(resolve));
    }
  });

  it('times out a handshake the peer never answers, within its timeout', async () => {
    const startedAt = Date.now();
    const result = await probe({ host: '127.0.6.3', port: mutePort }, { protocol: 'tcp', timeoutMs: 300, tls: true, insecure: true });
    expect(result).toMatchObject({ healthy: false, reason: expect.stringMatching(/^TLS handshake timeout after \d+ ms$/) });
    expect(Date.now() - startedAt).toBeLessThan(300 + MARGIN_MS);
  });

  it('is cancellable, and a signal aborted before the start ends it at once', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await probe({ host: '127.0.6.1', port: plainPort }, { protocol: 'tcp', timeoutMs: 1000 }, { signal: controller.signal })).toMatchObject({
      healthy: false,
      reason: 'cancelled',
    });
    const later = new AbortController();
    setTimeout(() => later.abort(), 30);
    const result = await probe({ host: '127.0.6.3', port: mutePort }, { protocol: 'tcp', timeoutMs: 10_000, tls: true, insecure: true }, { signal: later.signal });
    expect(result).toMatchObject({ healthy: false, reason: 'cancelled' });
    expect(result.latencyMs).toBeLessThan(MARGIN_MS);
  });

  it('rejects an invalid check without throwing', async () => {
    const result = await probe({ host: '', port: 70000 }, { protocol: 'tcp', timeoutMs: 0 });
    expect(result.healthy).toBe(false);
    expect(result.reason).toBe('invalid check: target host is empty; target port 70000 is not 1-65535; timeoutMs 0 is not in 1-300000');
  });
});

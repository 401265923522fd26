import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { probe, PROBE_PROTOCOLS } from '../../lambda/probes';
import type { CheckSpec, ProbeProtocol } from '../../lambda/probes/types';

describe('probe() dispatcher', () => {
  let silent: net.Server;
  let port: number;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.7.1', resolve));
    port = (silent.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('routes every protocol to its probe: each speaks first or waits in its own way', async () => {
    const reasons: Record<string, string> = {};
    for (const protocol of PROBE_PROTOCOLS) {
      const check: CheckSpec = { protocol, timeoutMs: 300, ...(protocol === 'https' ? { insecure: true } : {}) };
      const result = await probe({ host: '127.0.7.1', port }, check);
      reasons[protocol] = result.reason;
      expect(result.healthy).toBe(protocol === 'tcp');
      expect(result.latencyMs).toBeLessThan(300 + 1500);
    }
    expect(reasons.tcp).toBe('connected');
    expect(reasons.hl7).toMatch(/^no ACK within \d+ ms$/);
    expect(reasons.xds).toMatch(/^no HTTP response within \d+ ms$/);
    expect(reasons.http).toMatch(/^no HTTP response within \d+ ms$/);
    expect(reasons.https).toMatch(/^TLS handshake timeout after \d+ ms$/);
    expect(reasons.dicom).not.toBe('connected');
  });

  it('never rejects, even for an unknown protocol', async () => {
    const result = await probe({ host: '127.0.7.1', port }, { protocol: 'smtp' as ProbeProtocol, timeoutMs: 100 });
    expect(result).toEqual({ healthy: false, latencyMs: 0, reason: 'invalid check: unknown protocol "smtp"' });
  });

  it('bounds many concurrent silent probes by one timeout, not one per probe', async () => {
    const startedAt = Date.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => probe({ host: '127.0.7.1', port }, { protocol: 'hl7', timeoutMs: 400 })),
    );
    expect(results.every((result) => !result.healthy)).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(400 + 1500);
  });
});

/**
 * The DICOM C-ECHO probe against real sockets on loopback: dcmjs-dimse's SCP (a real DICOM implementation from
 * npm) for the healthy path and an AE-title rejection, and the adversarial peers of test/peers/dicom-peers.ts
 * for everything that can go wrong. Elapsed-time assertions are hang checks with a generous margin.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { generate } from 'selfsigned';
import { probeDicom } from '../../lambda/probes/dicom';
import { RELEASE_PHASE_SHARE } from '../../lambda/probes/dicom/dicom-defaults';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from '../../lambda/probes/types';
import { startDcmjsDimseScp, startDicomPeer, type DicomPeer, type DicomPeerBehaviour } from '../peers/dicom-peers';

/** Generous slack for a busy 2-core machine: a probe must end within its timeout plus this. */
const HANG_MARGIN_MS = 1500;

/** Each peer gets its own loopback address in 127.0.3.0/24 (other suites use other /24s). */
let nextHostOctet = 1;
const nextHost = (): string => `127.0.3.${nextHostOctet++}`;

/**
 * A timeout reason states the limit the probe waited for; it is what was left of the check's budget, so it
 * lies in 1..`atMost` ms however busy the machine was (the exact figure depends on scheduling and is not asserted).
 */
function expectStatedLimitWithin(reason: string, pattern: RegExp, atMost: number): void {
  const stated = Number(pattern.exec(reason)?.[1]);
  expect(stated).toBeGreaterThanOrEqual(1);
  expect(stated).toBeLessThanOrEqual(atMost);
}

const dicomCheck = (overrides: Partial<CheckSpec> = {}): CheckSpec => ({ protocol: 'dicom', timeoutMs: 1000, ...overrides });

async function timedProbe(target: ProbeTarget, check: CheckSpec, options?: ProbeOptions): Promise<ProbeResult & { elapsedMs: number }> {
  const startedAt = performance.now();
  const result = await probeDicom(target, check, options);
  return { ...result, elapsedMs: performance.now() - startedAt };
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

async function peer(behaviour: DicomPeerBehaviour): Promise<DicomPeer> {
  const started = await startDicomPeer(behaviour, { host: nextHost() });
  closers.push(() => started.close());
  return started;
}

describe('probeDicom against dcmjs-dimse SCP (real peer)', () => {
  let anyAe: { host: string; port: number };
  let strictAe: { host: string; port: number };

  beforeAll(async () => {
    const any = await startDcmjsDimseScp({ host: nextHost() });
    const strict = await startDcmjsDimseScp({ host: nextHost(), calledAeTitle: 'STRICT-SCP' });
    closers.push(() => any.close(), () => strict.close());
    [anyAe, strictAe] = [any, strict];
  });

  it('is healthy with a full Verification round trip', async () => {
    const result = await timedProbe(anyAe, dicomCheck());
    expect(result).toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.latencyMs).toBeLessThan(1000);
  });

  it('is healthy when the called AE title matches', async () => {
    const result = await timedProbe(strictAe, dicomCheck({ calledAeTitle: 'STRICT-SCP' }));
    expect(result).toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
  });

  it('reports the decoded rejection for a wrong called AE title', async () => {
    const result = await timedProbe(strictAe, dicomCheck({ calledAeTitle: 'WRONG' }));
    expect(result).toMatchObject({
      healthy: false,
      reason: 'association rejected (rejected-permanent, service-user: called AE title not recognized)',
    });
  });

  it('runs many probes in parallel, each on its own association', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => probeDicom(anyAe, dicomCheck({ timeoutMs: 5000 }))));
    expect(results.filter((r) => r.healthy)).toHaveLength(20);
  });
});

describe('probeDicom requests', () => {
  it('sends the A-ASSOCIATE-RQ the design prescribes, with default AE titles', async () => {
    const echo = await peer({ kind: 'echo' });
    await expect(probeDicom(echo, dicomCheck())).resolves.toMatchObject({ healthy: true });
    expect(echo.seen.associateRequests).toEqual([
      {
        calledAeTitle: 'ANY-SCP',
        callingAeTitle: 'MEDLB',
        applicationContext: '1.2.840.10008.3.1.1.1',
        presentationContextId: 1,
        abstractSyntax: '1.2.840.10008.1.1',
        transferSyntaxes: ['1.2.840.10008.1.2'],
        maxPduLength: 16384,
        implementationClassUid: expect.stringMatching(/^2\.25\.\d+$/),
        implementationVersionName: 'MEDLB_0_1',
      },
    ]);
    expect(echo.seen.releaseRequests).toBe(1);
  });

  it('uses the configured AE titles and a new message id for every probe', async () => {
    const echo = await peer({ kind: 'echo' });
    const check = dicomCheck({ callingAeTitle: 'ROUTER7', calledAeTitle: 'PACS' });
    for (let i = 0; i < 3; i++) await expect(probeDicom(echo, check)).resolves.toMatchObject({ healthy: true });
    expect(echo.seen.associateRequests.map((rq) => [rq.callingAeTitle, rq.calledAeTitle])).toEqual([
      ['ROUTER7', 'PACS'],
      ['ROUTER7', 'PACS'],
      ['ROUTER7', 'PACS'],
    ]);
    expect(new Set(echo.seen.echoMessageIds).size).toBe(3);
    expect(echo.seen.echoMessageIds.every((id) => id >= 1 && id <= 0xffff)).toBe(true);
  });

  it("fragments the C-ECHO-RQ to honour the peer's maximum PDU length", async () => {
    const echo = await peer({ kind: 'echo', maxPduLength: 32 });
    await expect(probeDicom(echo, dicomCheck())).resolves.toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
    expect(echo.seen.pDataLengths.length).toBeGreaterThan(1);
    expect(Math.max(...echo.seen.pDataLengths)).toBeLessThanOrEqual(32);
  });

  it('reads PDUs split into one-byte writes', async () => {
    const echo = await peer({ kind: 'echo', writeMode: 'split' });
    await expect(probeDicom(echo, dicomCheck({ timeoutMs: 3000 }))).resolves.toMatchObject({ healthy: true });
  });

  it('reads several PDUs merged in one write, reassembling command fragments', async () => {
    const echo = await peer({ kind: 'echo', writeMode: 'merged' });
    await expect(probeDicom(echo, dicomCheck())).resolves.toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
  });

  it('rejects invalid AE titles before connecting, naming every problem', async () => {
    const echo = await peer({ kind: 'echo' });
    const result = await probeDicom(echo, dicomCheck({ callingAeTitle: 'A-VERY-LONG-CALLING-AE', calledAeTitle: 'BAD\\AE' }));
    expect(result.healthy).toBe(false);
    expect(result.reason).toBe(
      'invalid check: calling AE title "A-VERY-LONG-CALLING-AE" is longer than 16 characters; ' +
        'called AE title "BAD\\AE" has characters outside printable ASCII or a backslash',
    );
    expect(echo.seen.associateRequests).toHaveLength(0);
  });
});

describe('probeDicom against adversarial peers', () => {
  /**
   * `reason` is exact where the peer's bytes decide it. Where a timer decides it, the pattern captures the limit the
   * reason states, which must lie within the check's budget (`statedLimitAtMost`): how long
   * the wait actually took on a busy machine is only checked as a hang bound below.
   */
  const cases: Array<{ name: string; behaviour: DicomPeerBehaviour; timeoutMs?: number; reason: string | RegExp; statedLimitAtMost?: number }> = [
    {
      name: 'association rejected: called AE not recognized',
      behaviour: { kind: 'reject', result: 1, source: 1, reason: 7 },
      reason: 'association rejected (rejected-permanent, service-user: called AE title not recognized)',
    },
    {
      name: 'association rejected: transient congestion',
      behaviour: { kind: 'reject', result: 2, source: 3, reason: 1 },
      reason: 'association rejected (rejected-transient, service-provider (presentation): temporary congestion)',
    },
    {
      name: 'association rejected: unknown codes shown as numbers',
      behaviour: { kind: 'reject', result: 9, source: 1, reason: 5 },
      reason: 'association rejected (result 9, service-user: reason 5)',
    },
    {
      name: 'abort after accept',
      behaviour: { kind: 'abort-after-accept', source: 2, reason: 2 },
      reason: 'aborted by peer (service-provider: unexpected PDU)',
    },
    {
      name: 'abort by the service user',
      behaviour: { kind: 'abort-after-accept', source: 0, reason: 0 },
      reason: 'aborted by peer (service-user)',
    },
    {
      name: 'presentation context rejected',
      behaviour: { kind: 'context-rejected', result: 3 },
      reason: 'presentation context not accepted (abstract syntax not supported)',
    },
    {
      name: 'presentation context rejected: transfer syntax',
      behaviour: { kind: 'context-rejected', result: 4 },
      reason: 'presentation context not accepted (transfer syntaxes not supported)',
    },
    { name: 'garbage bytes', behaviour: { kind: 'garbage' }, reason: 'protocol error: unknown PDU type 0xde' },
    {
      name: 'HTTP banner on a DICOM port',
      behaviour: { kind: 'http-banner' },
      reason: 'protocol error: unknown PDU type 0x48 (peer sent text "HTTP/1"..., not DICOM)',
    },
    {
      name: 'silent after accepting TCP',
      behaviour: { kind: 'silent' },
      reason: /^no response to A-ASSOCIATE-RQ within (\d+) ms$/,
      statedLimitAtMost: 1000,
    },
    {
      name: 'slow drip of the A-ASSOCIATE-AC',
      behaviour: { kind: 'slow-drip', intervalMs: 100 },
      reason: /^no response to A-ASSOCIATE-RQ within (\d+) ms \(received A-ASSOCIATE-AC with \d+ of \d+ bytes\)$/,
      statedLimitAtMost: 1000,
    },
    {
      name: 'PDU header claiming ~4 GiB',
      behaviour: { kind: 'huge-pdu', length: 0xfffffff0 },
      reason: 'protocol error: A-ASSOCIATE-AC length 4294967280 exceeds the limit of 65536 bytes',
    },
    { name: 'wrong status', behaviour: { kind: 'wrong-status', status: 0x0110 }, reason: 'C-ECHO status 0x0110' },
    {
      name: 'wrong status with an error comment',
      behaviour: { kind: 'wrong-status', status: 0xa700, errorComment: 'out of resources' },
      reason: 'C-ECHO status 0xa700 (error comment: "out of resources")',
    },
    {
      name: 'close mid-PDU',
      behaviour: { kind: 'close-mid-pdu', bytes: 20 },
      reason: /^connection closed mid-PDU \(A-ASSOCIATE-AC with 14 of \d+ bytes\) before response to A-ASSOCIATE-RQ$/,
    },
    {
      name: 'close inside the PDU header',
      behaviour: { kind: 'close-mid-pdu', bytes: 3 },
      reason: 'connection closed mid-PDU (3 of 6 PDU header bytes) before response to A-ASSOCIATE-RQ',
    },
    {
      name: 'close before any reply',
      behaviour: { kind: 'close-mid-pdu', bytes: 0 },
      reason: 'connection closed by peer before response to A-ASSOCIATE-RQ',
    },
    {
      name: 'no release response',
      behaviour: { kind: 'no-release' },
      reason: /^release timeout: no A-RELEASE-RP within (\d+) ms$/,
      statedLimitAtMost: 1000 * RELEASE_PHASE_SHARE,
    },
  ];

  it.each(cases)('$name → healthy:false with a specific reason, within its timeout', async ({ behaviour, timeoutMs = 1000, reason, statedLimitAtMost }) => {
    const adversary = await peer(behaviour);
    const result = await timedProbe(adversary, dicomCheck({ timeoutMs }));
    expect(result.healthy).toBe(false);
    if (typeof reason === 'string') {
      expect(result.reason).toBe(reason);
    } else {
      expect(result.reason).toMatch(reason);
      if (statedLimitAtMost !== undefined) expectStatedLimitWithin(result.reason, reason, statedLimitAtMost);
    }
    expect(result.elapsedMs).toBeLessThan(timeoutMs + HANG_MARGIN_MS);
  });

  it('wrong message id names both ids, within its timeout', async () => {
    const adversary = await peer({ kind: 'wrong-message-id', offset: 6 });
    const result = await timedProbe(adversary, dicomCheck());
    const sent = adversary.seen.echoMessageIds[0];
    expect(result).toMatchObject({ healthy: false, reason: `wrong message id (got ${(sent! + 6) & 0xffff}, sent ${sent})` });
    expect(result.elapsedMs).toBeLessThan(1000 + HANG_MARGIN_MS);
  });

  it('aborts the association it gives up on, so the peer is not left waiting', async () => {
    const adversary = await peer({ kind: 'wrong-status', status: 0x0110 });
    const result = await timedProbe(adversary, dicomCheck());
    expect(result.elapsedMs).toBeLessThan(1000 + HANG_MARGIN_MS);
    // The A-ABORT is written just before the socket is destroyed; give the peer's event loop a moment.
    for (let i = 0; i < 50 && adversary.seen.aborts === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(adversary.seen.aborts).toBe(1);
    expect(adversary.seen.releaseRequests).toBe(0);
  });
});

describe('probeDicom connection handling', () => {
  it('reports a refused connection', async () => {
    const host = nextHost();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await timedProbe({ host, port }, dicomCheck());
    expect(result).toMatchObject({ healthy: false, reason: 'connection refused' });
  });

  it('is cancelled by an AbortSignal while waiting, promptly', async () => {
    const silent = await peer({ kind: 'silent' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await timedProbe(silent, dicomCheck({ timeoutMs: 10_000 }), { signal: controller.signal });
    expect(result).toMatchObject({ healthy: false, reason: 'cancelled' });
    expect(result.elapsedMs).toBeLessThan(100 + HANG_MARGIN_MS);
  });

  it('does not start when the signal is already aborted', async () => {
    const echo = await peer({ kind: 'echo' });
    const result = await probeDicom(echo, dicomCheck(), { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ healthy: false, reason: 'cancelled' });
    expect(echo.seen.associateRequests).toHaveLength(0);
  });

  it('respects a short overall timeout even when the peer is silent', async () => {
    const silent = await peer({ kind: 'silent' });
    const result = await timedProbe(silent, dicomCheck({ timeoutMs: 150 }));
    expect(result.healthy).toBe(false);
    const timeoutReason = /^no response to A-ASSOCIATE-RQ within (\d+) ms$/;
    expect(result.reason).toMatch(timeoutReason);
    expectStatedLimitWithin(result.reason, timeoutReason, 150);
    expect(result.elapsedMs).toBeLessThan(150 + HANG_MARGIN_MS);
  });
});

describe('probeDicom over DICOM TLS (self-signed certificate)', () => {
  let tlsPeer: { host: string; port: number; close(): Promise<void> };

  beforeAll(async () => {
    const host = nextHost();
    const pems = await generate([{ name: 'commonName', value: host }], { keySize: 2048 });
    tlsPeer = await startDcmjsDimseScp({ host, tls: { key: pems.private, cert: pems.cert } });
  });

  afterAll(async () => {
    await tlsPeer.close();
  });

  it('is unhealthy while the certificate is verified', async () => {
    const result = await timedProbe(tlsPeer, dicomCheck({ tls: true }));
    expect(result.healthy).toBe(false);
    expect(result.reason).toMatch(/^TLS handshake failed: .*self[- ]signed/i);
  });

  it('is healthy with insecure (verification skipped)', async () => {
    const result = await timedProbe(tlsPeer, dicomCheck({ tls: true, insecure: true, timeoutMs: 3000 }));
    expect(result).toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
  });

  it('reports a TLS handshake timeout against a plain DICOM port (it waits for the rest of a "PDU")', async () => {
    const plain = await peer({ kind: 'echo' });
    const result = await timedProbe(plain, dicomCheck({ tls: true, insecure: true }));
    expect(result.healthy).toBe(false);
    const timeoutReason = /^TLS handshake timeout after (\d+) ms$/;
    expect(result.reason).toMatch(timeoutReason);
    expectStatedLimitWithin(result.reason, timeoutReason, 1000);
    expect(result.elapsedMs).toBeLessThan(1000 + HANG_MARGIN_MS);
  });
});

import type { AddressInfo } from 'node:net';
import { Server } from 'node-hl7-server';
import { probe } from '../../lambda/probes';
import { buildProbeMessage, interpretAck } from '../../lambda/probes/hl7';
import type { CheckSpec, ProbeResult } from '../../lambda/probes/types';
import { startHl7Peer, type Hl7Peer, type Hl7PeerMode } from '../peers/hl7-peers';
import { dnsNameOnlyCertificate, selfSignedCertificate, testCertificateAuthority } from '../peers/http-peers';

const TIMEOUT_MS = 800;
/** Hang check, not a benchmark: a probe must end within its timeout plus this margin. */
const MARGIN_MS = 1500;
const check: CheckSpec = { protocol: 'hl7', timeoutMs: TIMEOUT_MS };

type Inbound = ReturnType<Server['createInbound']>;

async function startNodeHl7Server(
  host: string,
  code: 'AA' | 'AE' | 'AR',
  tls?: { cert: string; key: string },
): Promise<{ port: number; inbound: Inbound; messages: string[] }> {
  const server = new Server({ bindAddress: host, ...(tls ? { tls: { cert: tls.cert, key: tls.key, rejectUnauthorized: false } } : {}) });
  const messages: string[] = [];
  const inbound = server.createInbound({ port: 0 }, (request, response) => {
    messages.push(request.getMessage().toString());
    void response.sendResponse(code);
  });
  await new Promise<void>((resolve) => inbound.once('listen', () => resolve()));
  // node-hl7-server has no accessor for the bound port; its listener is the private _socket.
  const port = ((inbound as unknown as { _socket: { address(): AddressInfo } })._socket.address()).port;
  return { port, inbound, messages };
}

async function timed(run: () => Promise<ProbeResult>): Promise<{ result: ProbeResult; elapsedMs: number }> {
  const startedAt = Date.now();
  const result = await run();
  return { result, elapsedMs: Date.now() - startedAt };
}

describe('hl7 probe against node-hl7-server (a real npm MLLP server)', () => {
  const host = '127.0.3.1';
  let peer: Awaited<ReturnType<typeof startNodeHl7Server>>;
  beforeAll(async () => {
    peer = await startNodeHl7Server(host, 'AA');
  });
  afterAll(async () => {
    await peer.inbound.close();
  });

  it('is healthy on its AA acknowledgement, with a unique control id per probe', async () => {
    const first = await probe({ host, port: peer.port }, check);
    const second = await probe({ host, port: peer.port }, { ...check, messageType: 'QRY^A19' });
    expect(first).toMatchObject({ healthy: true, reason: 'ACK MSA-1=AA' });
    expect(second).toMatchObject({ healthy: true, reason: 'ACK MSA-1=AA' });
    const controlIds = peer.messages.map((message) => message.split('\r')[0]!.split('|')[9]);
    expect(new Set(controlIds).size).toBe(2);
    expect(peer.messages[0]).toMatch(/^MSH\|\^~\\&\|MEDLB\|MEDLB\|\|\|\d{14}\+0000\|\|NMD\^N02\|MLB\w+\|P\|2\.5\rNCK\|\d{14}/);
    expect(peer.messages[1]!.split('\r')[0]!.split('|')[8]).toBe('QRY^A19');
  });

  it('sends the MSH-3/4/5/6 and MSH-11 the check names, so the engine can route or filter the probe', async () => {
    const result = await probe(
      { host, port: peer.port },
      {
        ...check,
        sendingApplication: 'MEDLB^1.2.826.0.1.3680043.2.1^ISO',
        sendingFacility: 'RADIOLOGY',
        receivingApplication: 'HL7ENGINE',
        receivingFacility: 'ST-ELSEWHERE',
        processingId: 'T',
      },
    );
    expect(result).toMatchObject({ healthy: true, reason: 'ACK MSA-1=AA' });
    const msh = peer.messages.at(-1)!.split('\r')[0]!.split('|');
    expect(msh.slice(2, 6)).toEqual(['MEDLB^1.2.826.0.1.3680043.2.1^ISO', 'RADIOLOGY', 'HL7ENGINE', 'ST-ELSEWHERE']);
    expect(msh[8]).toBe('NMD^N02');
    expect(msh[10]).toBe('T');
  });

  it('refuses an MSH field holding a separator instead of sending a message the engine would misread', async () => {
    const before = peer.messages.length;
    const result = await probe({ host, port: peer.port }, { ...check, receivingFacility: 'A|B' });
    expect(result).toMatchObject({ healthy: false, reason: expect.stringMatching(/^HL7 receivingFacility has characters outside printable ASCII or one of the separators/) });
    expect(peer.messages.length).toBe(before);
  });

  it('honours acceptCodes: AA is unhealthy when only CA is accepted', async () => {
    const result = await probe({ host, port: peer.port }, { ...check, acceptCodes: ['CA'] });
    expect(result).toMatchObject({ healthy: false, reason: 'ACK MSA-1=AA (accept codes CA)' });
  });

  it('is unhealthy when node-hl7-server answers AR', async () => {
    const rejecting = await startNodeHl7Server('127.0.3.2', 'AR');
    try {
      const result = await probe({ host: '127.0.3.2', port: rejecting.port }, check);
      expect(result.healthy).toBe(false);
      expect(result.reason).toMatch(/^ACK MSA-1=AR \(accept codes AA,CA\)/);
    } finally {
      await rejecting.inbound.close();
    }
  });

  it('speaks MLLP over TLS: healthy with --insecure, a certificate reason with verification on', async () => {
    const tlsHost = '127.0.3.3';
    const certificate = await selfSignedCertificate(tlsHost);
    const secure = await startNodeHl7Server(tlsHost, 'AA', certificate);
    try {
      const insecure = await probe({ host: tlsHost, port: secure.port }, { ...check, tls: true, insecure: true });
      expect(insecure).toMatchObject({ healthy: true, reason: 'ACK MSA-1=AA' });
      const verified = await probe({ host: tlsHost, port: secure.port }, { ...check, tls: true });
      expect(verified.healthy).toBe(false);
      expect(verified.reason).toMatch(/^TLS handshake failed: self[- ]signed certificate/);
    } finally {
      await secure.inbound.close();
    }
  });

  it('verifies a certificate that names only a DNS name when serverName gives it (probed by IP)', async () => {
    const tlsHost = '127.0.3.4';
    const ca = await testCertificateAuthority();
    const secure = await startNodeHl7Server(tlsHost, 'AA', await dnsNameOnlyCertificate('hl7.hospital.test', ca));
    try {
      const trusted = { ...check, tls: true, caCertificates: ca.cert };
      const withName = await probe({ host: tlsHost, port: secure.port }, { ...trusted, serverName: 'hl7.hospital.test' });
      expect(withName).toMatchObject({ healthy: true, reason: 'ACK MSA-1=AA' });
      const byAddress = await probe({ host: tlsHost, port: secure.port }, trusted);
      expect(byAddress).toMatchObject({
        healthy: false,
        reason: `TLS handshake failed: the certificate names DNS:hl7.hospital.test, not ${tlsHost}; set serverName to one of its DNS names (ERR_TLS_CERT_ALTNAME_INVALID)`,
      });
      const wrongName = await probe({ host: tlsHost, port: secure.port }, { ...trusted, serverName: 'pacs.hospital.test' });
      expect(wrongName.reason).toBe('TLS handshake failed: the certificate names DNS:hl7.hospital.test, not pacs.hospital.test; set serverName to one of its DNS names (ERR_TLS_CERT_ALTNAME_INVALID)');
    } finally {
      await secure.inbound.close();
    }
  });
});

describe('hl7 probe against adversarial MLLP peers', () => {
  const cases: ReadonlyArray<[Hl7PeerMode, string | RegExp]> = [
    ['ack-ae', 'ACK MSA-1=AE (accept codes AA,CA): Unknown message type NMD'],
    ['ack-ar', 'ACK MSA-1=AR (accept codes AA,CA): Interface rejects N02'],
    ['wrong-control-id', /^ACK for another control id \(MSA-2 "MLB\w+X", sent "MLB\w+"\)$/],
    ['unframed', 'reply not MLLP-framed (first byte 0x4D, expected 0x0B)'],
    ['silent', /^no ACK within \d+ ms$/],
    ['garbage', 'reply is not an HL7 message (no MSH segment first)'],
    ['oversized', 'MLLP frame exceeds 65536 bytes'],
    ['hash-separators-ae', 'ACK MSA-1=AE (accept codes AA,CA): Queue #3 full retry later'],
    ['close', 'connection closed by peer before ACK'],
    ['no-msa', 'reply has no MSA segment (not an acknowledgement)'],
  ];
  const peers: Hl7Peer[] = [];
  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
  });

  it.each(cases)('%s → unhealthy with a precise reason, within its timeout', async (mode, expected) => {
    const peer = await startHl7Peer(mode, `127.0.3.${10 + cases.findIndex(([name]) => name === mode)}`);
    peers.push(peer);
    const { result, elapsedMs } = await timed(() => probe({ host: peer.host, port: peer.port }, check));
    expect(result.healthy).toBe(false);
    if (typeof expected === 'string') expect(result.reason).toBe(expected);
    else expect(result.reason).toMatch(expected);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(peer.received).toHaveLength(1);
  });

  it.each<[Hl7PeerMode]>([['hash-separators'], ['drip']])('%s → healthy (separators from MSH, reassembly across reads)', async (mode) => {
    const peer = await startHl7Peer(mode, mode === 'drip' ? '127.0.3.30' : '127.0.3.31');
    peers.push(peer);
    const result = await probe({ host: peer.host, port: peer.port }, { ...check, timeoutMs: 3000 });
    expect(result).toMatchObject({ healthy: true, reason: 'ACK MSA-1=AA' });
  });

  it('is cancelled at once through its AbortSignal', async () => {
    const peer = await startHl7Peer('silent', '127.0.3.32');
    peers.push(peer);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const { result, elapsedMs } = await timed(() => probe({ host: peer.host, port: peer.port }, { ...check, timeoutMs: 10_000 }, { signal: controller.signal }));
    expect(result).toMatchObject({ healthy: false, reason: 'cancelled' });
    expect(elapsedMs).toBeLessThan(MARGIN_MS);
  });

  it('refuses a bad message type before connecting', async () => {
    const result = await probe({ host: '127.0.3.33', port: 9 }, { ...check, messageType: 'ADT|A01' });
    expect(result).toMatchObject({ healthy: false, reason: 'HL7 message type "ADT|A01" is not of the form XXX^YYY (e.g. NMD^N02)' });
  });
});

describe('interpretAck', () => {
  const controlId = 'MLB123';
  const ack = (msa: string): Buffer => Buffer.from(`MSH|^~\\&|A|B|C|D|20260101||ACK|1|P|2.5\r${msa}\r`);

  it('accepts CA (enhanced mode commit accept) by default', () => {
    expect(interpretAck(ack(`MSA|CA|${controlId}`), { controlId })).toBe('ACK MSA-1=CA');
  });

  it('reads ERR-3 text when MSA-3 is empty and decodes escapes', () => {
    const reply = ack(`MSA|AE|${controlId}\rERR|||207^Disk \\T\\ queue full^HL70357`);
    expect(() => interpretAck(reply, { controlId })).toThrow('ACK MSA-1=AE (accept codes AA,CA): 207 Disk & queue full HL70357');
  });

  it('builds a message whose MSH-10 is the given control id', () => {
    const message = buildProbeMessage({ controlId: 'X1', now: new Date(Date.UTC(2026, 10, 24, 12, 0, 0)) });
    expect(message).toBe('MSH|^~\\&|MEDLB|MEDLB|||20261124120000+0000||NMD^N02|X1|P|2.5\rNCK|20261124120000+0000\r');
  });
});

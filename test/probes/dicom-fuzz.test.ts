/**
 * Fuzz tests for the DICOM probe's untrusted-input paths: the incremental PDU reader, the PDU parsers, the
 * DIMSE command parser, and the probe end to end against a peer that answers with mutated PDUs.
 * Deterministic (seeded PRNG); a failure names the seed and iteration so it can be replayed.
 * Invariants: only DicomProtocolError escapes, nothing hangs, nothing allocates beyond the PDU bound.
 */
import * as net from 'node:net';
import { probeDicom } from '../../lambda/probes/dicom';
import { MAX_INCOMING_PDU_LENGTH } from '../../lambda/probes/dicom/dicom-defaults';
import { parseCommandSet } from '../../lambda/probes/dicom/dimse';
import { DicomProtocolError, PduReader, type RawPdu } from '../../lambda/probes/dicom/pdu';
import { parseAbort, parseAssociateAc, parseAssociateRj, parsePDataTf } from '../../lambda/probes/dicom/pdu-parse';
import { samplePeerPdus, startDicomPeer, type DicomPeer, type DicomPeerBehaviour } from '../peers/dicom-peers';
import { prng } from './fuzz-helpers';

const SEEDS = [0x5eed0001, 0x5eed0002, 0x5eed0003, 0xdecafbad];
const ITERATIONS_PER_SEED = 500;

/** Runs `body` for every seed and iteration; a failure is rethrown with the seed and iteration in its message. */
function forEachCase(body: (random: () => number, iteration: number) => void): void {
  for (const seed of SEEDS) {
    const random = prng(seed);
    for (let iteration = 0; iteration < ITERATIONS_PER_SEED; iteration++) {
      try {
        body(random, iteration);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(`fuzz failure with seed 0x${seed.toString(16)} at iteration ${iteration}: ${message}`);
      }
    }
  }
}

const int = (random: () => number, below: number): number => Math.floor(random() * below);

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = int(random, 256);
  return bytes;
}

/** Cuts `bytes` into 1..n random chunks. */
function randomChunks(random: () => number, bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const length = 1 + int(random, Math.min(64, bytes.length - offset));
    chunks.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return chunks;
}

function mutate(random: () => number, bytes: Buffer): Buffer {
  const mutated = Buffer.from(bytes);
  const edits = 1 + int(random, 4);
  for (let i = 0; i < edits; i++) {
    const position = int(random, mutated.length);
    switch (int(random, 3)) {
      case 0:
        mutated[position]! ^= 1 << int(random, 8);
        break;
      case 1:
        mutated[position] = int(random, 256);
        break;
      default:
        mutated[position] = [0x00, 0xff, 0x7f, 0x80][int(random, 4)]!;
    }
  }
  return mutated;
}

/** Feeds chunks to a fresh reader; returns the PDUs or the protocol error. Any other throw fails the test. */
function readAll(chunks: Buffer[]): { pdus: RawPdu[]; error?: DicomProtocolError; reader: PduReader } {
  const reader = new PduReader();
  const pdus: RawPdu[] = [];
  for (const chunk of chunks) {
    try {
      pdus.push(...reader.push(chunk));
    } catch (err) {
      if (err instanceof DicomProtocolError) return { pdus, error: err, reader };
      throw err;
    }
    // Bounded memory: whatever stays buffered is less than one maximal PDU (a plain check: this runs per chunk).
    if (reader.bufferedBytes >= MAX_INCOMING_PDU_LENGTH + 6) throw new Error(`reader buffers ${reader.bufferedBytes} bytes`);
  }
  return { pdus, reader };
}

/** Parses a PDU the way the probe would; only DicomProtocolError may escape. */
function parseLikeTheProbe(pdu: RawPdu): void {
  try {
    switch (pdu.type) {
      case 0x02:
        parseAssociateAc(pdu.body);
        break;
      case 0x03:
        parseAssociateRj(pdu.body);
        break;
      case 0x07:
        parseAbort(pdu.body);
        break;
      case 0x04:
        for (const value of parsePDataTf(pdu.body)) if (value.isCommand) parseCommandSet(value.data);
        break;
      default:
        break;
    }
  } catch (err) {
    if (!(err instanceof DicomProtocolError)) throw err;
  }
}

const samples = samplePeerPdus(42);
const corpus = Object.values(samples);
const validStream = Buffer.concat([samples.associateAc, samples.echoResponse, samples.releaseRp]);

describe('PduReader fuzz', () => {
  it('random bytes in random chunks: PDUs or a DicomProtocolError, nothing else, bounded buffering', () => {
    forEachCase((random) => {
      const bytes = randomBytes(random, int(random, 300));
      // Half the time start with a valid type byte so the length and body paths are exercised too.
      if (bytes.length > 0 && random() < 0.5) bytes[0] = 1 + int(random, 7);
      const { pdus } = readAll(randomChunks(random, bytes));
      pdus.forEach(parseLikeTheProbe);
    });
  });

  it('a valid stream split anywhere yields exactly the same PDUs', () => {
    const whole = readAll([validStream]);
    expect(whole.error).toBeUndefined();
    expect(whole.pdus.map((pdu) => pdu.type)).toEqual([0x02, 0x04, 0x06]);
    forEachCase((random) => {
      const split = readAll(randomChunks(random, validStream));
      // Plain comparisons: toEqual on Buffers would dominate the run time of 2000 iterations.
      const same =
        split.error === undefined &&
        split.reader.bufferedBytes === 0 &&
        split.pdus.length === whole.pdus.length &&
        split.pdus.every((pdu, i) => pdu.type === whole.pdus[i]!.type && pdu.body.equals(whole.pdus[i]!.body));
      if (!same) throw new Error(`split stream read differently: ${split.error?.message ?? split.pdus.map((p) => p.type).join(',')}`);
    });
  });

  it('truncated valid PDUs never complete, never throw, and describe what is missing', () => {
    for (const sample of corpus) {
      for (let length = 1; length < sample.length; length++) {
        const { pdus, error, reader } = readAll([sample.subarray(0, length)]);
        expect(error).toBeUndefined();
        expect(pdus).toEqual([]);
        expect(reader.describeIncomplete()).toMatch(/^(\d of 6 PDU header bytes|A-[A-Z-]+ with \d+ of \d+ bytes|P-DATA-TF with \d+ of \d+ bytes)$/);
      }
    }
  });

  it('mutated valid PDUs: reader and parsers throw nothing but DicomProtocolError', () => {
    forEachCase((random) => {
      const sample = corpus[int(random, corpus.length)];
      const { pdus } = readAll(randomChunks(random, mutate(random, sample!)));
      pdus.forEach(parseLikeTheProbe);
    });
  });

  it('mutated PDU bodies go straight to every parser without escaping errors', () => {
    forEachCase((random) => {
      const sample = corpus[int(random, corpus.length)];
      const body = mutate(random, sample!).subarray(6, 6 + int(random, sample!.length));
      for (const type of [0x02, 0x03, 0x04, 0x07]) parseLikeTheProbe({ type, body });
    });
  });

  it('rejects a ~4 GiB length from the 6-byte header alone, allocating nothing near it', () => {
    // Spies call through; they only record the sizes asked for.
    const allocUnsafe = jest.spyOn(Buffer, 'allocUnsafe');
    const alloc = jest.spyOn(Buffer, 'alloc');
    try {
      for (const length of [0xffffffff, 0xfffffff0, 0x80000000, MAX_INCOMING_PDU_LENGTH + 1]) {
        const header = Buffer.from([0x04, 0x00, 0, 0, 0, 0]);
        header.writeUInt32BE(length, 2);
        const reader = new PduReader();
        // Split the header too: the error must come as soon as the length is known.
        expect(reader.push(header.subarray(0, 3))).toEqual([]);
        expect(() => reader.push(header.subarray(3))).toThrow(
          new DicomProtocolError(`P-DATA-TF length ${length} exceeds the limit of ${MAX_INCOMING_PDU_LENGTH} bytes`),
        );
        // A failed reader stays failed.
        expect(() => reader.push(Buffer.from([0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0]))).toThrow(DicomProtocolError);
      }
      const largest = Math.max(0, ...[...allocUnsafe.mock.calls, ...alloc.mock.calls].map(([size]) => size));
      expect(largest).toBeLessThanOrEqual(MAX_INCOMING_PDU_LENGTH + 6);
    } finally {
      allocUnsafe.mockRestore();
      alloc.mockRestore();
    }
  });
});

describe('DIMSE command parser fuzz', () => {
  it('random and mutated command sets throw nothing but DicomProtocolError', () => {
    const command = parsePDataTf(samples.echoResponse.subarray(6))[0]!.data;
    expect(parseCommandSet(command)).toEqual({
      commandField: 0x8030,
      messageIdBeingRespondedTo: 42,
      status: 0,
      errorComment: 'fuzz',
    });
    forEachCase((random) => {
      const input = random() < 0.5 ? mutate(random, command) : randomBytes(random, int(random, 120));
      try {
        parseCommandSet(input.subarray(0, int(random, input.length + 1)));
      } catch (err) {
        if (!(err instanceof DicomProtocolError)) throw err;
      }
    });
  });
});

describe('probeDicom fuzz (end to end)', () => {
  let replies: Buffer[] = [];
  let next = 0;
  const sockets = new Set<net.Socket>();
  const host = '127.0.3.200';
  let port = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const reply = replies[next++ % replies.length];
    // Answer the first bytes (the A-ASSOCIATE-RQ) with the whole scripted reply.
    socket.once('data', () => socket.write(reply!));
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const timeoutMs = 400;
  async function probeAll(scripted: Buffer[]): Promise<Array<{ healthy: boolean; reason: string; latencyMs: number }>> {
    replies = scripted;
    next = 0;
    const startedAt = Date.now();
    const results = await Promise.all(scripted.map(() => probeDicom({ host, port }, { protocol: 'dicom', timeoutMs })));
    expect(Date.now() - startedAt).toBeLessThan(timeoutMs + 2000);
    for (const result of results) {
      expect(result.reason).not.toMatch(/internal error/);
      expect(result.latencyMs).toBeLessThan(timeoutMs + 1500);
    }
    return results;
  }

  it('mutated replies never make the probe throw, hang or outlive its timeout', async () => {
    const random = prng(0xfeedf00d);
    const results = await probeAll(Array.from({ length: 30 }, () => mutate(random, validStream)));
    for (const result of results) expect(typeof result.healthy).toBe('boolean');
  });

  it('truncated replies are never healthy', async () => {
    const random = prng(0xfeedf00e);
    const results = await probeAll(Array.from({ length: 15 }, () => validStream.subarray(0, int(random, validStream.length))));
    expect(results.filter((result) => result.healthy)).toEqual([]);
  });
});

describe('probeDicom fuzz (end to end): message ids, statuses and release paths', () => {
  type ScriptedEcho = Extract<DicomPeerBehaviour, { kind: 'scripted-echo' }>;
  // Generous: every phase gets a share of it, and 48 concurrent cases on a loaded two-core machine must not turn a
  // scripted status into "no C-ECHO-RSP within N ms". Only the 'ignore' release cases wait it out.
  const timeoutMs = 4_000;
  const CASES = 48;
  /** Statuses a C-ECHO-RSP may carry (PS3.7 C.4: warnings, failures, cancel, pending) plus random codes. */
  const NON_SUCCESS_STATUSES = [0x0001, 0x0107, 0x0110, 0x0112, 0x0122, 0x0210, 0x0211, 0xa700, 0xa900, 0xc000, 0xfe00, 0xff00, 0xff01];
  const RELEASES: ReadonlyArray<ScriptedEcho['release']> = ['reply', 'collision', 'ignore', 'abort'];

  /** Half the cases answer correctly at each step, so healthy and every kind of failure occur. */
  function drawCase(random: () => number): ScriptedEcho {
    const pick = <T>(values: readonly T[]): T => values[int(random, values.length)]!;
    return {
      kind: 'scripted-echo',
      messageIdOffset: random() < 0.5 ? 0 : 1 + int(random, 0xffff),
      status: random() < 0.5 ? 0x0000 : random() < 0.8 ? pick(NON_SUCCESS_STATUSES) : 1 + int(random, 0xffff),
      release: pick(RELEASES),
    };
  }

  /** What the probe must conclude, from the case alone: the first step that goes wrong decides the reason. */
  function expectedOutcome(scripted: ScriptedEcho, sentMessageId: number): { healthy: boolean; reason: string | RegExp } {
    if (scripted.messageIdOffset !== 0) {
      return { healthy: false, reason: `wrong message id (got ${(sentMessageId + scripted.messageIdOffset) & 0xffff}, sent ${sentMessageId})` };
    }
    if (scripted.status !== 0x0000) return { healthy: false, reason: `C-ECHO status 0x${scripted.status.toString(16).padStart(4, '0')}` };
    switch (scripted.release) {
      case 'reply':
      case 'collision':
        return { healthy: true, reason: 'C-ECHO status 0x0000' };
      case 'ignore':
        return { healthy: false, reason: /^release timeout: no A-RELEASE-RP within \d+ ms$/ };
      case 'abort':
        return { healthy: false, reason: 'aborted by peer (service-user) during release' };
    }
  }

  const peers: DicomPeer[] = [];
  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
  });

  it('is healthy exactly when the message id matches, the status is 0x0000 and the release is clean', async () => {
    const random = prng(0xc0ffee01);
    const scripted = Array.from({ length: CASES }, () => drawCase(random));
    // The draw must reach every path, or the fuzz proves less than it claims.
    expect(scripted.some((c) => c.messageIdOffset === 0 && c.status === 0 && (c.release === 'reply' || c.release === 'collision'))).toBe(true);
    expect(scripted.some((c) => c.messageIdOffset !== 0)).toBe(true);
    expect(scripted.some((c) => c.messageIdOffset === 0 && c.status !== 0)).toBe(true);
    for (const release of ['ignore', 'abort', 'collision'] as const) {
      expect(scripted.some((c) => c.messageIdOffset === 0 && c.status === 0 && c.release === release)).toBe(true);
    }

    for (const behaviour of scripted) peers.push(await startDicomPeer(behaviour, { host: '127.0.3.201' }));
    const startedAt = Date.now();
    const results = await Promise.all(peers.map((peer) => probeDicom(peer, { protocol: 'dicom', timeoutMs })));
    expect(Date.now() - startedAt).toBeLessThan(timeoutMs + 2000);

    results.forEach((result, i) => {
      const [sent] = peers[i]!.seen.echoMessageIds;
      const expected = expectedOutcome(scripted[i]!, sent!);
      const context = `case ${i} ${JSON.stringify(scripted[i])} → ${result.reason}`;
      expect({ context, healthy: result.healthy }).toEqual({ context, healthy: expected.healthy });
      if (typeof expected.reason === 'string') expect({ context, reason: result.reason }).toEqual({ context, reason: expected.reason });
      else expect(result.reason).toMatch(expected.reason);
      expect(result.latencyMs).toBeLessThan(timeoutMs + 1500);
    });
  });
});

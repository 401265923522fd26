/**
 * DICOM upper-layer PDUs (PS3.8 section 9.3): the PDU and item types, the protocol error, and an incremental
 * reader that cuts a TCP byte stream into PDUs. Encoders for what an association requestor sends are in
 * pdu-encode.ts, parsers for what it receives in pdu-parse.ts.
 *
 * Every parser works on untrusted bytes: it checks each length against what is actually there and throws
 * only {@link DicomProtocolError}. Nothing is allocated from a length field before that length is checked.
 */
import { MAX_INCOMING_PDU_LENGTH } from './dicom-defaults';

/** PDU types (PS3.8 Table 9-11). */
export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PDataTf: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

const PDU_NAMES: Record<number, string> = {
  0x01: 'A-ASSOCIATE-RQ',
  0x02: 'A-ASSOCIATE-AC',
  0x03: 'A-ASSOCIATE-RJ',
  0x04: 'P-DATA-TF',
  0x05: 'A-RELEASE-RQ',
  0x06: 'A-RELEASE-RP',
  0x07: 'A-ABORT',
};

/** Human name of a PDU type, e.g. "A-ASSOCIATE-AC", or "PDU type 0x47" for an unknown one. */
export function pduName(type: number): string {
  return PDU_NAMES[type] ?? `PDU type 0x${hex2(type)}`;
}

/** Item types inside A-ASSOCIATE-RQ/AC (PS3.8 9.3.2, 9.3.3; PS3.7 Annex D). */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  ImplementationVersionName: 0x55,
} as const;

/** The peer broke the DICOM upper-layer protocol; `detail` says how (without the "protocol error" prefix). */
export class DicomProtocolError extends Error {
  constructor(readonly detail: string) {
    super(`protocol error: ${detail}`);
    this.name = 'DicomProtocolError';
  }
}

/** One PDU as read from the wire: its type and its variable field (everything after the 6-byte header). */
export interface RawPdu {
  readonly type: number;
  readonly body: Buffer;
}

/** One presentation data value of a P-DATA-TF. */
export interface PresentationDataValue {
  readonly presentationContextId: number;
  /** True for a command set fragment, false for a data set fragment. */
  readonly isCommand: boolean;
  /** True for the last fragment of the command or data set. */
  readonly isLast: boolean;
  readonly data: Buffer;
}

export const PDU_HEADER_LENGTH = 6;
export const MAX_AE_TITLE_LENGTH = 16;
export const PROTOCOL_VERSION = 0x0001;

// ---------------------------------------------------------------------------------------------------------
// Incremental reader

/**
 * Cuts a byte stream into PDUs. Chunks may split a PDU anywhere (even inside the header) or carry several.
 * A PDU whose length field exceeds `maxPduLength`, or whose type is unknown, is a {@link DicomProtocolError}
 * raised from the header alone: the reader never allocates more than `maxPduLength` + 6 bytes per PDU.
 * After an error the reader stays failed and rethrows it.
 */
export class PduReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private failure: DicomProtocolError | undefined;

  /** @param maxPduLength largest accepted length field, in bytes. @default MAX_INCOMING_PDU_LENGTH */
  constructor(private readonly maxPduLength: number = MAX_INCOMING_PDU_LENGTH) {}

  /** Bytes received but not yet returned as a complete PDU. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds one chunk; returns every PDU it completes, in order. Throws only DicomProtocolError. */
  push(chunk: Uint8Array): RawPdu[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const complete: RawPdu[] = [];
    try {
      for (;;) {
        const header = this.peekHeader();
        if (!header) break;
        if (this.buffered < PDU_HEADER_LENGTH + header.length) break;
        const whole = this.take(PDU_HEADER_LENGTH + header.length);
        complete.push({ type: header.type, body: whole.subarray(PDU_HEADER_LENGTH) });
      }
    } catch (err) {
      this.failure = err instanceof DicomProtocolError ? err : new DicomProtocolError(String(err));
      this.chunks.length = 0;
      this.buffered = 0;
      throw this.failure;
    }
    return complete;
  }

  /**
   * What an incomplete PDU at the end of the stream looked like, for the "closed mid-PDU" reason;
   * undefined when nothing is pending.
   */
  describeIncomplete(): string | undefined {
    if (this.buffered === 0) return undefined;
    if (this.buffered < PDU_HEADER_LENGTH) {
      return `${this.buffered} of ${PDU_HEADER_LENGTH} PDU header bytes`;
    }
    const header = this.readHeaderBytes();
    const length = header.readUInt32BE(2);
    return `${pduName(header.readUInt8(0))} with ${this.buffered - PDU_HEADER_LENGTH} of ${length} bytes`;
  }

  private peekHeader(): { type: number; length: number } | undefined {
    if (this.buffered === 0) return undefined;
    // The type byte alone tells a non-DICOM peer (an HTTP banner, garbage) apart: fail before waiting for more.
    const type = this.firstChunk().readUInt8(0);
    if (!(type in PDU_NAMES)) throw new DicomProtocolError(describeUnknownStart(this.readHeaderBytes()));
    if (this.buffered < PDU_HEADER_LENGTH) return undefined;
    const header = this.readHeaderBytes();
    const length = header.readUInt32BE(2);
    if (length > this.maxPduLength) {
      throw new DicomProtocolError(
        `${pduName(type)} length ${length} exceeds the limit of ${this.maxPduLength} bytes`,
      );
    }
    return { type, length };
  }

  /** The oldest buffered chunk; push() queues only non-empty chunks, so it has at least one byte. */
  private firstChunk(): Buffer {
    const first = this.chunks[0];
    // Every caller checks `buffered` first, and `buffered` counts exactly the queued bytes.
    if (first === undefined) throw new DicomProtocolError('internal: PDU reader has no buffered chunk');
    return first;
  }

  /** Up to the first 6 buffered bytes, copied only when the header spans chunks. */
  private readHeaderBytes(): Buffer {
    const first = this.firstChunk();
    if (first.length >= PDU_HEADER_LENGTH || this.chunks.length === 1) {
      return first.subarray(0, PDU_HEADER_LENGTH);
    }
    const wanted = Math.min(PDU_HEADER_LENGTH, this.buffered);
    const header = Buffer.alloc(wanted);
    let copied = 0;
    for (const chunk of this.chunks) {
      copied += chunk.copy(header, copied, 0, Math.min(chunk.length, wanted - copied));
      if (copied === wanted) break;
    }
    return header;
  }

  /** Removes exactly `count` buffered bytes (count <= buffered) and returns them as one buffer. */
  private take(count: number): Buffer {
    const first = this.firstChunk();
    if (first.length >= count) {
      const taken = first.subarray(0, count);
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      this.buffered -= count;
      return taken;
    }
    const taken = Buffer.allocUnsafe(count);
    let copied = 0;
    while (copied < count) {
      const chunk = this.firstChunk();
      const wanted = count - copied;
      if (chunk.length <= wanted) {
        chunk.copy(taken, copied);
        copied += chunk.length;
        this.chunks.shift();
      } else {
        chunk.copy(taken, copied, 0, wanted);
        this.chunks[0] = chunk.subarray(wanted);
        copied += wanted;
      }
    }
    this.buffered -= count;
    return taken;
  }
}

/** Describes bytes that cannot start a PDU; quotes them when they look like text (e.g. an HTTP banner). */
function describeUnknownStart(start: Buffer): string {
  const printable = start.every((byte) => byte >= 0x20 && byte < 0x7f);
  const quoted = printable ? ` (peer sent text ${JSON.stringify(start.toString('latin1'))}..., not DICOM)` : '';
  return `unknown PDU type 0x${hex2(start.readUInt8(0))}${quoted}`;
}


/** A byte as two hex digits. */
export function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

/**
 * DICOM upper-layer PDUs (PS3.8 section 9.3): encoders for what an association requestor sends, parsers for
 * what it receives, and an incremental reader that cuts a TCP byte stream into PDUs.
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
const ItemType = {
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

const PDU_HEADER_LENGTH = 6;
const MAX_AE_TITLE_LENGTH = 16;
const PROTOCOL_VERSION = 0x0001;

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
    return `${pduName(header[0])} with ${this.buffered - PDU_HEADER_LENGTH} of ${length} bytes`;
  }

  private peekHeader(): { type: number; length: number } | undefined {
    if (this.buffered === 0) return undefined;
    // The type byte alone tells a non-DICOM peer (an HTTP banner, garbage) apart: fail before waiting for more.
    const type = this.chunks[0][0];
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

  /** Up to the first 6 buffered bytes, copied only when the header spans chunks. */
  private readHeaderBytes(): Buffer {
    const first = this.chunks[0];
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
    const first = this.chunks[0];
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
      const chunk = this.chunks[0];
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
  return `unknown PDU type 0x${hex2(start[0])}${quoted}`;
}

// ---------------------------------------------------------------------------------------------------------
// Encoders

/** What an A-ASSOCIATE-RQ proposes: one presentation context and the requestor's user information. */
export interface AssociateRequest {
  /** Calling AE title (1..16 characters, validated by the caller). */
  readonly callingAeTitle: string;
  /** Called AE title (1..16 characters, validated by the caller). */
  readonly calledAeTitle: string;
  /** Application context name UID. */
  readonly applicationContext: string;
  /** Odd presentation context id, 1..255. */
  readonly presentationContextId: number;
  /** Abstract syntax (SOP class) UID. */
  readonly abstractSyntax: string;
  /** Proposed transfer syntax UIDs, at least one. */
  readonly transferSyntaxes: readonly string[];
  /** Largest P-DATA-TF variable field this side accepts (0 = unlimited). */
  readonly maxPduLength: number;
  /** Implementation Class UID. */
  readonly implementationClassUid: string;
  /** Implementation Version Name (at most 16 characters). */
  readonly implementationVersionName: string;
}

/** Encodes an A-ASSOCIATE-RQ PDU (PS3.8 9.3.2). */
export function encodeAssociateRq(request: AssociateRequest): Buffer {
  const presentationContext = item(
    ItemType.PresentationContextRq,
    Buffer.concat([
      Buffer.from([request.presentationContextId, 0, 0, 0]),
      item(ItemType.AbstractSyntax, ascii(request.abstractSyntax)),
      ...request.transferSyntaxes.map((uid) => item(ItemType.TransferSyntax, ascii(uid))),
    ]),
  );
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(request.maxPduLength >>> 0);
  const userInformation = item(
    ItemType.UserInformation,
    Buffer.concat([
      item(ItemType.MaxLength, maxLength),
      item(ItemType.ImplementationClassUid, ascii(request.implementationClassUid)),
      item(ItemType.ImplementationVersionName, ascii(request.implementationVersionName)),
    ]),
  );
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(PROTOCOL_VERSION, 0);
  aeTitleField(request.calledAeTitle).copy(fixed, 4);
  aeTitleField(request.callingAeTitle).copy(fixed, 20);
  return pdu(
    PduType.AssociateRq,
    Buffer.concat([fixed, item(ItemType.ApplicationContext, ascii(request.applicationContext)), presentationContext, userInformation]),
  );
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

/** PDV item overhead: 4-byte item length + context id + message control header. */
const PDV_OVERHEAD = 6;

/**
 * Encodes a command set as P-DATA-TF PDUs that each respect the peer's maximum PDU length
 * (0 = unlimited), fragmenting the command across PDVs when it does not fit in one.
 */
export function encodeCommandPData(presentationContextId: number, command: Buffer, peerMaxPduLength: number): Buffer[] {
  const room = peerMaxPduLength > 0 ? peerMaxPduLength - PDV_OVERHEAD : command.length;
  // A peer announcing a maximum too small for any PDV is broken; still send progress rather than loop forever.
  const fragmentLength = Math.max(2, Math.min(room, command.length));
  const pdus: Buffer[] = [];
  for (let offset = 0; offset < command.length; offset += fragmentLength) {
    const data = command.subarray(offset, offset + fragmentLength);
    const isLast = offset + fragmentLength >= command.length;
    pdus.push(encodePDataTf([{ presentationContextId, isCommand: true, isLast, data }]));
  }
  return pdus;
}

/** Encodes a P-DATA-TF PDU (PS3.8 9.3.5) holding the given PDVs. */
function encodePDataTf(values: readonly PresentationDataValue[]): Buffer {
  const items = values.map((value) => {
    const header = Buffer.alloc(PDV_OVERHEAD);
    header.writeUInt32BE(value.data.length + 2, 0);
    header[4] = value.presentationContextId;
    header[5] = (value.isCommand ? 0x01 : 0) | (value.isLast ? 0x02 : 0);
    return Buffer.concat([header, value.data]);
  });
  return pdu(PduType.PDataTf, Buffer.concat(items));
}

/** Encodes an A-RELEASE-RQ PDU (PS3.8 9.3.6). */
export function encodeReleaseRq(): Buffer {
  return pdu(PduType.ReleaseRq, Buffer.alloc(4));
}

/** Encodes an A-RELEASE-RP PDU (PS3.8 9.3.7), used to answer a release collision. */
export function encodeReleaseRp(): Buffer {
  return pdu(PduType.ReleaseRp, Buffer.alloc(4));
}

/** Encodes an A-ABORT PDU (PS3.8 9.3.8); the probe aborts as service-user (source 0, reason 0). */
export function encodeAbort(source = 0, reason = 0): Buffer {
  return pdu(PduType.Abort, Buffer.from([0, 0, source, reason]));
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(PDU_HEADER_LENGTH);
  header[0] = type;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function item(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value]);
}

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** AE title field: 16 bytes, space padded (PS3.8 9.3.2). */
function aeTitleField(title: string): Buffer {
  return Buffer.from(title.padEnd(MAX_AE_TITLE_LENGTH, ' ').slice(0, MAX_AE_TITLE_LENGTH), 'latin1');
}

// ---------------------------------------------------------------------------------------------------------
// Parsers

/** Presentation context results of an A-ASSOCIATE-AC (PS3.8 Table 9-18). */
export const PresentationContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** One presentation context item of an A-ASSOCIATE-AC. */
export interface AcceptedPresentationContext {
  readonly id: number;
  readonly result: number;
  /** Transfer syntax UID chosen by the acceptor; only meaningful when result is acceptance. */
  readonly transferSyntax: string | undefined;
}

/** The parts of an A-ASSOCIATE-AC the probe uses. */
export interface AssociateAccept {
  readonly protocolVersion: number;
  readonly applicationContext: string | undefined;
  readonly presentationContexts: readonly AcceptedPresentationContext[];
  /** Peer's maximum P-DATA-TF variable field length; 0 or undefined = unlimited. */
  readonly maxPduLength: number | undefined;
  readonly implementationClassUid: string | undefined;
  readonly implementationVersionName: string | undefined;
}

interface Item {
  readonly type: number;
  readonly value: Buffer;
}

/** Splits a run of items (1-byte type, 1 reserved, 2-byte big-endian length). */
function readItems(bytes: Buffer, where: string): Item[] {
  const items: Item[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 4) throw new DicomProtocolError(`truncated item header in ${where}`);
    const type = bytes[offset];
    const length = bytes.readUInt16BE(offset + 2);
    const end = offset + 4 + length;
    if (end > bytes.length) {
      throw new DicomProtocolError(
        `item 0x${hex2(type)} in ${where} claims ${length} bytes, only ${bytes.length - offset - 4} present`,
      );
    }
    items.push({ type, value: bytes.subarray(offset + 4, end) });
    offset = end;
  }
  return items;
}

/** UIDs and names are padded with NUL or space to even length; strip that. */
function uidText(value: Buffer): string {
  return value.toString('latin1').replace(/[\0 ]+$/, '');
}

/** Parses the variable field of an A-ASSOCIATE-AC (PS3.8 9.3.3). */
export function parseAssociateAc(body: Buffer): AssociateAccept {
  if (body.length < 68) {
    throw new DicomProtocolError(`A-ASSOCIATE-AC too short (${body.length} bytes, at least 68 expected)`);
  }
  const protocolVersion = body.readUInt16BE(0);
  let applicationContext: string | undefined;
  const presentationContexts: AcceptedPresentationContext[] = [];
  let maxPduLength: number | undefined;
  let implementationClassUid: string | undefined;
  let implementationVersionName: string | undefined;
  for (const { type, value } of readItems(body.subarray(68), 'A-ASSOCIATE-AC')) {
    switch (type) {
      case ItemType.ApplicationContext:
        applicationContext = uidText(value);
        break;
      case ItemType.PresentationContextAc: {
        if (value.length < 4) throw new DicomProtocolError('truncated presentation context item in A-ASSOCIATE-AC');
        const transfer = readItems(value.subarray(4), 'presentation context item').find(
          (sub) => sub.type === ItemType.TransferSyntax,
        );
        presentationContexts.push({
          id: value[0],
          result: value[2],
          transferSyntax: transfer ? uidText(transfer.value) : undefined,
        });
        break;
      }
      case ItemType.UserInformation:
        for (const sub of readItems(value, 'user information item')) {
          if (sub.type === ItemType.MaxLength) {
            if (sub.value.length !== 4) {
              throw new DicomProtocolError(`maximum length sub-item has ${sub.value.length} bytes, 4 expected`);
            }
            maxPduLength = sub.value.readUInt32BE(0);
          } else if (sub.type === ItemType.ImplementationClassUid) {
            implementationClassUid = uidText(sub.value);
          } else if (sub.type === ItemType.ImplementationVersionName) {
            implementationVersionName = uidText(sub.value);
          }
          // Other sub-items (asynchronous operations, role selection, user identity...) do not matter here.
        }
        break;
      default:
        // PS3.8 9.3.1: unknown items are ignored.
        break;
    }
  }
  return {
    protocolVersion,
    applicationContext,
    presentationContexts,
    maxPduLength,
    implementationClassUid,
    implementationVersionName,
  };
}

/** The three codes of an A-ASSOCIATE-RJ (PS3.8 9.3.4). */
export interface AssociateReject {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
}

/** Parses the variable field of an A-ASSOCIATE-RJ. */
export function parseAssociateRj(body: Buffer): AssociateReject {
  if (body.length < 4) throw new DicomProtocolError(`A-ASSOCIATE-RJ too short (${body.length} of 4 bytes)`);
  return { result: body[1], source: body[2], reason: body[3] };
}

/** Source and reason of an A-ABORT (PS3.8 9.3.8). */
export interface Abort {
  readonly source: number;
  readonly reason: number;
}

/** Parses the variable field of an A-ABORT. */
export function parseAbort(body: Buffer): Abort {
  if (body.length < 4) throw new DicomProtocolError(`A-ABORT too short (${body.length} of 4 bytes)`);
  return { source: body[2], reason: body[3] };
}

/** Parses the PDV items of a P-DATA-TF (PS3.8 9.3.5). */
export function parsePDataTf(body: Buffer): PresentationDataValue[] {
  const values: PresentationDataValue[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < 4) throw new DicomProtocolError('truncated PDV item length in P-DATA-TF');
    const length = body.readUInt32BE(offset);
    if (length < 2) throw new DicomProtocolError(`PDV item length ${length} in P-DATA-TF is below 2`);
    if (length > body.length - offset - 4) {
      throw new DicomProtocolError(
        `PDV item claims ${length} bytes, only ${body.length - offset - 4} present in P-DATA-TF`,
      );
    }
    const control = body[offset + 5];
    values.push({
      presentationContextId: body[offset + 4],
      isCommand: (control & 0x01) !== 0,
      isLast: (control & 0x02) !== 0,
      data: body.subarray(offset + 6, offset + 4 + length),
    });
    offset += 4 + length;
  }
  if (values.length === 0) throw new DicomProtocolError('P-DATA-TF without any PDV item');
  return values;
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

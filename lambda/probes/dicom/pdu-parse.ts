/**
 * Parsers of the DICOM upper-layer PDUs an association requestor receives (PS3.8 section 9.3). Every parser
 * works on untrusted bytes: it checks each length against what is actually there and throws only
 * {@link DicomProtocolError}. Nothing is allocated from a length field before that length is checked.
 */
import { DicomProtocolError, ItemType, hex2, type PresentationDataValue } from './pdu';

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
    const type = bytes.readUInt8(offset);
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
          id: value.readUInt8(0),
          result: value.readUInt8(2),
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
  return { result: body.readUInt8(1), source: body.readUInt8(2), reason: body.readUInt8(3) };
}

/** Source and reason of an A-ABORT (PS3.8 9.3.8). */
export interface Abort {
  readonly source: number;
  readonly reason: number;
}

/** Parses the variable field of an A-ABORT. */
export function parseAbort(body: Buffer): Abort {
  if (body.length < 4) throw new DicomProtocolError(`A-ABORT too short (${body.length} of 4 bytes)`);
  return { source: body.readUInt8(2), reason: body.readUInt8(3) };
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
    const control = body.readUInt8(offset + 5);
    values.push({
      presentationContextId: body.readUInt8(offset + 4),
      isCommand: (control & 0x01) !== 0,
      isLast: (control & 0x02) !== 0,
      data: body.subarray(offset + 6, offset + 4 + length),
    });
    offset += 4 + length;
  }
  if (values.length === 0) throw new DicomProtocolError('P-DATA-TF without any PDV item');
  return values;
}

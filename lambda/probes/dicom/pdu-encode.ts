/** Encoders of the DICOM upper-layer PDUs an association requestor sends (PS3.8 section 9.3). */
import { ItemType, MAX_AE_TITLE_LENGTH, PDU_HEADER_LENGTH, PROTOCOL_VERSION, PduType, type PresentationDataValue } from './pdu';

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

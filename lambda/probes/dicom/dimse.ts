/**
 * DIMSE command sets for C-ECHO (PS3.7 9.3.5), encoded in Implicit VR Little Endian as PS3.7 6.3.1 requires
 * for every command set, whatever transfer syntax the presentation context uses for data sets.
 */
import { VERIFICATION_SOP_CLASS_UID } from './dicom-defaults';
import { DicomProtocolError } from './pdu';

/** Command Field values (PS3.7 E.1). */
export const CommandField = { CEchoRq: 0x0030, CEchoRsp: 0x8030 } as const;

/** Command Data Set Type value meaning "no data set follows" (PS3.7 E.1). */
const NO_DATA_SET = 0x0101;

/** Element numbers in group 0000 (PS3.7 Annex E). */
const Element = {
  CommandGroupLength: 0x0000,
  AffectedSopClassUid: 0x0002,
  CommandField: 0x0100,
  MessageId: 0x0110,
  MessageIdBeingRespondedTo: 0x0120,
  CommandDataSetType: 0x0800,
  Status: 0x0900,
  ErrorComment: 0x0902,
} as const;

/** Encodes a C-ECHO-RQ command set with the given Message ID (1..65535). */
export function encodeCEchoRq(messageId: number): Buffer {
  const elements = Buffer.concat([
    element(Element.AffectedSopClassUid, uidValue(VERIFICATION_SOP_CLASS_UID)),
    element(Element.CommandField, uint16(CommandField.CEchoRq)),
    element(Element.MessageId, uint16(messageId)),
    element(Element.CommandDataSetType, uint16(NO_DATA_SET)),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(elements.length);
  return Buffer.concat([element(Element.CommandGroupLength, groupLength), elements]);
}

/** The parts of a DIMSE response command set the probe checks. */
export interface DimseResponse {
  readonly commandField: number | undefined;
  readonly messageIdBeingRespondedTo: number | undefined;
  readonly status: number | undefined;
  /** Error Comment (0000,0902), when the peer explains a failure status. */
  readonly errorComment: string | undefined;
}

/**
 * Parses a command set (Implicit VR Little Endian, group 0000). Elements of other groups are a protocol
 * error; unknown group-0000 elements are skipped. Throws only DicomProtocolError.
 */
export function parseCommandSet(command: Buffer): DimseResponse {
  let commandField: number | undefined;
  let messageIdBeingRespondedTo: number | undefined;
  let status: number | undefined;
  let errorComment: string | undefined;
  let offset = 0;
  while (offset < command.length) {
    if (command.length - offset < 8) throw new DicomProtocolError('truncated element header in DIMSE command set');
    const group = command.readUInt16LE(offset);
    const elementNumber = command.readUInt16LE(offset + 2);
    const length = command.readUInt32LE(offset + 4);
    if (group !== 0x0000) {
      throw new DicomProtocolError(`DIMSE command set holds element (${hex4(group)},${hex4(elementNumber)})`);
    }
    if (length > command.length - offset - 8) {
      throw new DicomProtocolError(
        `DIMSE element (0000,${hex4(elementNumber)}) claims ${length} bytes, only ${command.length - offset - 8} present`,
      );
    }
    const value = command.subarray(offset + 8, offset + 8 + length);
    switch (elementNumber) {
      case Element.CommandField:
        commandField = readUint16(value, elementNumber);
        break;
      case Element.MessageIdBeingRespondedTo:
        messageIdBeingRespondedTo = readUint16(value, elementNumber);
        break;
      case Element.Status:
        status = readUint16(value, elementNumber);
        break;
      case Element.ErrorComment:
        errorComment = value.toString('latin1').replace(/[\0 ]+$/, '');
        break;
      default:
        break;
    }
    offset += 8 + length;
  }
  return { commandField, messageIdBeingRespondedTo, status, errorComment };
}

function readUint16(value: Buffer, elementNumber: number): number {
  if (value.length !== 2) {
    throw new DicomProtocolError(`DIMSE element (0000,${hex4(elementNumber)}) has ${value.length} bytes, 2 expected`);
  }
  return value.readUInt16LE(0);
}

function element(elementNumber: number, value: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0x0000, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.writeUInt32LE(value.length, 4);
  return Buffer.concat([header, value]);
}

function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

/** UI values are padded to even length with a NUL (PS3.5 6.2). */
function uidValue(uid: string): Buffer {
  return Buffer.from(uid.length % 2 === 0 ? uid : `${uid}\0`, 'latin1');
}

/** Four hex digits, e.g. "0110"; statuses are reported as 0x0110. */
export function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}

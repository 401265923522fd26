/**
 * The lab's stand-in for a PACS node: a DICOM Verification SCP (PS3.8 upper layer, PS3.7 C-ECHO) that accepts
 * an association only for the site's called AE titles, as a PACS does, and answers every C-ECHO-RQ with
 * Success. Enough for the controller's dicom check and for `echoscu` (DCMTK) through a lab VIP; any other
 * SOP class is refused in the association (abstract syntax not supported), so a C-STORE fails visibly.
 */
import type { Socket } from 'node:net';

const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';
const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1234.9.1';
const IMPLEMENTATION_VERSION = 'MEDLB_LAB';
/** The largest PDU this SCP accepts; a peer announcing a larger one is aborted (PS3.8 9.3.1). */
const MAX_PDU_LENGTH = 64 * 1024;
const C_ECHO_RQ = 0x0030;
const C_ECHO_RSP = 0x8030;

/** Presentation-context results (PS3.8 9.3.3.2). */
const CONTEXT_RESULT = { acceptance: 0, abstractSyntaxNotSupported: 3, transferSyntaxesNotSupported: 4 } as const;

/** Options of the SCP. */
export interface DicomEchoScpOptions {
  /**
   * Called AE titles this node answers to; an association to any other is rejected with "called AE title not
   * recognized" (PS3.8 9.3.4: permanent, service user, reason 7). Empty: any called AE title is accepted.
   */
  readonly calledAeTitles: readonly string[];
}

interface ProposedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

/** The connection handler of the SCP: one association per connection, several C-ECHOs in it. */
export function dicomEchoScp(options: DicomEchoScpOptions): (socket: Socket) => void {
  return (socket) => {
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    let accepted: Map<number, string> | undefined;
    let command = Buffer.alloc(0);
    const abort = (): void => {
      socket.end(pdu(0x07, Buffer.from([0, 0, 2, 0])));
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 6) {
        const length = buffered.readUInt32BE(2);
        if (length > MAX_PDU_LENGTH) {
          abort();
          return;
        }
        if (buffered.length < 6 + length) return;
        const type = buffered.readUInt8(0);
        const body = buffered.subarray(6, 6 + length);
        buffered = buffered.subarray(6 + length);
        switch (type) {
          case 0x01: {
            const request = parseAssociateRequest(body);
            if (!request) {
              abort();
              return;
            }
            const called = request.calledAeTitle;
            if (options.calledAeTitles.length > 0 && !options.calledAeTitles.includes(called)) {
              socket.end(pdu(0x03, Buffer.from([0, 1, 1, 7])));
              return;
            }
            const answer = associateAccept(request.raw, request.contexts);
            accepted = answer.accepted;
            socket.write(answer.pdu);
            break;
          }
          case 0x04:
            if (!accepted) {
              abort();
              return;
            }
            for (const pdv of readPdvs(body)) {
              // Only command fragments carry a C-ECHO; a data set cannot follow one.
              if ((pdv.control & 0x01) === 0) continue;
              command = Buffer.concat([command, pdv.data]);
              if ((pdv.control & 0x02) === 0) continue;
              const response = echoResponseFor(command);
              command = Buffer.alloc(0);
              if (!response || !accepted.has(pdv.contextId)) {
                abort();
                return;
              }
              socket.write(pdu(0x04, pdvItem(pdv.contextId, 0x03, response)));
            }
            break;
          case 0x05:
            socket.end(pdu(0x06, Buffer.alloc(4)));
            return;
          case 0x07:
            socket.destroy();
            return;
          default:
            abort();
            return;
        }
      }
    });
    socket.on('error', () => undefined);
  };
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
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

function pdvItem(contextId: number, control: number, data: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt32BE(data.length + 2, 0);
  header[4] = contextId;
  header[5] = control;
  return Buffer.concat([header, data]);
}

function uid(value: Buffer): string {
  return value.toString('latin1').replace(/[\0 ]+$/, '');
}

/** Sub-items of an item list; undefined when a length runs past the end (a malformed PDU). */
function items(bytes: Buffer): { type: number; value: Buffer }[] | undefined {
  const found: { type: number; value: Buffer }[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    if (offset + 4 > bytes.length) return undefined;
    const length = bytes.readUInt16BE(offset + 2);
    if (offset + 4 + length > bytes.length) return undefined;
    found.push({ type: bytes.readUInt8(offset), value: bytes.subarray(offset + 4, offset + 4 + length) });
    offset += 4 + length;
  }
  return found;
}

function parseAssociateRequest(body: Buffer): { calledAeTitle: string; raw: Buffer; contexts: ProposedContext[] } | undefined {
  if (body.length < 68) return undefined;
  const variable = items(body.subarray(68));
  if (!variable) return undefined;
  const contexts: ProposedContext[] = [];
  for (const { type, value } of variable) {
    if (type !== 0x20 || value.length < 4) continue;
    const sub = items(value.subarray(4));
    if (!sub) return undefined;
    contexts.push({
      id: value.readUInt8(0),
      abstractSyntax: uid(sub.find((s) => s.type === 0x30)?.value ?? Buffer.alloc(0)),
      transferSyntaxes: sub.filter((s) => s.type === 0x40).map((s) => uid(s.value)),
    });
  }
  return { calledAeTitle: body.subarray(4, 20).toString('latin1').trim(), raw: body, contexts };
}

/** A-ASSOCIATE-AC: Verification accepted in the first transfer syntax we speak; everything else refused. */
function associateAccept(request: Buffer, contexts: readonly ProposedContext[]): { pdu: Buffer; accepted: Map<number, string> } {
  const accepted = new Map<number, string>();
  const results = contexts.map((context) => {
    const syntax = [IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN].find((ts) => context.transferSyntaxes.includes(ts));
    let result: number = CONTEXT_RESULT.acceptance;
    if (context.abstractSyntax !== VERIFICATION_SOP_CLASS) result = CONTEXT_RESULT.abstractSyntaxNotSupported;
    else if (!syntax) result = CONTEXT_RESULT.transferSyntaxesNotSupported;
    else accepted.set(context.id, syntax);
    return item(0x21, Buffer.concat([Buffer.from([context.id, 0, result, 0]), item(0x40, Buffer.from(syntax ?? IMPLICIT_VR_LITTLE_ENDIAN, 'latin1'))]));
  });
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  // Called and calling AE titles are returned as received (PS3.8 9.3.3).
  request.copy(fixed, 4, 4, 36);
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(MAX_PDU_LENGTH);
  const userInformation = item(
    0x50,
    Buffer.concat([item(0x51, maxLength), item(0x52, Buffer.from(IMPLEMENTATION_CLASS_UID, 'latin1')), item(0x55, Buffer.from(IMPLEMENTATION_VERSION, 'latin1'))]),
  );
  return { pdu: pdu(0x02, Buffer.concat([fixed, item(0x10, Buffer.from(APPLICATION_CONTEXT, 'latin1')), ...results, userInformation])), accepted };
}

function readPdvs(body: Buffer): { contextId: number; control: number; data: Buffer }[] {
  const values: { contextId: number; control: number; data: Buffer }[] = [];
  for (let offset = 0; offset + 6 <= body.length; ) {
    const length = body.readUInt32BE(offset);
    if (length < 2 || offset + 4 + length > body.length) break;
    values.push({ contextId: body.readUInt8(offset + 4), control: body.readUInt8(offset + 5), data: body.subarray(offset + 6, offset + 4 + length) });
    offset += 4 + length;
  }
  return values;
}

/** Elements of a command set (always Implicit VR Little Endian, PS3.7 6.3.1). */
function commandElements(command: Buffer): Map<number, Buffer> {
  const elements = new Map<number, Buffer>();
  for (let offset = 0; offset + 8 <= command.length; ) {
    const element = command.readUInt16LE(offset + 2);
    const length = command.readUInt32LE(offset + 4);
    if (offset + 8 + length > command.length) break;
    elements.set(element, command.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return elements;
}

/** The C-ECHO-RSP (Success) for a C-ECHO-RQ command set; undefined for any other command. */
function echoResponseFor(command: Buffer): Buffer | undefined {
  const elements = commandElements(command);
  const field = elements.get(0x0100);
  const messageId = elements.get(0x0110);
  if (field?.length !== 2 || field.readUInt16LE(0) !== C_ECHO_RQ || messageId?.length !== 2) return undefined;
  const element = (number: number, value: Buffer) => {
    const header = Buffer.alloc(8);
    header.writeUInt16LE(number, 2);
    header.writeUInt32LE(value.length, 4);
    return Buffer.concat([header, value]);
  };
  const us = (value: number) => {
    const bytes = Buffer.alloc(2);
    bytes.writeUInt16LE(value);
    return bytes;
  };
  const body = Buffer.concat([
    element(0x0002, Buffer.from(`${VERIFICATION_SOP_CLASS}\0`, 'latin1')),
    element(0x0100, us(C_ECHO_RSP)),
    element(0x0120, messageId),
    element(0x0800, us(0x0101)),
    element(0x0900, us(0x0000)),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  return Buffer.concat([element(0x0000, groupLength), body]);
}

/**
 * Adversarial DICOM peers for the probe tests: each is a real TCP server on its own loopback address (port 0)
 * that misbehaves in one precise way. The PDU bytes are written here by hand, independently of
 * lambda/probes/dicom, so a bug in the probe's codec cannot hide behind the same bug in its test peer.
 *
 * The well-behaved `echo` behaviour exists only to exercise split and merged TCP reads; interoperability is
 * tested against real SCPs (dcmjs-dimse here, DCMTK and Orthanc in test/interop).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { listenOnLoopback } from './loopback';

/** How a peer (mis)behaves. */
export type DicomPeerBehaviour =
  /** Answers A-ASSOCIATE-RQ with A-ASSOCIATE-RJ carrying these codes. */
  | { readonly kind: 'reject'; readonly result: number; readonly source: number; readonly reason: number }
  /** Accepts, then answers the C-ECHO-RQ with A-ABORT (source, reason). */
  | { readonly kind: 'abort-after-accept'; readonly source: number; readonly reason: number }
  /** Accepts the association but rejects the Verification presentation context with this result (1..4). */
  | { readonly kind: 'context-rejected'; readonly result: number }
  /** Sends bytes that are no PDU as soon as the client connects. */
  | { readonly kind: 'garbage' }
  /** Answers the first bytes with an HTTP error response, as a web server on the wrong port would. */
  | { readonly kind: 'http-banner' }
  /** Accepts the TCP connection and never sends a byte. */
  | { readonly kind: 'silent' }
  /** Sends a valid A-ASSOCIATE-AC one byte every `intervalMs`. */
  | { readonly kind: 'slow-drip'; readonly intervalMs: number }
  /** Sends a PDU header announcing an A-ASSOCIATE-AC of `length` bytes, then a trickle of body. */
  | { readonly kind: 'huge-pdu'; readonly length: number }
  /** A correct round trip, except that C-ECHO-RSP carries this status and error comment. */
  | { readonly kind: 'wrong-status'; readonly status: number; readonly errorComment?: string }
  /** A correct round trip, except that C-ECHO-RSP answers the request's message id plus `offset` (mod 65536). */
  | { readonly kind: 'wrong-message-id'; readonly offset: number }
  /** Sends the first `bytes` bytes of an A-ASSOCIATE-AC, then closes. */
  | { readonly kind: 'close-mid-pdu'; readonly bytes: number }
  /** Answers association and C-ECHO correctly but never answers A-RELEASE-RQ. */
  | { readonly kind: 'no-release' }
  /**
   * Each step scripted (the end-to-end fuzz draws these): C-ECHO-RSP answers the request's message id plus
   * `messageIdOffset` (mod 65536) with `status`; A-RELEASE-RQ is answered as `release` says: `reply` with
   * A-RELEASE-RP, `collision` with an A-RELEASE-RQ of its own and then A-RELEASE-RP (PS3.8 7.2.2), `ignore` not at
   * all, `abort` with an A-ABORT.
   */
  | {
      readonly kind: 'scripted-echo';
      readonly messageIdOffset: number;
      readonly status: number;
      readonly release: 'reply' | 'collision' | 'ignore' | 'abort';
    }
  /**
   * A correct round trip. `split`: every PDU written one byte per write; `merged`: the C-ECHO-RSP cut into
   * two command fragments in two P-DATA-TF PDUs, both sent in one write. `maxPduLength` is announced in the AC.
   */
  | { readonly kind: 'echo'; readonly writeMode?: 'whole' | 'split' | 'merged'; readonly maxPduLength?: number };

/** A running peer; `close()` stops it and destroys every connection. */
export interface DicomPeer {
  readonly host: string;
  readonly port: number;
  /** What the peer saw: one entry per A-ASSOCIATE-RQ and C-ECHO-RQ, for assertions on the probe's requests. */
  readonly seen: {
    readonly associateRequests: AssociateRequestSeen[];
    /** Every P-DATA-TF PDU length received (to check fragmentation against the announced maximum). */
    readonly pDataLengths: number[];
    readonly echoMessageIds: number[];
    releaseRequests: number;
    aborts: number;
  };
  close(): Promise<void>;
}

/** The fields of an A-ASSOCIATE-RQ the tests look at. */
export interface AssociateRequestSeen {
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContext: string;
  readonly presentationContextId: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: string[];
  readonly maxPduLength: number | undefined;
  readonly implementationClassUid: string | undefined;
  readonly implementationVersionName: string | undefined;
}

/** Options for a peer: where to listen and optional TLS. */
export interface DicomPeerOptions {
  /** Loopback address to listen on, one per peer. */
  readonly host: string;
  /** Port to listen on (a pool's servers share one, as a target group's targets do). @default 0, an ephemeral port */
  readonly port?: number;
  /** Serve DICOM TLS with this key and certificate. @default plain TCP */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** Starts a peer on `options.host`, at `options.port` or an ephemeral port. */
export async function startDicomPeer(behaviour: DicomPeerBehaviour, options: DicomPeerOptions): Promise<DicomPeer> {
  const timers = new Set<NodeJS.Timeout>();
  const seen: DicomPeer['seen'] = {
    associateRequests: [],
    pDataLengths: [],
    echoMessageIds: [],
    releaseRequests: 0,
    aborts: 0,
  };
  const onConnection = (socket: net.Socket): void => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    serve(socket, behaviour, seen, timers);
  };
  const server = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onConnection)
    : net.createServer(onConnection);
  const { port, close } = await listenOnLoopback(server, options.host, () => timers.forEach(clearInterval), options.port);
  return { host: options.host, port, seen, close };
}

function serve(
  socket: net.Socket,
  behaviour: DicomPeerBehaviour,
  seen: DicomPeer['seen'],
  timers: Set<NodeJS.Timeout>,
): void {
  const send = (bytes: Buffer): void => {
    if (behaviour.kind === 'echo' && behaviour.writeMode === 'split') {
      for (let i = 0; i < bytes.length; i++) socket.write(bytes.subarray(i, i + 1));
    } else {
      socket.write(bytes);
    }
  };

  switch (behaviour.kind) {
    case 'garbage':
      socket.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x13, 0x37, 0x42, 0x99]));
      return;
    case 'silent':
      return;
    default:
      break;
  }

  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    if (behaviour.kind === 'http-banner') {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nBad Request');
      return;
    }
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 6) {
      const length = buffered.readUInt32BE(2);
      if (buffered.length < 6 + length) break;
      const type = buffered[0];
      const body = buffered.subarray(6, 6 + length);
      buffered = buffered.subarray(6 + length);
      onPdu(type!, body);
    }
  });

  let pendingCommand = Buffer.alloc(0);

  function onPdu(type: number, body: Buffer): void {
    switch (type) {
      case 0x01:
        onAssociateRequest(body);
        break;
      case 0x04:
        seen.pDataLengths.push(body.length);
        for (const pdv of readPdvs(body)) {
          pendingCommand = Buffer.concat([pendingCommand, pdv.data]);
          if (pdv.isLast) {
            const messageId = readCommandUint16(pendingCommand, 0x0110);
            pendingCommand = Buffer.alloc(0);
            seen.echoMessageIds.push(messageId ?? -1);
            onEcho(messageId ?? 0, pdv.contextId);
          }
        }
        break;
      case 0x05:
        seen.releaseRequests += 1;
        onReleaseRequest();
        break;
      case 0x07:
        seen.aborts += 1;
        socket.destroy();
        break;
      default:
        break;
    }
  }

  function onAssociateRequest(body: Buffer): void {
    const request = parseAssociateRq(body);
    seen.associateRequests.push(request);
    switch (behaviour.kind) {
      case 'reject':
        send(pdu(0x03, Buffer.from([0, behaviour.result, behaviour.source, behaviour.reason])));
        return;
      case 'context-rejected':
        send(associateAc(request, behaviour.result));
        return;
      case 'slow-drip': {
        const bytes = associateAc(request, 0);
        let next = 0;
        const timer = setInterval(() => {
          if (next >= bytes.length || socket.destroyed) {
            clearInterval(timer);
            timers.delete(timer);
            return;
          }
          socket.write(bytes.subarray(next, next + 1));
          next += 1;
        }, behaviour.intervalMs);
        timers.add(timer);
        return;
      }
      case 'huge-pdu': {
        const header = Buffer.alloc(6);
        header[0] = 0x02;
        header.writeUInt32BE(behaviour.length, 2);
        socket.write(Buffer.concat([header, Buffer.alloc(64, 0x41)]));
        return;
      }
      case 'close-mid-pdu':
        socket.end(associateAc(request, 0).subarray(0, behaviour.bytes));
        return;
      case 'echo':
        send(associateAc(request, 0, behaviour.maxPduLength));
        return;
      default:
        send(associateAc(request, 0));
    }
  }

  function onReleaseRequest(): void {
    if (behaviour.kind === 'no-release') return;
    if (behaviour.kind === 'scripted-echo') {
      switch (behaviour.release) {
        case 'ignore':
          return;
        case 'abort':
          socket.end(pdu(0x07, Buffer.from([0, 0, 0, 0])));
          return;
        case 'collision':
          send(pdu(0x05, Buffer.alloc(4)));
          break;
        case 'reply':
          break;
      }
    }
    send(pdu(0x06, Buffer.alloc(4)));
  }

  function onEcho(messageId: number, contextId: number): void {
    switch (behaviour.kind) {
      case 'scripted-echo':
        send(pData(contextId, echoResponse((messageId + behaviour.messageIdOffset) & 0xffff, behaviour.status)));
        return;
      case 'abort-after-accept':
        socket.end(pdu(0x07, Buffer.from([0, 0, behaviour.source, behaviour.reason])));
        return;
      case 'wrong-status':
        send(pData(contextId, echoResponse(messageId, behaviour.status, behaviour.errorComment)));
        return;
      case 'wrong-message-id':
        send(pData(contextId, echoResponse((messageId + behaviour.offset) & 0xffff, 0)));
        return;
      case 'echo':
        if (behaviour.writeMode === 'merged') {
          // Two P-DATA-TF PDUs (a non-last and a last command fragment) plus nothing else, in ONE write.
          const command = echoResponse(messageId, 0);
          const cut = 10;
          socket.write(
            Buffer.concat([
              pdu(0x04, pdv(contextId, 0x01, command.subarray(0, cut))),
              pdu(0x04, pdv(contextId, 0x03, command.subarray(cut))),
            ]),
          );
          return;
        }
        send(pData(contextId, echoResponse(messageId, 0)));
        return;
      default:
        send(pData(contextId, echoResponse(messageId, 0)));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Hand-written PS3.8 / PS3.7 bytes, kept independent of the probe's codec.

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

function pdv(contextId: number, control: number, data: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt32BE(data.length + 2, 0);
  header[4] = contextId;
  header[5] = control;
  return Buffer.concat([header, data]);
}

/** One P-DATA-TF with the whole command as a last command fragment. */
function pData(contextId: number, command: Buffer): Buffer {
  return pdu(0x04, pdv(contextId, 0x03, command));
}

function readPdvs(body: Buffer): Array<{ contextId: number; isLast: boolean; data: Buffer }> {
  const values = [];
  let offset = 0;
  while (offset + 6 <= body.length) {
    const length = body.readUInt32BE(offset);
    values.push({
      contextId: body[offset + 4]!,
      isLast: (body[offset + 5]! & 0x02) !== 0,
      data: body.subarray(offset + 6, offset + 4 + length),
    });
    offset += 4 + length;
  }
  return values;
}

function text(value: Buffer): string {
  return value.toString('latin1').replace(/[\0 ]+$/, '');
}

function parseAssociateRq(body: Buffer): AssociateRequestSeen {
  let applicationContext = '';
  let presentationContextId = 0;
  let abstractSyntax = '';
  const transferSyntaxes: string[] = [];
  let maxPduLength: number | undefined;
  let implementationClassUid: string | undefined;
  let implementationVersionName: string | undefined;
  const items = (bytes: Buffer): Array<{ type: number; value: Buffer }> => {
    const found = [];
    for (let offset = 0; offset + 4 <= bytes.length; ) {
      const length = bytes.readUInt16BE(offset + 2);
      found.push({ type: bytes[offset]!, value: bytes.subarray(offset + 4, offset + 4 + length) });
      offset += 4 + length;
    }
    return found;
  };
  for (const { type, value } of items(body.subarray(68))) {
    if (type === 0x10) applicationContext = text(value);
    if (type === 0x20) {
      presentationContextId = value[0]!;
      for (const sub of items(value.subarray(4))) {
        if (sub.type === 0x30) abstractSyntax = text(sub.value);
        if (sub.type === 0x40) transferSyntaxes.push(text(sub.value));
      }
    }
    if (type === 0x50) {
      for (const sub of items(value)) {
        if (sub.type === 0x51) maxPduLength = sub.value.readUInt32BE(0);
        if (sub.type === 0x52) implementationClassUid = text(sub.value);
        if (sub.type === 0x55) implementationVersionName = text(sub.value);
      }
    }
  }
  return {
    calledAeTitle: body.subarray(4, 20).toString('latin1').trim(),
    callingAeTitle: body.subarray(20, 36).toString('latin1').trim(),
    applicationContext,
    presentationContextId,
    abstractSyntax,
    transferSyntaxes,
    maxPduLength,
    implementationClassUid,
    implementationVersionName,
  };
}

function associateAc(request: AssociateRequestSeen, contextResult: number, maxPduLength = 16384): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  fixed.write(request.calledAeTitle.padEnd(16), 4, 'latin1');
  fixed.write(request.callingAeTitle.padEnd(16), 20, 'latin1');
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(maxPduLength);
  return pdu(
    0x02,
    Buffer.concat([
      fixed,
      item(0x10, Buffer.from('1.2.840.10008.3.1.1.1', 'latin1')),
      item(
        0x21,
        Buffer.concat([
          Buffer.from([request.presentationContextId, 0, contextResult, 0]),
          item(0x40, Buffer.from('1.2.840.10008.1.2\0', 'latin1')),
        ]),
      ),
      item(
        0x50,
        Buffer.concat([
          item(0x51, maxLength),
          item(0x52, Buffer.from('1.2.3.4.5.6', 'latin1')),
          item(0x55, Buffer.from('ADVERSARY', 'latin1')),
        ]),
      ),
    ]),
  );
}

function element(elementNumber: number, value: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(elementNumber, 2);
  header.writeUInt32LE(value.length, 4);
  return Buffer.concat([header, value]);
}

function us(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

/** C-ECHO-RSP command set in Implicit VR Little Endian. */
function echoResponse(messageId: number, status: number, errorComment?: string): Buffer {
  const comment = errorComment === undefined ? '' : errorComment.length % 2 ? `${errorComment} ` : errorComment;
  const elements = Buffer.concat([
    element(0x0002, Buffer.from('1.2.840.10008.1.1\0', 'latin1')),
    element(0x0100, us(0x8030)),
    element(0x0120, us(messageId)),
    element(0x0800, us(0x0101)),
    element(0x0900, us(status)),
    ...(errorComment === undefined ? [] : [element(0x0902, Buffer.from(comment, 'latin1'))]),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(elements.length);
  return Buffer.concat([element(0x0000, groupLength), elements]);
}

function readCommandUint16(command: Buffer, elementNumber: number): number | undefined {
  for (let offset = 0; offset + 8 <= command.length; ) {
    const number = command.readUInt16LE(offset + 2);
    const length = command.readUInt32LE(offset + 4);
    if (number === elementNumber && length === 2) return command.readUInt16LE(offset + 8);
    offset += 8 + length;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The real peer from npm: dcmjs-dimse's SCP, on a loopback server of our own (its Server class can only
// listen on every interface).

/** Options of {@link startDcmjsDimseScp}. */
export interface DcmjsDimseScpOptions extends DicomPeerOptions {
  /** Reject any other called AE title with "called AE title not recognized". @default accept any */
  readonly calledAeTitle?: string;
}

/** Starts dcmjs-dimse's SCP (C-ECHO only) on `options.host`, port 0. */
export async function startDcmjsDimseScp(options: DcmjsDimseScpOptions): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const dimse = require('dcmjs-dimse') as typeof import('dcmjs-dimse');
  dimse.log.setLevel('silent');
  const { Scp, responses, constants } = dimse;
  const { PresentationContextResult, RejectResult, RejectSource, RejectReason, SopClass, Status, TransferSyntax } = constants;

  class VerificationScp extends Scp {
    associationRequested(association: InstanceType<typeof dimse.association.Association>): void {
      if (options.calledAeTitle !== undefined && association.getCalledAeTitle() !== options.calledAeTitle) {
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
        return;
      }
      for (const { id } of association.getPresentationContexts()) {
        const context = association.getPresentationContext(id);
        if (context.getAbstractSyntaxUid() !== SopClass.Verification) {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        } else if (context.getTransferSyntaxUids().includes(TransferSyntax.ImplicitVRLittleEndian)) {
          context.setResult(PresentationContextResult.Accept, TransferSyntax.ImplicitVRLittleEndian);
        } else {
          context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        }
      }
      this.sendAssociationAccept();
    }

    cEchoRequest(request: InstanceType<typeof dimse.requests.CEchoRequest>, callback: (response: InstanceType<typeof responses.CEchoResponse>) => void): void {
      const response = responses.CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }
  }

  const onConnection = (socket: net.Socket): void => {
    socket.on('error', () => undefined);
    const scp = new VerificationScp(socket) as unknown as { connected: boolean; on(event: string, listener: () => void): void };
    scp.connected = true;
    scp.on('networkError', () => socket.destroy());
  };
  const server = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onConnection)
    : net.createServer(onConnection);
  const { port, close } = await listenOnLoopback(server, options.host);
  return { host: options.host, port, close };
}

/** Well-formed PDUs as a peer sends them, hand-written above: the seed corpus of the fuzz tests. */
export function samplePeerPdus(messageId = 1): Record<'associateAc' | 'associateRj' | 'abort' | 'echoResponse' | 'releaseRp', Buffer> {
  const request: AssociateRequestSeen = {
    calledAeTitle: 'ANY-SCP',
    callingAeTitle: 'MEDLB',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContextId: 1,
    abstractSyntax: '1.2.840.10008.1.1',
    transferSyntaxes: ['1.2.840.10008.1.2'],
    maxPduLength: 16384,
    implementationClassUid: undefined,
    implementationVersionName: undefined,
  };
  return {
    associateAc: associateAc(request, 0),
    associateRj: pdu(0x03, Buffer.from([0, 1, 1, 7])),
    abort: pdu(0x07, Buffer.from([0, 0, 2, 2])),
    echoResponse: pData(1, echoResponse(messageId, 0, 'fuzz')),
    releaseRp: pdu(0x06, Buffer.alloc(4)),
  };
}

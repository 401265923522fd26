/**
 * DICOM Verification probe (PS3.7 9.3.5 C-ECHO over the PS3.8 upper layer), written without a DICOM library so
 * the Lambda bundle stays small:
 *
 *   connect (optionally TLS) → A-ASSOCIATE-RQ → A-ASSOCIATE-AC with the Verification context accepted
 *   → C-ECHO-RQ in P-DATA-TF → C-ECHO-RSP for our message id with status 0x0000 → A-RELEASE-RQ/RP.
 *
 * Healthy means every step succeeded. Each phase waits at most what is left of `check.timeoutMs` (release
 * at most a share of it), and the reason names the phase and what went wrong.
 */
import type * as net from 'node:net';
import { aeTitleProblem } from '../../../contract/check';
import { tlsOptionsOf } from '../connect';
import { ProbeFailure } from '../probe-failure';
import { runProbe, type ProbeContext } from '../probe-lifecycle';
import { SocketReader, writeAll } from '../socket-reader';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from '../types';
import {
  ADVERTISED_MAX_PDU_LENGTH,
  APPLICATION_CONTEXT_UID,
  DEFAULT_CALLED_AE_TITLE,
  DEFAULT_CALLING_AE_TITLE,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  IMPLICIT_VR_LITTLE_ENDIAN_UID,
  MAX_COMMAND_SET_LENGTH,
  MAX_INCOMING_PDU_LENGTH,
  RELEASE_PHASE_SHARE,
  VERIFICATION_PRESENTATION_CONTEXT_ID,
  VERIFICATION_SOP_CLASS_UID,
} from './dicom-defaults';
import { CommandField, encodeCEchoRq, hex4, parseCommandSet, type DimseResponse } from './dimse';
import { DicomProtocolError, PduReader, PduType, pduName, type RawPdu } from './pdu';
import { encodeAbort, encodeAssociateRq, encodeCommandPData, encodeReleaseRp, encodeReleaseRq } from './pdu-encode';
import { PresentationContextResult, parseAbort, parseAssociateAc, parseAssociateRj, parsePDataTf } from './pdu-parse';
import { describeAbort, describeAssociateReject, describePresentationContextRejection } from './reasons';

/**
 * Checks a DICOM SCP with a full Verification round trip. Never rejects: peer misbehaviour, timeouts and
 * cancellation all resolve to `healthy: false` with a precise reason.
 */
export function probeDicom(target: ProbeTarget, check: CheckSpec, options?: ProbeOptions): Promise<ProbeResult> {
  const callingAeTitle = (check.callingAeTitle ?? DEFAULT_CALLING_AE_TITLE).trim();
  const calledAeTitle = (check.calledAeTitle ?? DEFAULT_CALLED_AE_TITLE).trim();
  const problems = [
    ...aeTitleProblems('calling AE title', callingAeTitle),
    ...aeTitleProblems('called AE title', calledAeTitle),
    ...(Number.isFinite(check.timeoutMs) && check.timeoutMs > 0 ? [] : [`timeoutMs must be a positive number, got ${check.timeoutMs}`]),
  ];
  if (problems.length > 0) {
    return Promise.resolve({ healthy: false, latencyMs: 0, reason: `invalid check: ${problems.join('; ')}` });
  }
  return runProbe(check.timeoutMs, options, async (context) => {
    const socket = await context.connect(target, tlsOptionsOf(check));
    const association = new AssociationChannel(socket, context);
    const peerMaxPduLength = await associate(association, context, callingAeTitle, calledAeTitle);
    try {
      await echo(association, context, peerMaxPduLength);
      await release(association, context, check.timeoutMs);
    } catch (err) {
      // Leave the peer in no doubt that the association is over (unless it ended it itself).
      if (!association.peerEnded) association.abortQuietly();
      throw err;
    }
    return 'C-ECHO status 0x0000';
  });
}

/** The AE title rule of the whole project (contract/check.ts), worded for a probe reason. */
function aeTitleProblems(label: string, title: string): string[] {
  const problem = aeTitleProblem(title);
  return problem === undefined ? [] : [`${label} "${title}" ${problem}`];
}

/** Message IDs go round 1..65535 from a random start, so concurrent and successive probes do not share one. */
let lastMessageId = Math.floor(Math.random() * 0xffff);
function nextMessageId(): number {
  lastMessageId = (lastMessageId % 0xffff) + 1;
  return lastMessageId;
}

/** Phase 1: returns the peer's maximum PDU length (0 = unlimited). */
async function associate(
  association: AssociationChannel,
  context: ProbeContext,
  callingAeTitle: string,
  calledAeTitle: string,
): Promise<number> {
  await association.send(
    encodeAssociateRq({
      callingAeTitle,
      calledAeTitle,
      applicationContext: APPLICATION_CONTEXT_UID,
      presentationContextId: VERIFICATION_PRESENTATION_CONTEXT_ID,
      abstractSyntax: VERIFICATION_SOP_CLASS_UID,
      transferSyntaxes: [IMPLICIT_VR_LITTLE_ENDIAN_UID],
      maxPduLength: ADVERTISED_MAX_PDU_LENGTH,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    }),
  );
  const reply = await association.next('response to A-ASSOCIATE-RQ', context.deadline.phaseMs());
  switch (reply.type) {
    case PduType.AssociateRj:
      throw new ProbeFailure(describeAssociateReject(parseAssociateRj(reply.body)));
    case PduType.Abort:
      throw association.peerAborted(reply.body);
    case PduType.AssociateAc:
      break;
    default:
      throw protocolError(`unexpected ${pduName(reply.type)} in reply to A-ASSOCIATE-RQ`);
  }
  const accept = guard(() => parseAssociateAc(reply.body));
  association.established = true;
  const verification = accept.presentationContexts.find((pc) => pc.id === VERIFICATION_PRESENTATION_CONTEXT_ID);
  if (!verification) throw new ProbeFailure('presentation context not accepted (missing from A-ASSOCIATE-AC)');
  if (verification.result !== PresentationContextResult.Acceptance) {
    throw new ProbeFailure(describePresentationContextRejection(verification.result));
  }
  if (verification.transferSyntax !== IMPLICIT_VR_LITTLE_ENDIAN_UID) {
    throw protocolError(`A-ASSOCIATE-AC accepted transfer syntax ${verification.transferSyntax ?? '(none)'}, which was not proposed`);
  }
  return accept.maxPduLength ?? 0;
}

/** Phase 2: sends C-ECHO-RQ and checks the C-ECHO-RSP: our message id, status 0x0000. */
async function echo(association: AssociationChannel, context: ProbeContext, peerMaxPduLength: number): Promise<void> {
  const messageId = nextMessageId();
  for (const pdu of encodeCommandPData(VERIFICATION_PRESENTATION_CONTEXT_ID, encodeCEchoRq(messageId), peerMaxPduLength)) {
    await association.send(pdu);
  }
  const fragments: Buffer[] = [];
  let commandLength = 0;
  for (;;) {
    const pdu = await association.next('C-ECHO-RSP', context.deadline.phaseMs());
    if (pdu.type === PduType.Abort) throw association.peerAborted(pdu.body);
    if (pdu.type !== PduType.PDataTf) throw protocolError(`unexpected ${pduName(pdu.type)} while awaiting C-ECHO-RSP`);
    for (const value of guard(() => parsePDataTf(pdu.body))) {
      if (value.presentationContextId !== VERIFICATION_PRESENTATION_CONTEXT_ID) {
        throw protocolError(`P-DATA-TF for presentation context ${value.presentationContextId}, which was not negotiated`);
      }
      if (!value.isCommand) throw protocolError('data set fragment where the C-ECHO-RSP command set was expected');
      commandLength += value.data.length;
      if (commandLength > MAX_COMMAND_SET_LENGTH) {
        throw protocolError(`command set longer than ${MAX_COMMAND_SET_LENGTH} bytes`);
      }
      fragments.push(value.data);
      if (value.isLast) return checkEchoResponse(guard(() => parseCommandSet(Buffer.concat(fragments))), messageId);
    }
  }
}

function checkEchoResponse(response: DimseResponse, messageId: number): void {
  if (response.commandField !== CommandField.CEchoRsp) {
    const got = response.commandField === undefined ? 'none' : `0x${hex4(response.commandField)}`;
    throw protocolError(`expected C-ECHO-RSP (command field 0x8030), got command field ${got}`);
  }
  if (response.messageIdBeingRespondedTo === undefined) {
    throw protocolError('C-ECHO-RSP without Message ID Being Responded To');
  }
  if (response.messageIdBeingRespondedTo !== messageId) {
    throw new ProbeFailure(`wrong message id (got ${response.messageIdBeingRespondedTo}, sent ${messageId})`);
  }
  if (response.status === undefined) throw protocolError('C-ECHO-RSP without Status');
  if (response.status === 0x0000) return;
  const comment = response.errorComment ? ` (error comment: ${JSON.stringify(response.errorComment)})` : '';
  throw new ProbeFailure(`C-ECHO status 0x${hex4(response.status)}${comment}`);
}

/** Phase 3: A-RELEASE-RQ → A-RELEASE-RP, answering a release collision if the peer releases too. */
async function release(association: AssociationChannel, context: ProbeContext, timeoutMs: number): Promise<void> {
  await association.send(encodeReleaseRq());
  const limitMs = context.deadline.phaseMs(Math.max(1, timeoutMs * RELEASE_PHASE_SHARE));
  const releaseDeadline = Date.now() + limitMs;
  for (;;) {
    let pdu: RawPdu;
    try {
      pdu = await association.next('A-RELEASE-RP', Math.max(0, releaseDeadline - Date.now()));
    } catch (err) {
      if (err instanceof ProbeFailure && err.reason.startsWith('no A-RELEASE-RP')) {
        throw new ProbeFailure(`release timeout: no A-RELEASE-RP within ${limitMs} ms`);
      }
      throw err;
    }
    switch (pdu.type) {
      case PduType.ReleaseRp:
        return;
      case PduType.ReleaseRq:
        // PS3.8 7.2.2 release collision: as requestor, answer with A-RELEASE-RP and keep waiting for ours.
        await association.send(encodeReleaseRp());
        break;
      case PduType.Abort:
        throw new ProbeFailure(`${association.peerAborted(pdu.body).reason} during release`);
      default:
        throw protocolError(`unexpected ${pduName(pdu.type)} while awaiting A-RELEASE-RP`);
    }
  }
}

function protocolError(detail: string): ProbeFailure {
  return new ProbeFailure(new DicomProtocolError(detail).message);
}

/** Runs a parser and turns its DicomProtocolError into the probe's ProbeFailure. */
function guard<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof DicomProtocolError) throw new ProbeFailure(err.message);
    throw err;
  }
}

/** One association's socket, seen as a sequence of whole PDUs. */
class AssociationChannel {
  private readonly pduReader = new PduReader(MAX_INCOMING_PDU_LENGTH);
  private readonly socketReader: SocketReader;
  private readonly pending: RawPdu[] = [];
  /** Set once the A-ASSOCIATE-AC arrived: from then on the peer is owed an A-ABORT if the probe gives up. */
  established = false;
  /** Set when the peer aborted or closed, so the probe does not abort a dead association. */
  peerEnded = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly context: ProbeContext,
  ) {
    this.socketReader = new SocketReader(socket, 2 * MAX_INCOMING_PDU_LENGTH);
  }

  send(bytes: Buffer): Promise<void> {
    return writeAll(this.socket, bytes);
  }

  /** The next whole PDU, waiting at most `timeoutMs`; `what` names it in timeout and close reasons. */
  async next(what: string, timeoutMs: number): Promise<RawPdu> {
    const queued = this.pending.shift();
    if (queued) return queued;
    try {
      return await this.socketReader.read(
        (chunk) => {
          this.pending.push(...guard(() => this.pduReader.push(chunk)));
          return this.pending.shift();
        },
        { what, timeoutMs, signal: this.context.signal },
      );
    } catch (err) {
      if (!(err instanceof ProbeFailure)) throw err;
      const partial = this.pduReader.describeIncomplete();
      if (err.reason.startsWith('connection closed by peer') || err.reason.startsWith('connection reset')) {
        this.peerEnded = true;
        if (partial) throw new ProbeFailure(`connection closed mid-PDU (${partial}) before ${what}`);
      } else if (partial && err.reason.startsWith('no ')) {
        throw new ProbeFailure(`${err.reason} (received ${partial})`);
      }
      throw err;
    }
  }

  /** Reason for a peer's A-ABORT; marks the association as ended by the peer. */
  peerAborted(body: Buffer): ProbeFailure {
    this.peerEnded = true;
    return new ProbeFailure(describeAbort(guard(() => parseAbort(body))));
  }

  /** Best-effort A-ABORT before the socket is destroyed; write errors no longer matter. */
  abortQuietly(): void {
    if (!this.established || this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(encodeAbort(), () => undefined);
  }
}

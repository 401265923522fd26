/**
 * hl7 probe: sends one harmless HL7 v2 message over MLLP and requires an ACK for it.
 * Healthy = the reply's MSA-2 equals our MSH-10 and its MSA-1 is in `acceptCodes`. The reply is parsed with the
 * separators it declares itself (MSH-1 field separator, MSH-2 encoding characters), not with assumed ones.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_HL7_PROCESSING_ID, hl7HierarchicDesignatorProblem, messageTypeProblem, type Hl7ProcessingId } from '../../contract/check';
import { tlsOptionsOf } from './connect';
import { ProbeFailure } from './probe-failure';
import { runProbe } from './probe-lifecycle';
import { SocketReader, writeAll } from './socket-reader';
import { MllpDeframer, mllpFrame } from './mllp';
import {
  DEFAULT_HL7_ACCEPT_CODES,
  DEFAULT_HL7_MESSAGE_TYPE,
  DEFAULT_HL7_SENDING_APPLICATION,
  DEFAULT_HL7_SENDING_FACILITY,
  DEFAULT_HL7_VERSION,
  DEFAULT_MLLP_MAX_MESSAGE_BYTES,
  MAX_REASON_DETAIL_CHARS,
} from './probe-defaults';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from './types';

/** The reply is not a usable HL7 acknowledgement (not HL7, no MSA, broken MSH). */
export class Hl7AckError extends ProbeFailure {
  constructor(reason: string) {
    super(reason);
    this.name = 'Hl7AckError';
  }
}

/** A control id (MSH-10) unique per probe and within HL7's 20-character limit. */
function newControlId(): string {
  return `MLB${Date.now().toString(36).toUpperCase()}${randomBytes(4).toString('hex').toUpperCase()}`;
}

function hl7Timestamp(date: Date): string {
  const pad = (value: number): string => value.toString().padStart(2, '0');
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}+0000`
  );
}

/** What to send: message type, control id and the MSH fields an engine routes and filters on. */
export interface ProbeMessageOptions {
  /** MSH-9. @default DEFAULT_HL7_MESSAGE_TYPE */
  readonly messageType?: string;
  /** MSH-3. @default DEFAULT_HL7_SENDING_APPLICATION */
  readonly sendingApplication?: string;
  /** MSH-4. @default DEFAULT_HL7_SENDING_FACILITY */
  readonly sendingFacility?: string;
  /** MSH-5. @default empty */
  readonly receivingApplication?: string;
  /** MSH-6. @default empty */
  readonly receivingFacility?: string;
  /** MSH-11. @default DEFAULT_HL7_PROCESSING_ID (P) */
  readonly processingId?: Hl7ProcessingId;
  /** MSH-10. */
  readonly controlId: string;
  /** MSH-7 and NCK-1. @default now */
  readonly now?: Date;
}

/**
 * Builds the probe message: MSH with the check's sender, receiver and processing id (P unless the check says T or
 * D: a production interface may reject other ids), plus an NCK (system clock) segment for NMD^N02 so the message is
 * a complete application-management message. Segments end with CR.
 */
export function buildProbeMessage(options: ProbeMessageOptions): string {
  const messageType = options.messageType ?? DEFAULT_HL7_MESSAGE_TYPE;
  const timestamp = hl7Timestamp(options.now ?? new Date());
  const msh = [
    'MSH',
    '^~\\&',
    options.sendingApplication ?? DEFAULT_HL7_SENDING_APPLICATION,
    options.sendingFacility ?? DEFAULT_HL7_SENDING_FACILITY,
    options.receivingApplication ?? '',
    options.receivingFacility ?? '',
    timestamp,
    '',
    messageType,
    options.controlId,
    options.processingId ?? DEFAULT_HL7_PROCESSING_ID,
    DEFAULT_HL7_VERSION,
  ].join('|');
  const segments = [msh];
  if (messageType.startsWith('NMD^N02')) segments.push(`NCK|${timestamp}`);
  return `${segments.join('\r')}\r`;
}

/** The separators a message declares in MSH-1 and MSH-2. */
interface Separators {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
}

function readSeparators(text: string): Separators {
  if (!text.startsWith('MSH')) throw new Hl7AckError('reply is not an HL7 message (no MSH segment first)');
  const field = text.charAt(3);
  if (!field || /[A-Za-z0-9\r\n\s]/.test(field)) {
    throw new Hl7AckError('reply MSH-1 field separator is missing or invalid');
  }
  const end = text.indexOf(field, 4);
  const encoding = end === -1 ? '' : text.slice(4, end);
  if (encoding.length < 1 || encoding.length > 5 || /[\r\n]/.test(encoding) || new Set(encoding).size !== encoding.length) {
    throw new Hl7AckError('reply MSH-2 encoding characters are missing or invalid');
  }
  return {
    field,
    component: encoding.charAt(0),
    repetition: encoding.charAt(1),
    escape: encoding.charAt(2),
    subcomponent: encoding.charAt(3),
  };
}

/** Decodes HL7 escapes (\F\, \S\, \.br\ ...) and flattens components into readable text. */
function readableText(value: string, separators: Separators): string {
  const { escape, component, subcomponent, repetition, field } = separators;
  let text = value;
  // Flatten structure before decoding escapes, so an escaped separator (\T\ = &) stays text.
  for (const separator of [component, subcomponent, repetition]) {
    if (separator) text = text.split(separator).filter((part) => part.trim() !== '').join(' ');
  }
  if (escape) {
    const pattern = new RegExp(`${escapeForRegExp(escape)}([^${escapeForRegExp(escape)}]{1,32})${escapeForRegExp(escape)}`, 'g');
    text = text.replace(pattern, (_whole, code: string) => {
      switch (code) {
        case 'F':
          return field;
        case 'S':
          return component;
        case 'T':
          return subcomponent;
        case 'R':
          return repetition;
        case 'E':
          return escape;
        case '.br':
          return ' ';
        default:
          if (/^X([0-9A-Fa-f]{2})+$/.test(code)) {
            return Buffer.from(code.slice(1), 'hex').toString('latin1').replace(/[^\x20-\x7e]/g, ' ');
          }
          return '';
      }
    });
  }
  // Control characters from a hostile peer must not reach logs or the JSON line raw.
  text = text.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > MAX_REASON_DETAIL_CHARS ? `${text.slice(0, MAX_REASON_DETAIL_CHARS)}...` : text;
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** What the ACK must match. */
export interface AckExpectation {
  /** Our MSH-10; MSA-2 must equal it. */
  readonly controlId: string;
  /** Accepted MSA-1 codes. @default DEFAULT_HL7_ACCEPT_CODES */
  readonly acceptCodes?: readonly string[];
}

/**
 * Judges one reply payload (without MLLP framing). Returns the healthy reason ("ACK MSA-1=AA"); throws
 * Hl7AckError for anything else — and nothing but Hl7AckError, whatever the bytes.
 */
export function interpretAck(payload: Buffer, expectation: AckExpectation): string {
  const acceptCodes = expectation.acceptCodes ?? DEFAULT_HL7_ACCEPT_CODES;
  const text = payload.toString('utf8').replace(/^\uFEFF/, '');
  const separators = readSeparators(text);
  const segments = text.split(/\r\n|\r|\n/);
  const fieldsOf = (name: string): string[] | undefined => {
    const segment = segments.find((candidate) => candidate === name || candidate.startsWith(name + separators.field));
    return segment?.split(separators.field);
  };
  const msa = fieldsOf('MSA');
  if (!msa) throw new Hl7AckError('reply has no MSA segment (not an acknowledgement)');
  const [firstComponent = ''] = (msa[1] ?? '').split(separators.component);
  const code = firstComponent.trim();
  const repliedControlId = (msa[2] ?? '').trim();
  if (repliedControlId !== expectation.controlId) {
    throw new Hl7AckError(
      `ACK for another control id (MSA-2 "${readableText(repliedControlId, separators)}", sent "${expectation.controlId}")`,
    );
  }
  if (!code) throw new Hl7AckError('ACK without acknowledgment code (MSA-1 empty)');
  if (acceptCodes.includes(code)) return `ACK MSA-1=${code}`;
  const detail = ackErrorText(msa, fieldsOf('ERR'), separators);
  throw new Hl7AckError(
    `ACK MSA-1=${readableText(code, separators)} (accept codes ${acceptCodes.join(',')})${detail ? `: ${detail}` : ''}`,
  );
}

/** The peer's explanation: MSA-3 text if any, else the ERR segment's user message, diagnostics or error code. */
function ackErrorText(msa: string[], err: string[] | undefined, separators: Separators): string {
  const candidates = [msa[3], err?.[8], err?.[7], err?.[3], err?.[1]];
  for (const candidate of candidates) {
    const text = candidate ? readableText(candidate, separators) : '';
    if (text) return text;
  }
  return '';
}

export function probeHl7(target: ProbeTarget, check: CheckSpec, options?: ProbeOptions): Promise<ProbeResult> {
  return runProbe(check.timeoutMs, options, async (context) => {
    const messageType = check.messageType ?? DEFAULT_HL7_MESSAGE_TYPE;
    const typeProblem = messageTypeProblem(messageType);
    if (typeProblem) throw new ProbeFailure(typeProblem);
    const mshFields = {
      sendingApplication: check.sendingApplication,
      sendingFacility: check.sendingFacility,
      receivingApplication: check.receivingApplication,
      receivingFacility: check.receivingFacility,
    };
    for (const [field, value] of Object.entries(mshFields)) {
      // Written raw into MSH: a separator inside would shift every later field the engine reads.
      const problem = value === undefined ? undefined : hl7HierarchicDesignatorProblem(value);
      if (problem) throw new ProbeFailure(`HL7 ${field} ${problem}`);
    }
    const controlId = newControlId();
    const socket = await context.connect(target, tlsOptionsOf(check));
    const reader = new SocketReader(socket, DEFAULT_MLLP_MAX_MESSAGE_BYTES);
    await writeAll(socket, mllpFrame(buildProbeMessage({ messageType, controlId, ...mshFields, processingId: check.processingId })));
    const deframer = new MllpDeframer(DEFAULT_MLLP_MAX_MESSAGE_BYTES);
    const timeoutMs = context.deadline.phaseMs();
    const reply = await reader.read((chunk) => deframer.push(chunk)[0], { what: 'ACK', timeoutMs, signal: context.signal });
    return interpretAck(reply, { controlId, acceptCodes: check.acceptCodes });
  });
}

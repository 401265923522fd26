/**
 * MLLP (HL7 Minimal Lower Layer Protocol) framing: <VT 0x0B> message <FS 0x1C><CR 0x0D>.
 * The deframer is incremental (a frame may arrive in many reads, or several frames in one) and bounded: a frame
 * larger than `maxMessageBytes` is a protocol error raised before it is buffered.
 */
import { ProbeFailure } from './probe-failure';

const MLLP_START = 0x0b;
const MLLP_END = 0x1c;
const MLLP_TRAILER = 0x0d;

/** The peer broke MLLP framing. `reason` is operator-facing, e.g. "reply not MLLP-framed (first byte 0x48)". */
export class MllpFramingError extends ProbeFailure {
  constructor(reason: string) {
    super(reason);
    this.name = 'MllpFramingError';
  }
}

/** Wraps one message in an MLLP frame. */
export function mllpFrame(message: Buffer | string): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return Buffer.concat([Buffer.from([MLLP_START]), body, Buffer.from([MLLP_END, MLLP_TRAILER])]);
}

function hexByte(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0').toUpperCase()}`;
}

/** Turns a byte stream into MLLP message payloads. Throws MllpFramingError (only) on bad input. */
export class MllpDeframer {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  /** A 0x1C was the last byte seen; the next must be 0x0D. */
  private pendingEnd = false;
  private failed: MllpFramingError | undefined;

  constructor(
    /** Largest payload accepted, in bytes. */
    private readonly maxMessageBytes: number,
  ) {}

  /** Feeds bytes; returns every message completed by them (often none). After an error, it keeps throwing it. */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw this.failed;
    try {
      return this.consume(chunk);
    } catch (err) {
      // consume() throws nothing else; anything else is a bug and must not be remembered as a framing error.
      if (err instanceof MllpFramingError) this.failed = err;
      this.parts = [];
      throw err;
    }
  }

  private consume(chunk: Buffer): Buffer[] {
    const messages: Buffer[] = [];
    let index = 0;
    while (index < chunk.length) {
      if (!this.inFrame) {
        const byte = chunk.readUInt8(index);
        index += 1;
        if (byte === MLLP_START) {
          this.inFrame = true;
          this.parts = [];
          this.size = 0;
        } else if (byte !== 0x0d && byte !== 0x0a) {
          // Stray CR/LF between frames is common and harmless; anything else means the peer is not speaking MLLP.
          throw new MllpFramingError(`reply not MLLP-framed (first byte ${hexByte(byte)}, expected 0x0B)`);
        }
        continue;
      }
      if (this.pendingEnd) {
        this.pendingEnd = false;
        const byte = chunk.readUInt8(index);
        if (byte !== MLLP_TRAILER) {
          throw new MllpFramingError(`MLLP end byte 0x1C followed by ${hexByte(byte)}, expected 0x0D`);
        }
        index += 1;
        messages.push(Buffer.concat(this.parts, this.size));
        this.parts = [];
        this.size = 0;
        this.inFrame = false;
        continue;
      }
      const endAt = chunk.indexOf(MLLP_END, index);
      const stop = endAt === -1 ? chunk.length : endAt;
      const startInside = chunk.indexOf(MLLP_START, index);
      if (startInside !== -1 && startInside < stop) {
        throw new MllpFramingError('MLLP start byte 0x0B inside a frame');
      }
      this.append(chunk.subarray(index, stop));
      if (endAt === -1) break;
      this.pendingEnd = true;
      index = endAt + 1;
    }
    return messages;
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.size + piece.length > this.maxMessageBytes) {
      throw new MllpFramingError(`MLLP frame exceeds ${this.maxMessageBytes} bytes`);
    }
    // Copy: the socket's chunk may be a slice of a larger pooled buffer we should not keep alive.
    this.parts.push(Buffer.from(piece));
    this.size += piece.length;
  }

  /** Bytes of the frame in progress (for diagnostics and tests). */
  get bufferedBytes(): number {
    return this.size;
  }

  /** True while a frame has started and not ended. */
  get midFrame(): boolean {
    return this.inFrame;
  }
}

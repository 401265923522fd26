/**
 * Reading and writing an open probe connection: {@link SocketReader} feeds what a socket receives to an incremental
 * consumer (an MLLP deframer, a PDU reader, ...) with a per-phase limit, a byte bound and cancellation.
 */
import type * as net from 'node:net';
import { abortFailure, ProbeFailure } from './probe-failure';
import { describeTlsAlert } from './tls-alerts';
import { codeOf } from '../../contract/thrown';

/**
 * An incremental consumer of a byte stream (an MLLP deframer, a PDU reader): it receives every byte exactly once,
 * in order, keeps whatever it has not used yet itself, and returns a value once one is complete. It may throw a
 * ProbeFailure for a protocol error.
 */
export type StreamConsumer<T> = (chunk: Buffer) => T | undefined;

/** Limits and wording of one {@link SocketReader.read}. */
export interface ReadOptions {
  /** What is awaited, for reasons: "no <what> within N ms", "connection closed before <what>". */
  readonly what: string;
  /** Limit for this read. */
  readonly timeoutMs: number;
  /** The probe's signal (ProbeContext.signal). */
  readonly signal?: AbortSignal;
}

/**
 * Buffers what a socket receives between reads (up to `maxBufferedBytes`) and feeds it to a consumer on demand.
 * Attach it right after connecting so no byte is lost.
 */
export class SocketReader {
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private failure: ProbeFailure | undefined;
  private wake: (() => void) | undefined;

  constructor(
    socket: net.Socket,
    /** Bytes kept while no read is pending; beyond that the peer is flooding us. */
    private readonly maxBufferedBytes: number = 1024 * 1024,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.queuedBytes += chunk.length;
      if (this.queuedBytes > this.maxBufferedBytes) {
        this.failure ??= new ProbeFailure(`peer sent more than ${this.maxBufferedBytes} unread bytes`);
        socket.destroy();
      }
      this.wake?.();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', (err: Error) => {
      this.failure ??= new ProbeFailure(describeStreamError(err));
      this.wake?.();
    });
  }

  /** Feeds buffered and arriving bytes to `consume` until it returns a value; rejects with a ProbeFailure. */
  read<T>(consume: StreamConsumer<T>, options: ReadOptions): Promise<T> {
    const { what, timeoutMs, signal } = options;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wake = undefined;
        action();
      };
      const timeoutReason = (): string => `no ${what} within ${timeoutMs} ms`;
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- onAbort is only registered on `signal`, so it is set when this runs
      const onAbort = (): void => finish(() => reject(abortFailure(signal!, timeoutReason)));
      const timer = setTimeout(() => finish(() => reject(new ProbeFailure(timeoutReason()))), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });

      const pump = (): void => {
        try {
          for (let chunk = this.queue.shift(); chunk !== undefined; chunk = this.queue.shift()) {
            this.queuedBytes -= chunk.length;
            const value = consume(chunk);
            if (value !== undefined) {
              finish(() => resolve(value));
              return;
            }
          }
        } catch (err) {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- consume() throws ProbeFailure or DicomProtocolError; the caller maps what it throws
          finish(() => reject(err));
          return;
        }
        if (this.failure) {
          const failure = this.failure;
          finish(() => reject(failure));
        } else if (this.ended) {
          finish(() => reject(new ProbeFailure(`connection closed by peer before ${what}`)));
        }
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      this.wake = pump;
      pump();
    });
  }
}

/** Maps a socket error after the connection was established. */
function describeStreamError(err: Error): string {
  const code = codeOf(err);
  if (code === 'ECONNRESET') return 'connection reset by peer';
  if (code === 'EPIPE') return 'connection closed by peer while sending';
  // With TLS 1.3 the server judges the client certificate after the client's handshake is done: its alert arrives here.
  const alert = describeTlsAlert(err);
  if (alert !== undefined) return alert;
  return `socket error: ${code ?? err.message}`;
}

/** Writes `data` and resolves once it is handed to the kernel; rejects with a ProbeFailure if the socket fails. */
export function writeAll(socket: net.Socket, data: Buffer | string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.write(data, (err) => (err ? reject(new ProbeFailure(describeStreamError(err))) : resolve()));
  });
}

/**
 * Shared plumbing for every socket-based probe (tcp, dicom, hl7, xds, http):
 *
 * - {@link runProbe} runs one probe body under an overall deadline and an optional caller AbortSignal, measures
 *   `latencyMs`, turns a thrown {@link ProbeFailure} into `healthy:false`, never rejects, and destroys every socket
 *   the body opened through its context — whatever happens.
 * - {@link ProbeContext.connect} opens TCP (optionally TLS) with no-delay set and precise failure reasons.
 * - {@link SocketReader} reads from a socket into an incremental consumer (an MLLP deframer, a PDU reader, ...)
 *   with a per-phase limit, a byte bound and cancellation.
 *
 * Reasons are written for an operator reading `medlb probe` output: "connection refused", "connect timeout after
 * 3000 ms", "TLS handshake failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)", "cancelled".
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from './types';

/** A probe failed for a reason worth reporting verbatim (`reason` becomes `ProbeResult.reason`). */
export class ProbeFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ProbeFailure';
  }
}

/** Peer-supplied text made safe for a reason: control characters become spaces, whitespace collapses, length clipped. */
export function printable(text: string, maxChars = 200): string {
  const clean = text.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > maxChars ? `${clean.slice(0, maxChars)}...` : clean;
}

/** Why the probe's signal was aborted: the caller cancelled it or the overall deadline passed. */
export class ProbeAbort extends Error {
  constructor(readonly kind: 'cancelled' | 'deadline') {
    super(kind === 'cancelled' ? 'cancelled' : 'deadline passed');
    this.name = 'ProbeAbort';
  }
}

/** The overall time budget of one probe, from which each phase takes its own limit. */
export class Deadline {
  private readonly startedAt: number;

  constructor(
    /** The whole probe's budget in milliseconds. */
    readonly totalMs: number,
    startedAt: number = performance.now(),
  ) {
    this.startedAt = startedAt;
  }

  /** Milliseconds since the probe started. */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** Milliseconds left, never negative. */
  remainingMs(): number {
    return Math.max(0, this.totalMs - this.elapsedMs());
  }

  /** The limit for the next phase: what is left, capped by `capMs` when a phase deserves less than the whole rest. */
  phaseMs(capMs?: number): number {
    const remaining = Math.floor(this.remainingMs());
    return capMs === undefined ? remaining : Math.max(0, Math.min(remaining, Math.floor(capMs)));
  }
}

/** The connection options a check asks for: TLS or not, and how to verify the peer. */
export function tlsOptionsOf(check: Pick<CheckSpec, 'tls' | 'insecure' | 'caCertificates'>): Pick<ConnectOptions, 'tls' | 'insecure' | 'ca'> {
  return { tls: check.tls, insecure: check.insecure, ...(check.caCertificates !== undefined ? { ca: check.caCertificates } : {}) };
}

/** How to open a connection. */
export interface ConnectOptions {
  /** Wrap the TCP connection in TLS. @default false */
  readonly tls?: boolean;
  /** Skip certificate verification (chain and host name). @default false */
  readonly insecure?: boolean;
  /** PEM CA certificates trusted instead of the public CAs. @default Node's public CA store */
  readonly ca?: string;
  /** TLS SNI and name checked against the certificate. @default the target host when it is a name, none for an IP */
  readonly servername?: string;
  /** ALPN protocols offered during the TLS handshake (e.g. `['http/1.1']`). @default none */
  readonly alpnProtocols?: readonly string[];
  /** Limit for TCP connect plus TLS handshake. @default what is left of the probe's deadline */
  readonly timeoutMs?: number;
}

/** What a probe body gets from {@link runProbe}. */
export interface ProbeContext {
  /** The overall budget; derive per-phase limits from it with `phaseMs()`. */
  readonly deadline: Deadline;
  /** Aborted when the caller cancels (`reason` is a ProbeAbort 'cancelled') or the deadline passes ('deadline'). */
  readonly signal: AbortSignal;
  /** Opens a connection owned by this probe: it is destroyed when the probe ends, healthy or not. */
  connect(target: ProbeTarget, options?: ConnectOptions): Promise<net.Socket>;
  /** Registers something else to release when the probe ends (an HTTP request, a timer). */
  onFinish(release: () => void): void;
}

/** Milliseconds granted after the deadline for a phase to report its own precise timeout before the generic one. */
const DEADLINE_GRACE_MS = 25;

/**
 * Runs `body` as one probe: healthy with the reason it returns, unhealthy with the reason of a ProbeFailure it
 * throws (any other error becomes "internal error: ..."). Resolves by `timeoutMs` (plus a few ms for the phase in
 * progress to report its own timeout), or at once on cancellation; never rejects.
 */
export async function runProbe(
  timeoutMs: number,
  options: ProbeOptions | undefined,
  body: (context: ProbeContext) => Promise<string>,
): Promise<ProbeResult> {
  const startedAt = performance.now();
  const latency = (): number => Math.round((performance.now() - startedAt) * 10) / 10;
  const deadline = new Deadline(timeoutMs, startedAt);
  const controller = new AbortController();
  const releases: Array<() => void> = [];
  const callerSignal = options?.signal;

  if (callerSignal?.aborted) return { healthy: false, latencyMs: latency(), reason: 'cancelled' };

  const onCallerAbort = (): void => controller.abort(new ProbeAbort('cancelled'));
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const deadlineTimer = setTimeout(() => controller.abort(new ProbeAbort('deadline')), Math.max(0, timeoutMs));

  // Backstop for a body that ignores the signal: the probe still ends shortly after the deadline or cancellation.
  let backstopTimer: NodeJS.Timeout | undefined;
  const backstop = new Promise<ProbeResult>((resolve) => {
    controller.signal.addEventListener(
      'abort',
      () => {
        const kind = (controller.signal.reason as ProbeAbort).kind;
        const graceMs = kind === 'cancelled' ? 0 : DEADLINE_GRACE_MS;
        backstopTimer = setTimeout(() => {
          const reason = kind === 'cancelled' ? 'cancelled' : `timeout after ${timeoutMs} ms`;
          resolve({ healthy: false, latencyMs: latency(), reason });
        }, graceMs);
      },
      { once: true },
    );
  });

  const context: ProbeContext = {
    deadline,
    signal: controller.signal,
    connect: async (target, connectOptions) => {
      const socket = await openConnection(target, {
        ...connectOptions,
        timeoutMs: connectOptions?.timeoutMs ?? deadline.phaseMs(),
        signal: controller.signal,
        onSocket: (created) => releases.push(() => created.destroy()),
      });
      return socket;
    },
    onFinish: (release) => releases.push(release),
  };

  const outcome = body(context).then(
    (reason): ProbeResult => ({ healthy: true, latencyMs: latency(), reason }),
    (err: unknown): ProbeResult => ({ healthy: false, latencyMs: latency(), reason: reasonOf(err) }),
  );

  try {
    return await Promise.race([outcome, backstop]);
  } finally {
    clearTimeout(deadlineTimer);
    if (backstopTimer) clearTimeout(backstopTimer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
    if (!controller.signal.aborted) controller.abort(new ProbeAbort('cancelled'));
    // Last in, first out: a TLS socket must be destroyed before the TCP socket under it (the other order has
    // crashed Node 20 with a segfault on the next handshake).
    for (const release of releases.reverse()) {
      try {
        release();
      } catch {
        // Releasing is best effort; a failing release must not hide the verdict.
      }
    }
    // A body still running after the verdict must not surface as an unhandled rejection.
    outcome.catch(() => undefined);
  }
}

/** The operator-facing reason for anything a probe body threw. */
export function reasonOf(err: unknown): string {
  if (err instanceof ProbeFailure) return err.reason;
  if (err instanceof ProbeAbort) return err.kind === 'cancelled' ? 'cancelled' : 'timeout';
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}

/** Options of {@link openConnection}: ConnectOptions with a mandatory limit and the probe's signal. */
export interface OpenConnectionOptions extends ConnectOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Called with every socket as soon as it exists, so a caller can own it even if connect fails midway. */
  readonly onSocket?: (socket: net.Socket) => void;
}

/**
 * Opens a TCP connection (then a TLS session if asked) with no-delay on. Rejects with a ProbeFailure whose reason
 * names the failure; destroys the socket on any failure. Prefer {@link ProbeContext.connect} inside a probe.
 */
export function openConnection(target: ProbeTarget, options: OpenConnectionOptions): Promise<net.Socket> {
  const { signal, timeoutMs } = options;
  return new Promise<net.Socket>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortFailure(signal, () => `connect timeout after ${timeoutMs} ms`));
      return;
    }
    let phase: 'connect' | 'tls' = 'connect';
    let settled = false;
    const raw = net.connect({ host: target.host, port: target.port });
    raw.setNoDelay(true);
    // Errors are reported through the listeners below while connecting and through SocketReader afterwards; this
    // keeps a late error (after the verdict, before destroy) from crashing the process as an unhandled 'error'.
    raw.on('error', ignoreError);
    options.onSocket?.(raw);
    let secure: tls.TLSSocket | undefined;

    const timeoutReason = (): string =>
      phase === 'connect' ? `connect timeout after ${timeoutMs} ms` : `TLS handshake timeout after ${timeoutMs} ms`;

    const fail = (failure: ProbeFailure): void => {
      if (settled) return;
      settled = true;
      cleanup();
      secure?.destroy();
      raw.destroy();
      reject(failure);
    };
    const succeed = (socket: net.Socket): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(socket);
    };
    const onError = (err: Error): void =>
      fail(new ProbeFailure(phase === 'connect' ? describeConnectError(err, target) : describeTlsError(err)));
    const onEarlyClose = (): void =>
      fail(new ProbeFailure(phase === 'connect' ? 'connection closed during connect' : 'TLS handshake failed: connection closed by peer'));
    const onAbort = (): void => fail(abortFailure(signal!, timeoutReason));
    const timer = setTimeout(() => fail(new ProbeFailure(timeoutReason())), Math.max(0, timeoutMs));
    signal?.addEventListener('abort', onAbort, { once: true });

    function cleanup(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      raw.removeListener('error', onError);
      raw.removeListener('close', onEarlyClose);
      secure?.removeListener('error', onError);
      secure?.removeListener('close', onEarlyClose);
    }

    raw.once('error', onError);
    raw.once('close', onEarlyClose);
    raw.once('connect', () => {
      if (!options.tls) {
        succeed(raw);
        return;
      }
      phase = 'tls';
      const servername = options.servername ?? (net.isIP(target.host) ? undefined : target.host);
      secure = tls.connect({
        socket: raw,
        servername,
        // Host-name checks need a name; for a bare IP, Node checks the certificate's IP SANs against `host`.
        host: target.host,
        rejectUnauthorized: !options.insecure,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ALPNProtocols: options.alpnProtocols ? [...options.alpnProtocols] : undefined,
      });
      secure.on('error', ignoreError);
      options.onSocket?.(secure);
      secure.once('error', onError);
      secure.once('close', onEarlyClose);
      secure.once('secureConnect', () => succeed(secure!));
    });
  });
}

function ignoreError(): void {
  // Intentionally empty: see openConnection.
}

function abortFailure(signal: AbortSignal, deadlineReason: () => string): ProbeFailure {
  const abort = signal.reason;
  return new ProbeFailure(abort instanceof ProbeAbort && abort.kind === 'deadline' ? deadlineReason() : 'cancelled');
}

/** Maps a socket error during TCP connect to an operator-facing reason. */
export function describeConnectError(err: Error, target?: ProbeTarget): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ECONNRESET':
      return 'connection reset by peer';
    case 'ETIMEDOUT':
      return 'connect timeout (operating system)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host ${target?.host ?? ''}`.trimEnd();
    case 'EADDRNOTAVAIL':
      return 'address not available';
    default:
      return `connect failed: ${code ?? err.message}`;
  }
}

/** Maps an error during the TLS handshake to "TLS handshake failed: <detail>". */
export function describeTlsError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET') return 'TLS handshake failed: connection reset by peer';
  // OpenSSL errors carry a short `reason` ("wrong version number"); their message is a multi-line dump.
  const openSslReason = (err as { reason?: unknown }).reason;
  const text = typeof openSslReason === 'string' && openSslReason ? openSslReason : err.message.split('\n')[0]!.trim();
  const detail = code && !text.includes(code) ? `${text} (${code})` : text;
  return `TLS handshake failed: ${detail}`;
}

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
      const onAbort = (): void => finish(() => reject(abortFailure(signal!, timeoutReason)));
      const timer = setTimeout(() => finish(() => reject(new ProbeFailure(timeoutReason()))), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });

      const pump = (): void => {
        try {
          while (this.queue.length > 0) {
            const chunk = this.queue.shift()!;
            this.queuedBytes -= chunk.length;
            const value = consume(chunk);
            if (value !== undefined) {
              finish(() => resolve(value));
              return;
            }
          }
        } catch (err) {
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
export function describeStreamError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET') return 'connection reset by peer';
  if (code === 'EPIPE') return 'connection closed by peer while sending';
  return `socket error: ${code ?? err.message}`;
}

/** Writes `data` and resolves once it is handed to the kernel; rejects with a ProbeFailure if the socket fails. */
export function writeAll(socket: net.Socket, data: Buffer | string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.write(data, (err) => (err ? reject(new ProbeFailure(describeStreamError(err))) : resolve()));
  });
}

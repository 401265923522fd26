/**
 * The lifecycle of one socket-based probe (tcp, dicom, hl7, xds, http): {@link runProbe} runs a probe body under an
 * overall deadline and an optional caller AbortSignal, measures `latencyMs`, turns a thrown ProbeFailure into
 * `healthy:false`, never rejects, and destroys every socket the body opened through its context — whatever happens.
 * Each phase takes its own limit from the {@link Deadline}.
 */
import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { openConnection, type ConnectOptions } from './connect';
import { ProbeAbort, ProbeFailure } from './probe-failure';
import { withClientCertificateHint } from './tls-alerts';
import type { ProbeOptions, ProbeResult, ProbeTarget } from './types';

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
  let presentedClientCertificate = false;

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
        // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the lifecycle aborts its own controller only with a ProbeAbort
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
      if (connectOptions?.tls === true && connectOptions.clientCertificate !== undefined) presentedClientCertificate = true;
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
    (err: unknown): ProbeResult => {
      const reason = reasonOf(err);
      return { healthy: false, latencyMs: latency(), reason: presentedClientCertificate ? withClientCertificateHint(reason) : reason };
    },
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

/**
 * How a probe fails: a {@link ProbeFailure} carries the reason an operator reads; a {@link ProbeAbort} says why the
 * probe's signal fired (cancelled, or the overall deadline); {@link printable} makes peer text safe for a reason.
 */

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

/** The failure of a probe whose signal fired: the deadline's own reason, or "cancelled". */
export function abortFailure(signal: AbortSignal, deadlineReason: () => string): ProbeFailure {
  const abort: unknown = signal.reason;
  return new ProbeFailure(abort instanceof ProbeAbort && abort.kind === 'deadline' ? deadlineReason() : 'cancelled');
}

/**
 * The lab's time: one clock for the ELBv2 endpoint's data plane and the controller it plays against, so a
 * scenario written in AWS's units (a 5 s health-check interval, a 300 s deregistration delay) runs in seconds.
 * Model time runs `scale` times faster than the wall clock; every delay and interval of the lab goes through it.
 */

/** A source of model time and timers; the controller side takes the same shape. */
export interface LabClock {
  /** Model time in milliseconds (only differences mean something). */
  now(): number;
  /** Runs `fn` once after `ms` of model time; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
  /** Resolves after `ms` of model time. */
  sleep(ms: number): Promise<void>;
  /** Model milliseconds per wall-clock millisecond. */
  readonly scale: number;
}

/** Model time that runs `scale` times faster than `performance.now()`. */
export class ScaledClock implements LabClock {
  private readonly origin = performance.now();

  /** @param scale model milliseconds per wall-clock millisecond (1 = real time, 60 = a minute per second). */
  constructor(readonly scale = 1) {
    if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`ScaledClock: scale must be a positive number, got ${scale}`);
  }

  now(): number {
    return (performance.now() - this.origin) * this.scale;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = setTimeout(fn, Math.max(0, ms) / this.scale);
    return () => clearTimeout(timer);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }
}

/**
 * Traffic as the hospital makes it, for the lab: a modality that opens a NEW DICOM association (C-ECHO) every
 * few tens of milliseconds, and an HL7 sender that keeps ONE MLLP connection and sends a message every few tens
 * of milliseconds, reconnecting and resending the unacknowledged message when the connection breaks, as MLLP
 * senders do. Both count what a user of the load balancer would notice; client timeouts are counted apart from
 * failures (refused, reset, closed: what a VIP without a target, or a terminated connection, produces).
 *
 * Cadences are wall-clock milliseconds: the clients are the real world; only the load balancer's delays run on
 * the lab's scaled clock.
 */
import { connect, type Socket } from 'node:net';
import { probe } from '../lambda/probes';

/** Where the traffic goes (a VIP). */
export interface TrafficTarget {
  readonly host: string;
  readonly port: number;
}

/** Why an association or a connection failed, as the client saw it. */
export type FailureKind = 'reset' | 'refused' | 'closed' | 'other';

/** One failure, for the report. */
export interface FailureRecord {
  /** Milliseconds since the traffic started (for an association: when it started). */
  readonly atMs: number;
  readonly kind: FailureKind | 'timeout';
  readonly reason: string;
}

/** What a DICOM modality saw. */
export interface DicomTrafficReport {
  readonly attempts: number;
  readonly succeeded: number;
  /** Associations that failed: refused, reset or closed (no target behind the VIP, a terminated connection...). */
  readonly failed: number;
  readonly failedBy: Readonly<Record<FailureKind, number>>;
  /** Associations that timed out on the client (reported apart: a slow server is not a refused association). */
  readonly timeouts: number;
  /** The first failures and timeouts, in order (at most 20). */
  readonly firstFailures: readonly FailureRecord[];
  /** When the first and the last failed association (timeouts apart) started, ms since the traffic started. */
  readonly failureWindow?: { readonly fromMs: number; readonly toMs: number };
}

/** Options of {@link DicomAssociationTraffic}. */
export interface DicomTrafficOptions {
  /** Time between the starts of two associations, wall-clock ms. @default 50 */
  readonly everyMs?: number;
  /** Bound of one association (connect, associate, C-ECHO, release), wall-clock ms. @default 3000 */
  readonly timeoutMs?: number;
  /** @default 'MODALITY' */
  readonly callingAeTitle?: string;
  /** @default 'PACS' */
  readonly calledAeTitle?: string;
}

const MAX_RECORDED_FAILURES = 20;

/** A modality opening a new association (C-ECHO, with the project's own DICOM probe) at a fixed cadence. */
export class DicomAssociationTraffic {
  private readonly startedAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private attempts = 0;
  private succeeded = 0;
  private timeouts = 0;
  private readonly failedBy: Record<FailureKind, number> = { reset: 0, refused: 0, closed: 0, other: 0 };
  private readonly failures: FailureRecord[] = [];
  private failureWindow: { fromMs: number; toMs: number } | undefined;

  constructor(
    private readonly target: TrafficTarget,
    private readonly options: DicomTrafficOptions = {},
  ) {
    this.timer = setInterval(() => this.associate(), options.everyMs ?? 50);
  }

  /** Milliseconds since the traffic started (the time base of the report). */
  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Counts so far (associations in flight not included). */
  get report(): DicomTrafficReport {
    const failed = Object.values(this.failedBy).reduce((a, b) => a + b, 0);
    return {
      attempts: this.attempts,
      succeeded: this.succeeded,
      failed,
      failedBy: { ...this.failedBy },
      timeouts: this.timeouts,
      firstFailures: [...this.failures],
      ...(this.failureWindow ? { failureWindow: { ...this.failureWindow } } : {}),
    };
  }

  /** Stops starting associations, waits for those in flight, and reports. */
  async stop(): Promise<DicomTrafficReport> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
    return this.report;
  }

  private associate(): void {
    this.attempts += 1;
    const startedMs = this.elapsedMs();
    const run = probe(this.target, {
      protocol: 'dicom',
      timeoutMs: this.options.timeoutMs ?? 3000,
      callingAeTitle: this.options.callingAeTitle ?? 'MODALITY',
      calledAeTitle: this.options.calledAeTitle ?? 'PACS',
    }).then((result) => {
      if (result.healthy) {
        this.succeeded += 1;
        return;
      }
      const kind = classify(result.reason);
      if (kind === 'timeout') this.timeouts += 1;
      else {
        this.failedBy[kind] += 1;
        this.failureWindow = { fromMs: Math.min(this.failureWindow?.fromMs ?? startedMs, startedMs), toMs: Math.max(this.failureWindow?.toMs ?? startedMs, startedMs) };
      }
      if (this.failures.length < MAX_RECORDED_FAILURES) this.failures.push({ atMs: startedMs, kind, reason: result.reason });
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }
}

/** A probe reason as a failure kind ("timeout" is a client timeout, not a failed association). */
function classify(reason: string): FailureKind | 'timeout' {
  if (/timeout/i.test(reason)) return 'timeout';
  if (/reset/i.test(reason)) return 'reset';
  if (/refused/i.test(reason)) return 'refused';
  if (/closed/i.test(reason)) return 'closed';
  return 'other';
}

/** What an HL7 sender saw. */
export interface MllpTrafficReport {
  /** Messages the sender had to send. */
  readonly generated: number;
  /** Messages acknowledged (MSA-1 AA or CA for their control id). */
  readonly acknowledged: number;
  /** Messages never acknowledged by the time the sender stopped (after its drain time). */
  readonly unacknowledged: number;
  /** Connections that broke while the sender used them (reset or closed by the other side). */
  readonly connectionsLost: number;
  readonly connectionsLostBy: Readonly<Record<FailureKind, number>>;
  /** Messages sent again on a new connection because their ACK never came on the old one. */
  readonly resent: number;
  /** ACKs that did not come in time (the sender then reconnects and resends), reported apart. */
  readonly ackTimeouts: number;
  /** Connections opened, the first included. */
  readonly connections: number;
  readonly firstFailures: readonly FailureRecord[];
}

/** Options of {@link MllpSenderTraffic}. */
export interface MllpTrafficOptions {
  /** Time between two new messages, wall-clock ms. @default 50 */
  readonly everyMs?: number;
  /** Time to wait for an ACK before giving up on the connection, wall-clock ms. @default 3000 */
  readonly ackTimeoutMs?: number;
  /** Pause before reconnecting after a broken connection, wall-clock ms. @default 20 */
  readonly reconnectDelayMs?: number;
}

const VT = '\x0b';
const FS_CR = '\x1c\x0d';

/**
 * An HL7 sender on one persistent MLLP connection: messages queue at a fixed cadence and go one at a time, each
 * waiting for its ACK. When the connection breaks or an ACK does not come, the sender reconnects and resends
 * the unacknowledged message first (MLLP gives at-least-once delivery; receivers deduplicate by MSH-10).
 */
export class MllpSenderTraffic {
  private readonly startedAt = Date.now();
  private readonly generator: NodeJS.Timeout;
  private readonly queue: string[] = [];
  private sequence = 0;
  private socket: Socket | undefined;
  private inFlight: { readonly controlId: string; readonly timer: NodeJS.Timeout } | undefined;
  private received = '';
  private stopped = false;
  private reconnecting: NodeJS.Timeout | undefined;
  private counts = { generated: 0, acknowledged: 0, connectionsLost: 0, resent: 0, ackTimeouts: 0, connections: 0 };
  private readonly lostBy: Record<FailureKind, number> = { reset: 0, refused: 0, closed: 0, other: 0 };
  private readonly failures: FailureRecord[] = [];
  private readonly idleWaiters = new Set<() => void>();

  constructor(
    private readonly target: TrafficTarget,
    private readonly options: MllpTrafficOptions = {},
  ) {
    this.generator = setInterval(() => this.enqueue(), options.everyMs ?? 50);
    this.open();
  }

  get report(): MllpTrafficReport {
    return { ...this.counts, unacknowledged: this.queue.length, connectionsLostBy: { ...this.lostBy }, firstFailures: [...this.failures] };
  }

  /** Stops generating, gives the queue up to `drainMs` to be acknowledged, closes and reports. */
  async stop(drainMs = 5000): Promise<MllpTrafficReport> {
    clearInterval(this.generator);
    if (this.queue.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs);
        this.idleWaiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.stopped = true;
    clearTimeout(this.reconnecting);
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.socket?.destroy();
    return this.report;
  }

  private enqueue(): void {
    this.sequence += 1;
    this.counts.generated += 1;
    const controlId = `LAB${String(this.sequence).padStart(8, '0')}`;
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    this.queue.push(`MSH|^~\\&|LAB|HOSP|RIS|HOSP|${stamp}||ADT^A08^ADT_A01|${controlId}|P|2.5\rEVN|A08|${stamp}\rPID|1||LAB${this.sequence}^^^HOSP^MR\r`);
    this.sendNext();
  }

  private open(): void {
    if (this.stopped) return;
    this.counts.connections += 1;
    this.received = '';
    const socket = connect({ host: this.target.host, port: this.target.port });
    this.socket = socket;
    socket.setEncoding('latin1');
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      this.sendNext();
    });
    socket.on('data', (chunk: string) => this.onData(chunk));
    let failure: { kind: FailureKind; reason: string } | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const kind: FailureKind = err.code === 'ECONNRESET' ? 'reset' : err.code === 'ECONNREFUSED' ? 'refused' : 'other';
      failure = { kind, reason: `${connected ? 'connection' : 'connect'} failed: ${err.code ?? err.message}` };
    });
    socket.on('close', () => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = undefined;
      this.lose(failure ?? { kind: 'closed', reason: 'connection closed by the other side' });
    });
  }

  /** The connection broke: the message in flight (if any) goes again on a new connection. */
  private lose(failure: { kind: FailureKind; reason: string }): void {
    this.counts.connectionsLost += 1;
    this.lostBy[failure.kind] += 1;
    this.record(failure.kind, failure.reason);
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      this.inFlight = undefined;
      this.counts.resent += 1;
    }
    this.reconnecting = setTimeout(() => this.open(), this.options.reconnectDelayMs ?? 20);
  }

  private sendNext(): void {
    const socket = this.socket;
    const message = this.queue[0];
    if (this.inFlight || !socket || socket.connecting || socket.destroyed || message === undefined) return;
    // MSH-10, the message control id, is the 10th field of the first segment (the sender wrote it there).
    const controlId = message.split('\r')[0]?.split('|')[9] ?? '';
    const timer = setTimeout(() => {
      // No ACK in time: an MLLP sender cannot know whether the message arrived, so it starts over.
      this.counts.ackTimeouts += 1;
      this.record('timeout', `no ACK for ${controlId} within ${this.options.ackTimeoutMs ?? 3000} ms`);
      this.inFlight = undefined;
      this.counts.resent += 1;
      this.socket = undefined;
      socket.destroy();
      this.reconnecting = setTimeout(() => this.open(), this.options.reconnectDelayMs ?? 20);
    }, this.options.ackTimeoutMs ?? 3000);
    this.inFlight = { controlId, timer };
    socket.write(`${VT}${message}${FS_CR}`, 'latin1');
  }

  private onData(chunk: string): void {
    this.received += chunk;
    for (let end = this.received.indexOf(FS_CR); end !== -1; end = this.received.indexOf(FS_CR)) {
      const frame = this.received.slice(this.received.indexOf(VT) + 1, end);
      this.received = this.received.slice(end + FS_CR.length);
      const msa = frame.split('\r').find((segment) => segment.startsWith('MSA|'))?.split('|');
      if (!this.inFlight || msa?.[2] !== this.inFlight.controlId || (msa[1] !== 'AA' && msa[1] !== 'CA')) continue;
      clearTimeout(this.inFlight.timer);
      this.inFlight = undefined;
      this.queue.shift();
      this.counts.acknowledged += 1;
      if (this.queue.length === 0) {
        for (const wake of this.idleWaiters) wake();
        this.idleWaiters.clear();
      }
      this.sendNext();
    }
  }

  private record(kind: FailureKind | 'timeout', reason: string): void {
    if (this.failures.length < MAX_RECORDED_FAILURES) this.failures.push({ atMs: Date.now() - this.startedAt, kind, reason });
  }
}

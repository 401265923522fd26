/**
 * Contracts of the probe library. Probe code imports nothing from AWS: it knows protocols only.
 * See docs/architecture.md#check-options and #protocols (protocol notes).
 */
import type { ProbeCommandCheck } from '../../contract/probe-command';
import type { ClientCertificatePem } from '../../contract/client-certificate';

export { PROBE_PROTOCOLS, type ProbeProtocol } from '../../contract/check';

/** Where a probe goes: one real server's address and the check port. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * A check as a probe runs it: the options `medlb probe` and the controller config share (contract/probe-command.ts,
 * defined there once), with the timeout resolved and the client certificate as data instead of a reference.
 */
export interface CheckSpec extends Omit<ProbeCommandCheck, 'port' | 'timeoutMs' | 'clientCertificate'> {
  /** Bounds the whole probe, every phase included. */
  readonly timeoutMs: number;
  /**
   * Certificate chain and private key presented when the server asks for one (mutual TLS), as data: the controller
   * or the CLI reads them (Secrets Manager, files); probes never fetch anything. Never logged or put in a reason.
   * @default none: a server that requires a client certificate refuses the handshake
   */
  readonly tlsClientCertificate?: ClientCertificatePem;
}

/** Per-call options that are not part of the check itself. */
export interface ProbeOptions {
  /** Cancels the probe; it then resolves (never rejects) with healthy:false. */
  readonly signal?: AbortSignal;
}

/** The verdict of one probe. A probe never throws for a peer's misbehaviour: it returns this. */
export interface ProbeResult {
  readonly healthy: boolean;
  /** Wall time from start to verdict, in milliseconds. */
  readonly latencyMs: number;
  /** What passed or exactly what failed, e.g. "C-ECHO status 0x0000" or "association rejected (...)". */
  readonly reason: string;
}

/**
 * Contracts of the probe library. Probe code imports nothing from AWS: it knows protocols only.
 * See docs/architecture.md#controller-config (check options) and #protocols (protocol notes).
 */
import type { Hl7ProcessingId, ProbeProtocol, XdsTransaction } from '../../contract/check';
import type { ClientCertificatePem } from '../../contract/client-certificate';

export { PROBE_PROTOCOLS, type ProbeProtocol } from '../../contract/check';

/** Where a probe goes: one real server's address and the check port. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/** A check as the controller config (v1) describes it; protocol-specific fields are optional. */
export interface CheckSpec {
  readonly protocol: ProbeProtocol;
  /** Bounds the whole probe, every phase included. */
  readonly timeoutMs: number;
  /** Wrap the protocol in TLS (tcp, dicom, hl7, xds). http/https decide by protocol. */
  readonly tls?: boolean;
  /** Skip certificate verification (TLS variants and https). */
  readonly insecure?: boolean;
  /**
   * PEM certificates of the CAs that sign the real servers' certificates (a hospital's internal PKI), trusted
   * instead of the public CAs when the certificate is verified.
   */
  readonly caCertificates?: string;
  /**
   * The name the server's certificate must hold, also sent as SNI: servers are probed by IP, certificates name
   * hosts. @default the target's address (verified against the certificate's IP names; no SNI)
   */
  readonly serverName?: string;
  /**
   * Certificate chain and private key presented when the server asks for one (mutual TLS), as data: the controller
   * or the CLI reads them (Secrets Manager, files); probes never fetch anything. Never logged or put in a reason.
   * @default none: a server that requires a client certificate refuses the handshake
   */
  readonly tlsClientCertificate?: ClientCertificatePem;
  // dicom
  readonly callingAeTitle?: string;
  readonly calledAeTitle?: string;
  // hl7
  readonly messageType?: string;
  readonly acceptCodes?: readonly string[];
  /** MSH-3, MSH-4: who the engine sees as sender. @default DEFAULT_HL7_SENDING_APPLICATION / _FACILITY */
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
  /** MSH-5, MSH-6: the receiving application and facility the engine routes on. @default empty */
  readonly receivingApplication?: string;
  readonly receivingFacility?: string;
  /** MSH-11. @default DEFAULT_HL7_PROCESSING_ID (P) */
  readonly processingId?: Hl7ProcessingId;
  // xds
  readonly transaction?: XdsTransaction;
  readonly patientId?: string;
  readonly documentUniqueId?: string;
  readonly repositoryUniqueId?: string;
  // http, https, xds
  readonly path?: string;
  readonly expect?: string;
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

/**
 * Client certificates (mutual TLS) for the controller's checks and the CLI. A check in the controller config names
 * a Secrets Manager secret (`check.clientCertificate.secretArn`); the controller reads it through the
 * {@link ClientCertificateSource} port (adapter: lambda/adapters/secrets-manager-client-certificates.ts), keeps it
 * for a TTL, reads it again after a failed TLS handshake, and hands certificate and key to the probe as data
 * (`CheckSpec.tlsClientCertificate`): probes never call AWS.
 *
 * {@link resolveClientCertificate} is the one way to get the certificate a service's check presents — from files
 * (`--cert`/`--key`) or from the secret the config names — for every command that runs checks.
 *
 * The private key never leaves memory: it is not logged, not put in a reason, not stored. Messages name the
 * secret ARN and describe the certificate by subject and SHA-256 fingerprint only.
 */
import { readFileSync } from 'node:fs';
import type { ClientCertificateReference } from '../../contract/check';
import { ClientCertificateError, validClientCertificate, type ValidClientCertificate } from '../../contract/client-certificate';
import { describePemSafely, holdsPrivateKey } from '../../contract/pem';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from '../probes/types';
import { CLIENT_CERTIFICATE_DEFAULTS } from './client-certificate-defaults';

export { ClientCertificateError, type ValidClientCertificate } from '../../contract/client-certificate';
export type { ClientCertificateReference } from '../../contract/check';

/** Port: reads the client certificate a reference names (the adapter: Secrets Manager GetSecretValue). */
export interface ClientCertificateSource {
  /**
   * Reads and validates the certificate. Rejects with {@link ClientCertificateError} when the content is unusable,
   * with another Error when it cannot be read; no message holds key material.
   */
  read(reference: ClientCertificateReference, options?: { readonly signal?: AbortSignal }): Promise<ValidClientCertificate>;
}

/** A client certificate and its key as two PEM files (`medlb probe --cert F --key F`). */
export interface ClientCertificateFiles {
  readonly certificateFile: string;
  readonly keyFile: string;
}

/**
 * Reads and validates a certificate chain file and a private key file (synchronously: command lines read them once
 * while parsing); throws ClientCertificateError naming the files, never their content.
 */
export function readClientCertificateFiles(files: ClientCertificateFiles): ValidClientCertificate {
  const source = `--cert ${files.certificateFile} --key ${files.keyFile}`;
  const read = (file: string, flag: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new ClientCertificateError(source, [`${flag} ${file} cannot be read: ${fileErrorCode(error)}`]);
    }
  };
  const certificateChain = read(files.certificateFile, '--cert');
  const privateKey = read(files.keyFile, '--key');
  return validClientCertificate({ certificateChain, privateKey }, source);
}

/** A file error's code (ENOENT, EACCES), else its text. */
function fileErrorCode(error: unknown): string {
  const code: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
  return typeof code === 'string' ? code : String(error);
}

/** Where {@link resolveClientCertificate} may take a certificate from. */
export interface ClientCertificateSources {
  /** Files given on the command line: used instead of any secret the check names. */
  readonly files?: ClientCertificateFiles;
  /** Reads the secret a check names (a {@link ClientCertificateCache} in the controller, the adapter in a one-shot command). */
  readonly secrets?: ClientCertificateSource;
  /** Cancels a secret read. */
  readonly signal?: AbortSignal;
}

/**
 * The client certificate a service's check presents, for every command that runs checks (controller, `medlb probe`,
 * `medlb preflight`): the files when given, else the secret the check's `clientCertificate` names, else none.
 * @param check a controller-config check (or anything with its optional `clientCertificate` reference)
 * @throws ClientCertificateError when the certificate is unusable, or the check names a secret and no `secrets`
 *   source was given; another Error when the secret cannot be read
 */
export async function resolveClientCertificate(
  check: { readonly clientCertificate?: ClientCertificateReference },
  sources: ClientCertificateSources,
): Promise<ValidClientCertificate | undefined> {
  if (sources.files !== undefined) return readClientCertificateFiles(sources.files);
  const reference = check.clientCertificate;
  if (reference === undefined) return undefined;
  if (sources.secrets === undefined) {
    throw new ClientCertificateError(`secret ${reference.secretArn}`, ['the check names a secret but no AWS access was given to read it: give --cert and --key files, or AWS credentials']);
  }
  return sources.secrets.read(reference, sources.signal !== undefined ? { signal: sources.signal } : {});
}

/** What {@link ClientCertificateCache} logs (a subset of the round's logger). */
export interface ClientCertificateLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

/** Options of {@link ClientCertificateCache}. */
export interface ClientCertificateCacheProps {
  readonly source: ClientCertificateSource;
  /** @default CLIENT_CERTIFICATE_DEFAULTS.ttlMs (5 minutes) */
  readonly ttlMs?: number;
  /** @default CLIENT_CERTIFICATE_DEFAULTS.minRereadIntervalMs (1 minute) */
  readonly minRereadIntervalMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default nothing is logged */
  readonly logger?: ClientCertificateLogger;
}

interface CacheEntry {
  /** The last certificate read successfully. */
  value?: ValidClientCertificate;
  readAt: number;
  /** A read in flight, shared by every probe that needs the secret meanwhile. */
  reading?: Promise<ValidClientCertificate>;
  /** A handshake failed since the last read: read again once minRereadIntervalMs has passed since it. */
  suspect: boolean;
}

/**
 * A {@link ClientCertificateSource} that keeps each secret for a TTL, shares one read among concurrent probes,
 * reads again after a failed TLS handshake (at most once per `minRereadIntervalMs`), and keeps using the last
 * good certificate when a re-read fails (logged), so a Secrets Manager hiccup does not fail every check.
 */
export class ClientCertificateCache implements ClientCertificateSource {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly ttlMs: number;
  private readonly minRereadIntervalMs: number;
  private readonly clock: () => number;

  constructor(private readonly props: ClientCertificateCacheProps) {
    this.ttlMs = props.ttlMs ?? CLIENT_CERTIFICATE_DEFAULTS.ttlMs;
    this.minRereadIntervalMs = props.minRereadIntervalMs ?? CLIENT_CERTIFICATE_DEFAULTS.minRereadIntervalMs;
    this.clock = props.clock ?? Date.now;
  }

  /** The certificate, read when absent, older than the TTL, or suspect; a probe's signal does not cancel a read other probes share. */
  read(reference: ClientCertificateReference): Promise<ValidClientCertificate> {
    const key = cacheKey(reference);
    const entry = this.entries.get(key);
    if (entry?.reading) return entry.reading;
    const now = this.clock();
    if (entry?.value !== undefined) {
      const age = now - entry.readAt;
      const fresh = entry.suspect ? age < this.minRereadIntervalMs : age < this.ttlMs;
      if (fresh) return Promise.resolve(entry.value);
    }
    return this.startRead(reference, key, entry);
  }

  /** Marks a secret's certificate suspect after a failed TLS handshake: it is read again soon (see minRereadIntervalMs). */
  handshakeFailed(reference: ClientCertificateReference): void {
    const entry = this.entries.get(cacheKey(reference));
    if (entry !== undefined) entry.suspect = true;
  }

  private startRead(reference: ClientCertificateReference, key: string, previous: CacheEntry | undefined): Promise<ValidClientCertificate> {
    const entry: CacheEntry = previous ?? { readAt: 0, suspect: false };
    this.entries.set(key, entry);
    const reading = this.props.source.read(reference).then(
      (value) => {
        const changed = entry.value !== undefined && entry.value.description !== value.description;
        if (entry.value === undefined || changed || entry.suspect) {
          this.props.logger?.info(changed ? 'client certificate changed' : 'client certificate read', { secretArn: reference.secretArn, certificate: value.description });
        }
        entry.value = value;
        entry.readAt = this.clock();
        entry.suspect = false;
        entry.reading = undefined;
        return value;
      },
      (error: unknown) => {
        entry.reading = undefined;
        const message = error instanceof Error ? error.message : String(error);
        if (entry.value === undefined) {
          this.entries.delete(key);
          throw error;
        }
        // Keep the last good certificate; try again after minRereadIntervalMs rather than on every probe.
        entry.readAt = this.clock() - Math.max(0, this.ttlMs - this.minRereadIntervalMs);
        this.props.logger?.warn('client certificate could not be read again; using the one read before', {
          secretArn: reference.secretArn,
          certificate: entry.value.description,
          error: message,
        });
        return entry.value;
      },
    );
    entry.reading = reading;
    return reading;
  }
}

function cacheKey(reference: ClientCertificateReference): string {
  return `${reference.secretArn}\n${reference.kmsKeyArn ?? ''}`;
}

/** The probe library's entry point (lambda/probes/index.ts `probe`). */
type ProbeFunction = (target: ProbeTarget, check: CheckSpec, options?: ProbeOptions) => Promise<ProbeResult>;

/** The reference a controller-config check carries beside the probe's own options, when it names a secret. */
function referenceOf(check: CheckSpec): ClientCertificateReference | undefined {
  const reference: unknown = Reflect.get(check, 'clientCertificate');
  if (typeof reference !== 'object' || reference === null || !('secretArn' in reference) || typeof reference.secretArn !== 'string') return undefined;
  const kmsKeyArn = 'kmsKeyArn' in reference && typeof reference.kmsKeyArn === 'string' ? reference.kmsKeyArn : undefined;
  return { secretArn: reference.secretArn, ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) };
}

/**
 * The probe function the controller runs: a check whose config names a client certificate gets it (read through
 * `cache`) as `tlsClientCertificate`; the time the read took comes off the check's timeout, so the probe still
 * ends within it. A certificate that cannot be read makes the probe fail with the reason (never the key); a
 * failed TLS handshake marks the secret for an early re-read (the server may already want a rotated one).
 */
export function withClientCertificates(probe: ProbeFunction, cache: ClientCertificateCache): ProbeFunction {
  return async (target, check, options) => {
    const reference = referenceOf(check);
    if (reference === undefined) return probe(target, check, options);
    const started = performance.now();
    let certificate: ValidClientCertificate;
    try {
      certificate = await cache.read(reference);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Belt and braces: no source message should hold key material, but a reason is stored and printed.
      const safe = holdsPrivateKey(message) ? `an error whose text held key material (${describePemSafely(message)})` : message;
      return { healthy: false, latencyMs: Math.round(performance.now() - started), reason: `client certificate unavailable: ${safe}` };
    }
    const spent = performance.now() - started;
    // The reference is the config's business; the probe gets the certificate itself.
    const probeCheck: CheckSpec = { ...check };
    Reflect.deleteProperty(probeCheck, 'clientCertificate');
    const result = await probe(
      target,
      { ...probeCheck, timeoutMs: Math.max(1, Math.floor(check.timeoutMs - spent)), tlsClientCertificate: { certificateChain: certificate.certificateChain, privateKey: certificate.privateKey } },
      options,
    );
    if (!result.healthy && result.reason.startsWith('TLS handshake failed')) cache.handshakeFailed(reference);
    return result;
  };
}

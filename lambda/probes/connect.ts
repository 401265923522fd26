/**
 * Opening a probe's connection: TCP (optionally TLS) with no-delay set, bounded by a limit and the probe's signal,
 * every failure named for an operator ("connection refused", "connect timeout after 3000 ms", "TLS handshake
 * failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)"). Probes use it through ProbeContext.connect
 * (probe-lifecycle.ts).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ClientCertificatePem } from '../../contract/client-certificate';
import { abortFailure, ProbeFailure } from './probe-failure';
import { describeTlsAlert } from './tls-alerts';
import type { CheckSpec, ProbeTarget } from './types';
import { codeOf, propertyOf } from '../../contract/thrown';

/** The connection options a check asks for: TLS or not, and how to verify the peer. */
export function tlsOptionsOf(
  check: Pick<CheckSpec, 'tls' | 'insecure' | 'caCertificates' | 'serverName' | 'tlsClientCertificate'>,
): Pick<ConnectOptions, 'tls' | 'insecure' | 'ca' | 'servername' | 'clientCertificate'> {
  return {
    tls: check.tls,
    insecure: check.insecure,
    ...(check.caCertificates !== undefined ? { ca: check.caCertificates } : {}),
    ...(check.serverName !== undefined ? { servername: check.serverName } : {}),
    ...(check.tlsClientCertificate !== undefined ? { clientCertificate: check.tlsClientCertificate } : {}),
  };
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
  /** Certificate chain and key presented when the server asks for a client certificate. @default none */
  readonly clientCertificate?: ClientCertificatePem;
  /** ALPN protocols offered during the TLS handshake (e.g. `['http/1.1']`). @default none */
  readonly alpnProtocols?: readonly string[];
  /** Limit for TCP connect plus TLS handshake. @default what is left of the probe's deadline */
  readonly timeoutMs?: number;
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
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- onAbort is only registered on `signal`, so it is set when this runs
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
        ...(options.clientCertificate !== undefined ? { cert: options.clientCertificate.certificateChain, key: options.clientCertificate.privateKey } : {}),
        ALPNProtocols: options.alpnProtocols ? [...options.alpnProtocols] : undefined,
      });
      secure.on('error', ignoreError);
      options.onSocket?.(secure);
      secure.once('error', onError);
      secure.once('close', onEarlyClose);
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- assigned on the line that created it, before any event can fire
      secure.once('secureConnect', () => succeed(secure!));
    });
  });
}

function ignoreError(): void {
  // Intentionally empty: see openConnection.
}


/** Maps a socket error during TCP connect to an operator-facing reason. */
function describeConnectError(err: Error, target?: ProbeTarget): string {
  const code = codeOf(err);
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
function describeTlsError(err: Error): string {
  const code = codeOf(err);
  if (code === 'ECONNRESET') return 'TLS handshake failed: connection reset by peer';
  const alert = describeTlsAlert(err);
  if (alert !== undefined) return alert;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Node's own text ("IP: x is not in the cert's list: ") hides the names the certificate does hold.
    const host = 'host' in err ? String(err.host) : 'the address probed';
    const altNames = 'cert' in err && typeof err.cert === 'object' && err.cert !== null && 'subjectaltname' in err.cert ? err.cert.subjectaltname : undefined;
    const names = typeof altNames === 'string' && altNames ? altNames.slice(0, 200) : 'no subject alternative names';
    return `TLS handshake failed: the certificate names ${names}, not ${host}; set serverName to one of its DNS names (${code})`;
  }
  // OpenSSL errors carry a short `reason` ("wrong version number"); their message is a multi-line dump.
  const openSslReason = propertyOf(err, 'reason');
  const text = typeof openSslReason === 'string' && openSslReason ? openSslReason : (err.message.split('\n')[0] ?? '').trim();
  const detail = code && !text.includes(code) ? `${text} (${code})` : text;
  return `TLS handshake failed: ${detail}`;
}

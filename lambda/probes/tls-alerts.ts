/**
 * TLS alerts a server sends about the client's certificate (mutual TLS), decoded for an operator. OpenSSL reports
 * them as `ERR_SSL_<version>_ALERT_<name>`; with TLS 1.2 they end the handshake, with TLS 1.3 the server judges
 * the client certificate after the client's side of the handshake is done, so the alert arrives on the first read.
 * Either way the reason says "TLS handshake failed: ...", which is what the controller's certificate cache
 * watches for (a rotated certificate is re-read after such a failure).
 */

/** Alerts about the client's certificate, by OpenSSL's error code, with what they mean for the operator. */
const CLIENT_CERTIFICATE_ALERTS: Readonly<Record<string, string>> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate and none was presented (alert certificate_required): configure clientCertificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the issuer of the client certificate (alert unknown_ca): the server must trust the CA that signed it',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server rejected the client certificate (alert bad_certificate)',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'the server could not accept the client certificate (alert certificate_unknown): it may not trust its issuer or its key usage',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the server says the client certificate has expired (alert certificate_expired): renew it and update the secret',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'the server says the client certificate was revoked (alert certificate_revoked)',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'the server does not support the client certificate (alert unsupported_certificate): check its key type and extended key usage (clientAuth)',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'the server accepted the client certificate but denies it access (alert access_denied)',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'the server could not verify the client certificate signature (alert decrypt_error)',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    'the server ended the handshake (alert handshake_failure): with TLS 1.2 this is how a server that requires a client certificate refuses a client without an acceptable one; no common cipher or protocol is the other cause',
};

/** "TLS handshake failed: <meaning> (<code>)" for a TLS alert from the server, or undefined when `err` is none. */
export function describeTlsAlert(err: Error): string | undefined {
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (code === undefined || !/^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/.test(code)) return undefined;
  const meaning = CLIENT_CERTIFICATE_ALERTS[code];
  if (meaning !== undefined) return `TLS handshake failed: ${meaning} (${code})`;
  const openSslReason: unknown = Reflect.get(err, 'reason');
  return `TLS handshake failed: the server sent ${typeof openSslReason === 'string' && openSslReason ? openSslReason : 'an alert'} (${code})`;
}

/** Reasons of a peer that ended the connection before answering anything. */
const SILENT_CLOSE = /^(TLS handshake failed: )?connection (closed|reset) by peer( before .*)?$/;

/**
 * A peer that closes the connection right after a handshake in which we presented a client certificate, without a
 * word, most likely refused the certificate: some TLS stacks (Node's among them) close instead of sending an alert.
 * Says so, or returns the reason unchanged.
 */
export function withClientCertificateHint(reason: string): string {
  return SILENT_CLOSE.test(reason)
    ? `${reason}, right after a TLS handshake in which the client certificate was presented: a server that does not accept the certificate (untrusted issuer, wrong key usage) closes the connection like this`
    : reason;
}

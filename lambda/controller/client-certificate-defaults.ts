/** Defaults of the controller's client-certificate cache (lambda/controller/client-certificates.ts), in one place. */
export const CLIENT_CERTIFICATE_DEFAULTS = {
  /**
   * How long a certificate read from Secrets Manager is used before it is read again: a rotated secret is picked
   * up within this time (sooner after a failed handshake), and a site with one secret makes 12 GetSecretValue
   * calls an hour instead of one per probe.
   */
  ttlMs: 5 * 60_000,
  /**
   * After a TLS handshake failure the secret is read again at the next probe (the server may already want the
   * rotated certificate), but not more often than this: a server that keeps refusing must not turn every round
   * into a GetSecretValue call.
   */
  minRereadIntervalMs: 60_000,
} as const;

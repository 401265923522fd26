/** Defaults of the Secrets Manager adapter (client certificates). */
export const SECRETS_MANAGER_DEFAULTS = {
  /**
   * SDK attempts per GetSecretValue: a read happens once per TTL, inside a probe's time, so a slow retry chain
   * would only turn into a probe timeout; the cache keeps the last good certificate and tries again later.
   */
  maxAttempts: 2,
} as const;

import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Why a PEM bundle of trusted certificates is unusable, or undefined when every block parses as an X.509
 * certificate (a check's `caCertificates`: a hospital's internal CAs, or a pinned self-signed server certificate).
 */
export function caCertificatesProblem(pem: string): string | undefined {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return 'holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)';
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return `certificate ${index + 1} does not parse: ${(error as Error).message}`;
    }
  }
  return undefined;
}

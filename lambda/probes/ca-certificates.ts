import { X509Certificate } from 'node:crypto';
import { describePemSafely, holdsPrivateKey } from '../../contract/pem';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
/** Any PEM block that is not a certificate: private keys (PKCS#1/#8, EC, encrypted), but also CSRs and the like. */
const NON_CERTIFICATE_PEM = /-----BEGIN (?!CERTIFICATE-----)([A-Z0-9 ]+)-----/g;

/**
 * Why a PEM bundle of trusted certificates is unusable, or undefined when every block parses as an X.509
 * certificate (a check's `caCertificates`: a hospital's internal CAs, or a pinned self-signed server certificate).
 */
export function caCertificatesProblem(pem: string): string | undefined {
  if (holdsPrivateKey(pem)) {
    // Never echo it: the message names only what was found. A private key must not reach the config or template.
    return `holds a PRIVATE KEY, which must never be given here (it would be stored in the config, the template and CloudFormation): remove the key block and keep only the CA certificates; if the key was shared, treat it as compromised (${describePemSafely(pem)})`;
  }
  const others = [...pem.matchAll(NON_CERTIFICATE_PEM)].map((m) => m[1]);
  if (others.length > 0) return `holds a ${others[0]} block where only CA certificates belong: remove it (${describePemSafely(pem)})`;
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

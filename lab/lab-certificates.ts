/**
 * The lab's own certificate authority: created per `medlb lab` run, it signs every TLS stand-in's certificate
 * (the real server's loopback address and the check's serverName as subject alternative names), and the lab's
 * controller config trusts it through the checks' `caCertificates`, as a site trusts its hospital CA. No
 * certificate verification is switched off anywhere.
 */
import { generate } from 'selfsigned';

/** A PEM certificate and its private key. */
export interface LabCertificate {
  readonly cert: string;
  readonly key: string;
}

/** A lab CA that issues server certificates. */
export class LabCertificateAuthority {
  private constructor(private readonly ca: LabCertificate) {}

  /** Creates a fresh CA (an EC key; valid for the lab's lifetime and a day). */
  static async create(): Promise<LabCertificateAuthority> {
    const pems = await generate([{ name: 'commonName', value: 'medlb lab CA' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    return new LabCertificateAuthority({ cert: pems.cert, key: pems.private });
  }

  /** The CA certificate (PEM), for `caCertificates`. */
  get certificate(): string {
    return this.ca.cert;
  }

  /** A server certificate for `ip` and the DNS `names`, signed by this CA. */
  async issue(ip: string, names: readonly string[] = []): Promise<LabCertificate> {
    const pems = await generate([{ name: 'commonName', value: names[0] ?? ip }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 86_400_000),
      ca: { key: this.ca.key, cert: this.ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'subjectAltName', altNames: [{ type: 7, ip }, ...names.map((value) => ({ type: 2 as const, value }))] },
      ],
    });
    return { cert: pems.cert, key: pems.private };
  }
}

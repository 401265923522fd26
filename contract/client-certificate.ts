/**
 * A TLS client certificate as medlb stores and uses it: the JSON an administrator puts in the Secrets Manager
 * secret a check names, `{"certificateChain": "<PEM>", "privateKey": "<PEM>"}`, and the checks that keep the key
 * where it belongs. The controller, `medlb probe --cert/--key` and `medlb preflight` read certificates through
 * these rules. Nothing here ever returns or prints key material: problems describe PEM text by its kinds of
 * blocks, a certificate by its subject and SHA-256 fingerprint.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { describePemSafely, holdsPrivateKey } from './pem';
// OpenSSL's and X509's messages name the failing routine, never the input: safe to quote.
import { messageOf } from './thrown';

/** The fields of the secret's JSON (SecretString). */
const CLIENT_CERTIFICATE_SECRET_FIELDS = { certificateChain: 'certificateChain', privateKey: 'privateKey' } as const;

/** The secret's JSON shape, as the README documents it. */
const CLIENT_CERTIFICATE_SECRET_EXAMPLE = '{"certificateChain": "-----BEGIN CERTIFICATE-----\\n...", "privateKey": "-----BEGIN PRIVATE KEY-----\\n..."}';

/** A client certificate ready for a TLS handshake: PEM chain (leaf first) and its unencrypted PEM private key. */
export interface ClientCertificatePem {
  /** The client certificate first, then any intermediate CAs the server needs to build the chain. */
  readonly certificateChain: string;
  /** The leaf certificate's private key (PKCS#8, PKCS#1 or SEC1), unencrypted: the secret itself is encrypted. */
  readonly privateKey: string;
}

/** A client certificate that passed {@link clientCertificateProblems}, with a printable description. */
export interface ValidClientCertificate extends ClientCertificatePem {
  /** Subject, issuer, expiry and SHA-256 fingerprint of the leaf certificate: safe to log. */
  readonly description: string;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const NON_CERTIFICATE_BLOCK = /-----BEGIN (?!CERTIFICATE-----)([A-Z0-9 ]+)-----/;

/**
 * The first line of text when it is a PEM boundary (`-----BEGIN RSA PRIVATE KEY-----`), else only its length:
 * a first line that is not a boundary may be base64 key material.
 */
function firstLineSafely(text: string): string {
  const first = text.trimStart().split(/\r?\n/, 1)[0] ?? '';
  return /^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(first.trim()) ? `first line ${first.trim()}` : `${text.length} characters, no PEM boundary`;
}

/** Subject CN, issuer CN, expiry and SHA-256 fingerprint of a certificate: everything an operator needs to tell it apart. */
function describeCertificate(certificate: X509Certificate): string {
  const commonName = (name: string) => /(?:^|\n)CN=([^\n]*)/.exec(name)?.[1] ?? name.replace(/\n/g, ', ');
  return `CN=${commonName(certificate.subject)}, issued by CN=${commonName(certificate.issuer)}, valid until ${new Date(certificate.validTo).toISOString().slice(0, 10)}, SHA-256 ${certificate.fingerprint256}`;
}

/**
 * Every problem of a client certificate, worded for an operator (`where` names the source: "secret arn:...",
 * "--cert client.pem"); empty when the chain holds only certificates, the key field holds one private key, and
 * the key belongs to the first certificate. No message contains key material.
 */
export function clientCertificateProblems(material: { readonly certificateChain?: unknown; readonly privateKey?: unknown }): string[] {
  const problems: string[] = [];
  const chain = material.certificateChain;
  const key = material.privateKey;
  let leaf: X509Certificate | undefined;
  if (typeof chain !== 'string' || chain.trim() === '') {
    problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.certificateChain} is missing: it must hold the PEM client certificate (then any intermediate CAs)`);
  } else if (holdsPrivateKey(chain)) {
    // The chain is logged and described freely; a key here would be too. Say what was found, never the content.
    problems.push(
      `${CLIENT_CERTIFICATE_SECRET_FIELDS.certificateChain} holds a PRIVATE KEY: only certificates belong there, the key goes in ` +
        `${CLIENT_CERTIFICATE_SECRET_FIELDS.privateKey} (${describePemSafely(chain)})`,
    );
  } else {
    const other = NON_CERTIFICATE_BLOCK.exec(chain)?.[1];
    const blocks = chain.match(CERTIFICATE_BLOCK) ?? [];
    if (other !== undefined) problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.certificateChain} holds a ${other} block where only certificates belong (${describePemSafely(chain)})`);
    else if (blocks.length === 0) problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.certificateChain} holds no PEM certificate (${firstLineSafely(chain)})`);
    blocks.forEach((block, index) => {
      try {
        const certificate = new X509Certificate(block);
        if (index === 0) leaf = certificate;
      } catch (error) {
        problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.certificateChain}: certificate ${index + 1} does not parse (${messageOf(error)})`);
      }
    });
  }
  let privateKey: KeyObject | undefined;
  if (typeof key !== 'string' || key.trim() === '') {
    problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.privateKey} is missing: it must hold the PEM private key of the client certificate`);
  } else if (!holdsPrivateKey(key)) {
    problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.privateKey} holds no PEM private key (${holdsAnyPem(key) ? describePemSafely(key) : firstLineSafely(key)})`);
  } else if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key)) {
    problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.privateKey} is encrypted with a passphrase, which medlb does not hold: store the key unencrypted (the secret itself is encrypted by KMS)`);
  } else if (/-----BEGIN CERTIFICATE-----/.test(key)) {
    problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.privateKey} holds a certificate too: only the private key belongs there (${describePemSafely(key)})`);
  } else {
    try {
      privateKey = createPrivateKey(key);
    } catch (error) {
      // OpenSSL's decoder messages name the failing routine, never the input.
      problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.privateKey} does not parse as a private key (${messageOf(error)}; ${describePemSafely(key)})`);
    }
  }
  if (leaf && privateKey && !leaf.checkPrivateKey(privateKey)) {
    problems.push(`${CLIENT_CERTIFICATE_SECRET_FIELDS.privateKey} does not belong to the first certificate of ${CLIENT_CERTIFICATE_SECRET_FIELDS.certificateChain} (${describeCertificate(leaf)}): the client certificate must come first`);
  }
  return problems;
}

function holdsAnyPem(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----/.test(text);
}

/** A client certificate that failed {@link clientCertificateProblems}; its message names the source and holds no key material. */
export class ClientCertificateError extends Error {
  override readonly name = 'ClientCertificateError';
  constructor(
    /** Where the certificate came from: "secret arn:aws:secretsmanager:..." or "--cert a.pem --key b.pem". */
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`client certificate from ${source} is unusable: ${problems.join('; ')}`);
  }
}

/**
 * Validates a client certificate and describes it; throws {@link ClientCertificateError} listing every problem.
 * @param source names the origin in messages
 */
export function validClientCertificate(material: { readonly certificateChain?: unknown; readonly privateKey?: unknown }, source: string): ValidClientCertificate {
  const problems = clientCertificateProblems(material);
  if (problems.length > 0 || typeof material.certificateChain !== 'string' || typeof material.privateKey !== 'string') throw new ClientCertificateError(source, problems);
  const leaf = new X509Certificate(material.certificateChain.match(CERTIFICATE_BLOCK)?.[0] ?? '');
  return { certificateChain: material.certificateChain, privateKey: material.privateKey, description: describeCertificate(leaf) };
}

/**
 * Reads the secret's JSON (SecretString) into a validated client certificate.
 * @throws ClientCertificateError when it is not the documented JSON shape or fails validation
 */
export function parseClientCertificateSecret(secretString: string, source: string): ValidClientCertificate {
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be key material: never pass it on.
    throw new ClientCertificateError(source, [
      `the secret value is not JSON (${secretString.length} characters; ${holdsPrivateKey(secretString) ? 'it holds a PEM private key' : firstLineSafely(secretString)}): store ${CLIENT_CERTIFICATE_SECRET_EXAMPLE}`,
    ]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClientCertificateError(source, [`the secret value is JSON but not an object: store ${CLIENT_CERTIFICATE_SECRET_EXAMPLE}`]);
  }
  const certificateChain: unknown = Reflect.get(value, CLIENT_CERTIFICATE_SECRET_FIELDS.certificateChain);
  const privateKey: unknown = Reflect.get(value, CLIENT_CERTIFICATE_SECRET_FIELDS.privateKey);
  return validClientCertificate({ certificateChain, privateKey }, source);
}

import { generateKeyPairSync } from 'node:crypto';
import { clientCertificateProblems, parseClientCertificateSecret, validClientCertificate, ClientCertificateError } from '../../contract/client-certificate';
import { clientCertificateReferenceProblems } from '../../contract/check';
import { clientCertificate, mutualTlsPki, type MutualTlsPki } from '../peers/mutual-tls-peers';

let pki: MutualTlsPki;
beforeAll(async () => {
  pki = await mutualTlsPki();
});

/** The base64 body lines of a PEM block: what must never appear in a message. */
function keyBody(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
}
function expectNoKeyMaterial(text: string, key: string): void {
  for (const line of keyBody(key)) expect(text).not.toContain(line);
  expect(text).not.toContain(key.trim());
}

describe('clientCertificateProblems', () => {
  it('accepts a certificate and its key, describing the certificate by subject and fingerprint only', () => {
    const valid = validClientCertificate({ certificateChain: pki.trustedClient.cert, privateKey: pki.trustedClient.key }, 'test');
    expect(valid.description).toMatch(/^CN=medlb-controller, issued by CN=medlb test client CA, valid until \d{4}-\d\d-\d\d, SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('accepts a chain (client first, then its CA)', () => {
    expect(clientCertificateProblems({ certificateChain: pki.trustedClient.cert + pki.clientCa.cert, privateKey: pki.trustedClient.key })).toEqual([]);
  });

  it.each([
    ['a key in the certificate field', () => ({ certificateChain: pki.trustedClient.cert + pki.trustedClient.key, privateKey: pki.trustedClient.key }), /^certificateChain holds a PRIVATE KEY: only certificates belong there, the key goes in privateKey \(PEM text with 1 CERTIFICATE and 1 PRIVATE KEY blocks, \d+ characters\)$/],
    ['a certificate in the key field', () => ({ certificateChain: pki.trustedClient.cert, privateKey: pki.trustedClient.cert }), /^privateKey holds no PEM private key \(PEM text with 1 CERTIFICATE block, \d+ characters\)$/],
    ['key material without PEM boundaries in the key field', () => ({ certificateChain: pki.trustedClient.cert, privateKey: keyBody(pki.trustedClient.key).join('\n') }), /^privateKey holds no PEM private key \(\d+ characters, no PEM boundary\)$/],
    ['key material without PEM boundaries in the certificate field', () => ({ certificateChain: keyBody(pki.trustedClient.key).join('\n'), privateKey: pki.trustedClient.key }), /^certificateChain holds no PEM certificate \(\d+ characters, no PEM boundary\)$/],
    ['missing fields', () => ({}), /is missing/],
  ])('refuses %s without echoing the key', (_name, material, message) => {
    const problems = clientCertificateProblems(material());
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(message);
    for (const problem of problems) expectNoKeyMaterial(problem, pki.trustedClient.key);
  });

  it('refuses a key that belongs to another certificate, naming the certificate by fingerprint', () => {
    const problems = clientCertificateProblems({ certificateChain: pki.trustedClient.cert, privateKey: pki.untrustedClient.key });
    expect(problems).toEqual([expect.stringMatching(/^privateKey does not belong to the first certificate of certificateChain \(CN=medlb-controller, .* SHA-256 [0-9A-F:]+\): the client certificate must come first$/)]);
    expectNoKeyMaterial(problems.join('\n'), pki.untrustedClient.key);
  });

  it('refuses a passphrase-encrypted key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(clientCertificateProblems({ certificateChain: pki.trustedClient.cert, privateKey })).toEqual([expect.stringMatching(/^privateKey is encrypted with a passphrase/)]);
  });
});

describe('parseClientCertificateSecret (the secret\'s JSON)', () => {
  it('reads {"certificateChain", "privateKey"}', async () => {
    const other = await clientCertificate(pki.clientCa, 'second');
    const secret = JSON.stringify({ certificateChain: other.cert, privateKey: other.key });
    expect(parseClientCertificateSecret(secret, 'secret X')).toMatchObject({ certificateChain: other.cert, privateKey: other.key, description: expect.stringMatching(/^CN=second,/) });
  });

  it('refuses a secret that is the PEM itself, without quoting it (JSON.parse would)', () => {
    const secret = pki.trustedClient.cert + pki.trustedClient.key;
    let thrown: unknown;
    try {
      parseClientCertificateSecret(secret, 'secret arn:x');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ClientCertificateError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^client certificate from secret arn:x is unusable: the secret value is not JSON \(\d+ characters; it holds a PEM private key\): store \{"certificateChain"/);
    expectNoKeyMaterial(message, pki.trustedClient.key);
  });

  it('lists every problem of the fields', () => {
    expect(() => parseClientCertificateSecret(JSON.stringify({ certificate: 'x' }), 's')).toThrow(/certificateChain is missing.*; privateKey is missing/);
  });
});

describe('clientCertificateReferenceProblems', () => {
  const secretArn = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs-client-AbC123';
  it('accepts a full secret ARN and a KMS key ARN of its region', () => {
    expect(clientCertificateReferenceProblems({ secretArn, kmsKeyArn: 'arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' })).toEqual([]);
    expect(clientCertificateReferenceProblems({ secretArn, kmsKeyArn: 'arn:aws:kms:eu-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab' })).toEqual([]);
  });
  it.each([
    [{ secretArn: 'medlb/pacs-client' }, 'secretArn'],
    [{ secretArn: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs' }, 'secretArn'],
    [{ secretArn, kmsKeyArn: 'arn:aws:kms:eu-west-2:111122223333:alias/medlb' }, 'kmsKeyArn'],
    [{ secretArn, kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }, 'kmsKeyArn'],
  ])('refuses %j at %s', (reference, field) => {
    expect(clientCertificateReferenceProblems(reference).map((problem) => problem.field)).toEqual([field]);
  });
});
